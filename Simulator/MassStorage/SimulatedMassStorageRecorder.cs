using Dock.DeviceProtocol.CommandChannel;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.Simulator.Hosting.Pty;
using Dock.Simulator.Recorders;

namespace Dock.Simulator.MassStorage;

/// <summary>How a simulated mass-storage recorder is made.</summary>
public sealed record MassStorageRecorderOptions
{
    public required string Serial { get; init; }
    /// <summary>Where its disk lives: the volume appears as FOLDER/SERIAL once the dock asks for mass storage.</summary>
    public required string Folder { get; init; }
    public string OfficerId { get; init; } = "";
    public string Password { get; init; } = "000000";
    public string Model { get; init; } = "ZFY-SIM-MSC";
    public string Firmware { get; init; } = "2.1.0-sim";
    public ulong Seed { get; init; } = 1;
    public int ClipCount { get; init; } = 4;
    public long MinClipSize { get; init; } = 8 * 1024 * 1024;
    public long MaxClipSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Its GPS logs each clip's track beside it (NAME.NMEA) and its buttons their marks (NAME.MRK), as
    /// recorder-command-channel-v1.md §7.1 describes; false: a camera without GPS.</summary>
    public bool Gps { get; init; } = true;

    /// <summary>Like many real ones, it stops answering commands once it presents its disk (it re-enumerates as a plain USB disk).</summary>
    public bool DropsChannelInMassStorage { get; init; }
}

