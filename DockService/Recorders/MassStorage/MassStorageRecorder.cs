using System.Buffers;
using System.Collections.Concurrent;
using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.CommandChannel;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Service.Configuration;

namespace Dock.Service.Recorders.MassStorage;

/// <summary>What a mass-storage recorder's channel said when it was opened (identity, officer, clock offset, battery),
/// and where its disk is mounted.</summary>
public sealed record Identification(RecorderIdentity Identity, OfficerInfo Officer, TimeSpan ClockOffset, BatteryStatus? Battery, string? Volume);

/// <summary>
/// A recorder that is a USB disk plus a GA/T 947.4-style command channel (recorder-command-channel-v1.md),
/// behind the same seam as DockLink recorders, so its clips go through the same pipeline (hash, vault,
/// custody, cloud, release policy). It cannot prove who it is: <see cref="ProvedKey"/> is empty and
/// the serial is the channel's claim (§6). It states no hash: the reference hash is the dock's own first
/// read of each file, which the pull (a second read) must match (§7).
/// </summary>
public sealed class MassStorageRecorder : IDockedRecorder
{
    private const int ReadBufferSize = 256 * 1024;
    private readonly IRecorderCommandChannel _channel;
    private readonly string _volume;
    private readonly ClipLayout _layout;
    private readonly Func<string, string, long, CancellationToken, Task<string?>> _knownHash;
    private readonly Func<string?> _volumeNow;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _watch = new();
    private readonly Task _completion;
    // The releaser (cloud-verified clips) runs beside the pulls: both maps are shared.
    private readonly ConcurrentDictionary<string, LayoutClip> _listed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Path, long Size, DateTime Written), byte[]> _hashes = new();

    private readonly int _maxClips;
    private BatteryStatus? _openingBattery;

    private MassStorageRecorder(IRecorderCommandChannel channel, Identification docked, Func<string?> volumeNow, ClipLayout layout, int maxClips,
        Func<string, string, long, CancellationToken, Task<string?>> knownHash, TimeProvider time)
    {
        _channel = channel;
        _volume = docked.Volume!;
        _volumeNow = volumeNow;
        Docked = docked;
        _openingBattery = docked.Battery;
        _layout = layout;
        _maxClips = maxClips;
        _knownHash = knownHash;
        _time = time;
        _completion = WatchAsync(_watch.Token);
    }

    /// <summary>What the channel said when the recorder was opened, and where its disk is.</summary>
    public Identification Docked { get; }
    public RecorderIdentity Identity => Docked.Identity;
    public OfficerInfo Officer => Docked.Officer;
    public string Volume => _volume;

    public string Serial => Identity.Serial;
    public string Endpoint => $"mass-storage {_volume} (commands over {_channel.Endpoint}; identity claimed, not proven)";
    public byte[] ProvedKey => [];
    public bool SignsClips => false;

    /// <summary>Its GPS log and marks, when it writes them beside the clips (recorder-command-channel-v1.md §7.1).</summary>
    public bool ProvidesClipMetadata => true;

    public Task<ClipMeta?> GetClipMetadataAsync(string clipId, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(SidecarFiles.Read(Listed(clipId)).Meta);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The disk went away: as for a read of the clip.
            throw Lost($"reading the files beside {clipId}: {ex.Message}", ex);
        }
    }
    public string HashSource => "the sha256 of the dock's first read of the file on the recorder's disk";
    public Task Completion => _completion;

    /// <summary>
    /// Logs in (the camera checks the password), asks who it is and whose, reads its battery, sets its clock, then
    /// switches it to mass storage and waits for its disk: everything the channel is needed for happens before the
    /// switch, because many recorders drop the channel once they present the disk. <paramref name="volumeNow"/> says
    /// where the disk is mounted now (null: not yet). <paramref name="knownHash"/> gives the reference SHA-256 the
    /// catalog already holds for (serial, clip id, size), so a clip is read for it once, not at every docking.
    /// <paramref name="remembered"/>: what this bay learnt when this disk appeared; if the disk never went away and the
    /// channel is silent now, it is the same recorder (the bay re-opens it after an error, say).
    /// </summary>
    public static async Task<MassStorageRecorder> OpenAsync(IRecorderCommandChannel channel, Func<string?> volumeNow, MassStorageOptions options,
        Func<string, string, long, CancellationToken, Task<string?>> knownHash, TimeProvider time, CancellationToken cancellationToken,
        Identification? remembered = null)
    {
        Identification id;
        try
        {
            await channel.LoginAsync(options.Password, cancellationToken).ConfigureAwait(false);
            var identity = await channel.IdentifyAsync(cancellationToken).ConfigureAwait(false);
            var officer = await channel.ReadOfficerAsync(cancellationToken).ConfigureAwait(false);
            var battery = await channel.ReadBatteryAsync(cancellationToken).ConfigureAwait(false);
            long sent = time.GetTimestamp();
            var now = time.GetUtcNow().ToOffset(TimeZoneInfo.Local.GetUtcOffset(time.GetUtcNow()));
            long before = await channel.SyncTimeAsync(now, cancellationToken).ConfigureAwait(false);
            var offset = TimeSpan.FromMilliseconds(before - (now + time.GetElapsedTime(sent) / 2).ToUnixTimeMilliseconds());
            id = new Identification(identity, officer, offset, battery, volumeNow());
        }
        catch (DockLinkException ex) when (ex.Failure is DockLinkFailure.Timeout or DockLinkFailure.ConnectionLost
            && remembered?.Volume is { } known && volumeNow() == known)
        {
            id = remembered with { Battery = null };
        }
        if (id.Volume is null)
        {
            await channel.SwitchToMassStorageAsync(cancellationToken).ConfigureAwait(false);
            long started = time.GetTimestamp();
            string? volume;
            while ((volume = volumeNow()) is null)
            {
                if (time.GetElapsedTime(started) > options.VolumeTimeout)
                    throw CommandChannelErrors.NoDisk(id.Identity.Serial, options.VolumeTimeout);
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken).ConfigureAwait(false);
            }
            id = id with { Volume = volume };
        }
        return new MassStorageRecorder(channel, id, volumeNow, new ClipLayout(options), options.MaxClips, knownHash, time);
    }

    public Task<Info> GetInfoAsync(CancellationToken cancellationToken)
    {
        ulong total = 0, free = 0;
        try
        {
            var drive = new DriveInfo(_volume);
            total = (ulong)drive.TotalSize;
            free = (ulong)drive.AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // Sizes are informative; an odd mount must not stop the docking.
        }
        int clips = Scan().Count;
        return Task.FromResult(new Info(Serial, Identity.Model, Identity.Firmware, Officer.OfficerId.Length > 0 ? Officer.OfficerId : "unassigned",
            total, free, (uint)clips, _time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    /// <summary>The clock was set when the recorder was opened (before its channel could go away); this is how far off it was then.</summary>
    public Task<TimeSpan> SyncTimeAsync(CancellationToken cancellationToken) => Task.FromResult(Docked.ClockOffset);

    /// <summary>Only while its command channel is open: many recorders drop it once they present the disk.</summary>
    public bool CanSetOfficer => !_channel.Closed.IsCompleted;

    /// <summary>WRITE_OFFICER over the command channel, then READ_OFFICER: only a read-back that matches counts.</summary>
    public async Task<string> SetOfficerAsync(OfficerInfo officer, CancellationToken cancellationToken)
    {
        var before = await _channel.ReadOfficerAsync(cancellationToken).ConfigureAwait(false);
        await _channel.WriteOfficerAsync(officer, cancellationToken).ConfigureAwait(false);
        var after = await _channel.ReadOfficerAsync(cancellationToken).ConfigureAwait(false);
        if (after != officer)
            throw CommandChannelErrors.Malformed(CommandCode.ReadOfficer, $"recorder {Serial} accepted officer {officer.OfficerId} but reads back {after.OfficerId} ({after.Name})");
        return before.OfficerId;
    }

    /// <summary>Many recorders drop their command interface once they present the disk (they re-enumerate as a
    /// plain USB disk): then the battery is unknown, and the docking goes on from the disk alone.</summary>
    public async Task<Power?> GetPowerAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _openingBattery, null) is { } first) return ToPower(first);
        if (_channel.Closed.IsCompleted) return null;
        try
        {
            return ToPower(await _channel.ReadBatteryAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (DockLinkException ex) when (ex.Failure is DockLinkFailure.ConnectionLost or DockLinkFailure.Timeout)
        {
            return null;
        }
    }

    /// <summary>Lists the disk without reading it: a clip the dock has not hashed before is listed with no hash, and is
    /// read for its reference hash just before its pull (<see cref="ReferenceHashAsync"/>), so the pull's read follows
    /// at once (from the page cache, for clips that fit in memory) and the first clip starts without waiting for all.</summary>
    public async Task<ClipListing> ListClipsAsync(CancellationToken cancellationToken)
    {
        var summaries = new List<ClipSummary>();
        _listed.Clear();
        var scanned = Scan();
        foreach (var clip in scanned)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = (clip.RelativePath, clip.Size, clip.LastWriteUtc);
            if (!_hashes.TryGetValue(key, out var sha))
            {
                sha = await _knownHash(Serial, clip.ClipId, clip.Size, cancellationToken).ConfigureAwait(false) is { } known
                    && Sha256.TryParseHex(known, out var k) ? k : [];
                if (sha.Length > 0) _hashes[key] = sha;
            }
            _listed[clip.ClipId] = clip;
            summaries.Add(new ClipSummary(clip.ClipId, (ulong)clip.Size, clip.Start.ToUnixTimeMilliseconds(), clip.End.ToUnixTimeMilliseconds(),
                clip.Flags, sha));
        }
        // Stopped at MaxClips: files past the bound are left for the next docking, and are not gone.
        return new ClipListing(summaries, scanned.Count < _maxClips);
    }

    /// <summary>The dock's first read of the file. A file that changes while it is read (a recorder still writing it)
    /// is refused as busy: the docking ends and the next one tries again.</summary>
    public async Task<byte[]> ReferenceHashAsync(string clipId, CancellationToken cancellationToken)
    {
        var clip = Listed(clipId);
        var key = (clip.RelativePath, clip.Size, clip.LastWriteUtc);
        if (_hashes.TryGetValue(key, out var cached)) return cached;
        byte[] sha;
        try
        {
            sha = await Sha256.HashFileAsync(clip.FullPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Lost($"reading {clip.RelativePath}: {ex.Message}", ex);
        }
        var after = new FileInfo(clip.FullPath);
        if (!after.Exists || after.Length != clip.Size || after.LastWriteTimeUtc != clip.LastWriteUtc)
            throw DockLinkErrors.Remote(MessageType.ReadClip, ErrorCode.Busy, $"{clip.RelativePath} changed while it was read; it is still being written");
        return _hashes[key] = sha;
    }

    private static Power ToPower(BatteryStatus b) => new(b.Percent, b.Millivolts, b.State, b.TemperatureDeciC, b.CycleCount, b.HealthPercent);

    public Task<ClipInfo> GetClipAsync(string clipId, CancellationToken cancellationToken) =>
        throw DockLinkErrors.InvalidState("a mass-storage recorder makes no record-time signatures");

    public async Task PullAsync(string clipId, long offset, long size, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        CancellationToken cancellationToken)
    {
        var clip = Listed(clipId);
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            await using var file = OpenForRead(clip);
            if (file.Length != size) throw Lost($"{clip.RelativePath} is now {file.Length} bytes, not the {size} listed");
            file.Position = offset;
            while (offset < size)
            {
                // A real unplug fails the read; a disk that merely vanished from the mount table is caught here.
                if (!Directory.Exists(_volume)) throw Lost("the disk is gone");
                int n;
                try
                {
                    n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(ReadBufferSize, size - offset)), cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw Lost($"reading {clip.RelativePath}: {ex.Message}", ex);
                }
                if (n == 0) throw Lost($"{clip.RelativePath} ended at byte {offset} of {size}");
                await sink(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                offset += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Deleting is the only write the dock makes to the disk: only if the file still hashes to what was verified (§7).</summary>
    public async Task<bool> ReleaseClipAsync(string clipId, byte[] sha256, CancellationToken cancellationToken)
    {
        if (!_listed.TryGetValue(clipId, out var clip) || !File.Exists(clip.FullPath))
            throw DockLinkErrors.Remote(MessageType.ReleaseClip, ErrorCode.NoSuchClip, $"{clipId} is not on the disk");
        byte[] now;
        try
        {
            now = await Sha256.HashFileAsync(clip.FullPath, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Lost($"re-reading {clip.RelativePath} before deleting it: {ex.Message}", ex);
        }
        if (!now.AsSpan().SequenceEqual(sha256))
            throw DockLinkErrors.Remote(MessageType.ReleaseClip, ErrorCode.HashMismatch,
                $"{clip.RelativePath} now hashes to {Sha256.ToHex(now)}, not the verified {Sha256.ToHex(sha256)}; kept");
        try
        {
            File.Delete(clip.FullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A read-only disk (write-protect switch, FAT errors): the clip stays, which is safe.
            throw DockLinkErrors.Remote(MessageType.ReleaseClip, ErrorCode.StorageError, $"could not delete {clip.RelativePath}: {ex.Message}");
        }
        _listed.TryRemove(clipId, out _);
        return true;
    }

    public Task ByeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private IReadOnlyList<LayoutClip> Scan()
    {
        try
        {
            return _layout.Scan(_volume);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Lost($"listing the disk: {ex.Message}", ex);
        }
    }

    private LayoutClip Listed(string clipId) => _listed.TryGetValue(clipId, out var clip)
        ? clip
        : throw DockLinkErrors.Remote(MessageType.ReadClip, ErrorCode.NoSuchClip, $"{clipId} was not listed on the disk");

    private FileStream OpenForRead(LayoutClip clip)
    {
        if (new FileInfo(clip.FullPath).LinkTarget is not null)
            throw DockLinkErrors.Remote(MessageType.ReadClip, ErrorCode.BadRange, $"{clip.RelativePath} became a link; not read");
        try
        {
            return new FileStream(clip.FullPath, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, BufferSize = 0, Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Lost($"opening {clip.RelativePath}: {ex.Message}", ex);
        }
    }

    private DockLinkException Lost(string what, Exception? inner = null) => CommandChannelErrors.ConnectionLost(_channel.Endpoint, $"recorder {Serial}: {what}", inner);

    /// <summary>The recorder has left when its disk is gone (unmounted, or its block device left the port). Not when the
    /// command channel closes: many recorders drop it once they present the disk.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested && _volumeNow() == _volume)
                await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _watch.CancelAsync().ConfigureAwait(false);
        await _completion.ConfigureAwait(false);
        await _channel.DisposeAsync().ConfigureAwait(false);
        _watch.Dispose();
    }
}