/// <summary>
/// A GA/T 947.4-style recorder: a folder standing in for its USB disk (files under DCIM/100MEDIA named
/// SERIAL_OFFICER_yyyyMMddHHmmss_NNNN[_IMP].MP4, written "while recording"), and the command channel of
/// recorder-command-channel-v1.md served on a pty. Like a real camera it checks the password itself, and
/// shows its disk only after MASS_STORAGE.
/// </summary>
public sealed class SimulatedMassStorageRecorder : ICommandChannelHandler, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly PseudoTerminal _pty = PseudoTerminal.Open();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly string _offline;
    private Task? _serving;
    private OfficerInfo _officer;
    private volatile bool _plugged = true;

    private SimulatedMassStorageRecorder(MassStorageRecorderOptions options, TimeProvider time)
    {
        Options = options;
        _time = time;
        var seed = options.Seed;
        Clock = new RecorderClock(time, TimeSpan.FromSeconds((double)(SyntheticContent.SplitMix64(ref seed) % 180) - 90), 30);
        Battery = new Battery(time, 10 + SyntheticContent.SplitMix64(ref seed) % 60, 3, (ushort)(SyntheticContent.SplitMix64(ref seed) % 500), 90);
        _officer = new OfficerInfo(options.OfficerId, "模拟警员", "330100000000", "模拟市公安局");
        Volume = Path.Combine(options.Folder, options.Serial);
        _offline = Path.Combine(options.Folder, "." + options.Serial + ".offline");
    }

    public MassStorageRecorderOptions Options { get; }
    public string Serial => Options.Serial;
    public RecorderClock Clock { get; }
    public Battery Battery { get; }

    /// <summary>The disk's mount point (exists only in mass-storage mode).</summary>
    public string Volume { get; }

    /// <summary>The command channel: open this as a serial port.</summary>
    public string CommandPath => _pty.SlavePath;
    public string CommandAddress => $"serial://{_pty.SlavePath}";

    public bool InMassStorageMode => Directory.Exists(Volume);

    /// <summary>Logins refused so far (a dock with the wrong password).</summary>
    public int RefusedLogins { get; private set; }

    public OfficerInfo Officer
    {
        get { lock (_lock) return _officer; }
    }

    /// <summary>The clip files on the disk now, relative to its root.</summary>
    /// <summary>Its clip files (what the dock pulls and may delete): every file but the GPS logs and mark files beside them.</summary>
    public IReadOnlyList<string> ClipFiles =>
        [.. Files.Where(f => !f.EndsWith(".NMEA", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".MRK", StringComparison.OrdinalIgnoreCase))];

    public IReadOnlyList<string> Files
    {
        get
        {
            var root = InMassStorageMode ? Volume : _offline;
            return Directory.Exists(root)
                ? [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f).Replace('\\', '/')).Order()]
                : [];
        }
    }

    /// <summary>Records its clips (synthetic bytes, deterministic from the seed) onto its disk and starts serving commands.</summary>
    public static async Task<SimulatedMassStorageRecorder> CreateAsync(MassStorageRecorderOptions options, TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        Identifier.Require(options.Serial, "serial");
        var recorder = new SimulatedMassStorageRecorder(options, time ?? TimeProvider.System);
        await recorder.RecordAsync(cancellationToken).ConfigureAwait(false);
        recorder._serving = Task.Run(() => recorder.ServeAsync(recorder._stop.Token));
        return recorder;
    }

    private async Task RecordAsync(CancellationToken cancellationToken)
    {
        var media = Path.Combine(_offline, "DCIM", "100MEDIA");
        Directory.CreateDirectory(media);
        var seed = Options.Seed ^ 0x5EC0_4D15UL;
        var end = Clock.Now.AddMinutes(-5);
        var buffer = new byte[1024 * 1024];
        for (int i = 0; i < Options.ClipCount; i++)
        {
            long span = Options.MaxClipSize - Options.MinClipSize;
            long size = Options.MinClipSize + (span <= 0 ? 0 : (long)(SyntheticContent.SplitMix64(ref seed) % (ulong)(span + 1)));
            var content = new SyntheticContent(SyntheticContent.SplitMix64(ref seed));
            var start = end.AddMinutes(-12 * (Options.ClipCount - i)).ToOffset(TimeZoneInfo.Local.GetUtcOffset(end));
            var name = $"{Serial}_{(Options.OfficerId.Length > 0 ? Options.OfficerId : "000000")}_{start:yyyyMMddHHmmss}_{i + 1:D4}{(i % 3 == 2 ? "_IMP" : "")}.MP4";
            var path = Path.Combine(media, name);
            var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
            await using (file.ConfigureAwait(false))
            {
                for (long offset = 0; offset < size; offset += buffer.Length)
                {
                    int n = (int)Math.Min(buffer.Length, size - offset);
                    content.Read(offset, buffer.AsSpan(0, n));
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                }
            }
            File.SetLastWriteTimeUtc(path, start.AddMinutes(10).UtcDateTime);
            if (Options.Gps)
            {
                var meta = Recorders.SimulatedTrack.For(Options.Seed, i, name, start, start.AddMinutes(10), importantWhenClosed: i % 3 == 2);
                if (meta.Track.Count > 0) await File.WriteAllTextAsync(Path.ChangeExtension(path, ".NMEA"), Recorders.SimulatedTrack.Nmea(meta), cancellationToken).ConfigureAwait(false);
                var marks = Recorders.SimulatedTrack.Markers(meta, markedInName: i % 3 == 2);
                if (marks.Length > 0) await File.WriteAllTextAsync(Path.ChangeExtension(path, ".MRK"), marks, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Serves the channel on the pty. A host closing its end ends one conversation; the next open starts another.</summary>
    private async Task ServeAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await CommandChannelDevice.ServeAsync(new PtyTransport(_pty), this, cancellationToken, Answering).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DockLinkException or IOException)
            {
                // Nobody has the port open, or the host went away mid-request: wait for the next one.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private bool Answering() => _plugged && !(Options.DropsChannelInMassStorage && InMassStorageMode);

    public bool CheckPassword(string password)
    {
        bool ok = password == Options.Password;
        if (!ok) RefusedLogins++;
        return ok;
    }

    public RecorderIdentity Identify() => new(Serial, "ZFY", Options.Model, Options.Firmware);

    public OfficerInfo ReadOfficer() => Officer;

    public void WriteOfficer(OfficerInfo officer)
    {
        lock (_lock) _officer = officer;
    }

    public long SyncTime(long hostUnixMs, short utcOffsetMinutes) =>
        Clock.Set(DateTimeOffset.FromUnixTimeMilliseconds(hostUnixMs)).ToUnixTimeMilliseconds();

    public BatteryStatus ReadBattery()
    {
        var p = Battery.Sample();
        return new BatteryStatus(p.Percent, p.Millivolts, p.State, p.TemperatureDeciC, p.CycleCount, p.HealthPercent);
    }

    /// <summary>Presents the disk: the folder appears at <see cref="Volume"/>, as a mounted USB disk would.</summary>
    public void SwitchToMassStorage()
    {
        lock (_lock)
        {
            if (!Directory.Exists(Volume)) Directory.Move(_offline, Volume);
        }
        Battery.SetCharging(true);
    }

    /// <summary>The officer pulls it out of the bay: the disk disappears and the command channel stops answering.</summary>
    public void Unplug()
    {
        _plugged = false;
        lock (_lock)
        {
            if (Directory.Exists(Volume)) Directory.Move(Volume, _offline);
        }
        Battery.SetCharging(false);
    }

    /// <summary>Docked again: it answers commands; its disk comes back when the dock asks for mass storage.</summary>
    public void Plug() => _plugged = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_serving is not null) await _serving.ConfigureAwait(false);
        _pty.Dispose();
        _stop.Dispose();
    }
}
