using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;

namespace Dock.Simulator.Recorders;

/// <summary>
/// A simulated body-worn recorder: identity key, officer binding, clips with the SHA-256 made at
/// record time, a charging battery, a drifting clock and fault injection. Implements the DockLink
/// device role's <see cref="IRecorderDevice"/>, exactly what firmware would.
/// </summary>
public sealed class SimulatedRecorder : IRecorderDevice, IDisposable
{
    private readonly Lock _lock = new();
    private readonly List<SimulatedClip> _clips;
    private readonly Ed25519Key _key;
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = NewSignal();
    private long _bytesServed;
    private int _links;
    private string _officerId;

    private SimulatedRecorder(RecorderOptions options, List<SimulatedClip> clips, TimeProvider time)
    {
        Options = options;
        _clips = clips;
        _time = time;
        _officerId = options.OfficerId;
        foreach (var clip in clips) clip.OfficerId ??= options.OfficerId;
        var seed = options.Seed;
        _key = Ed25519Key.FromSeed(DeriveBytes(ref seed, 32));
        var drawnOffset = TimeSpan.FromSeconds((double)(SyntheticContent.SplitMix64(ref seed) % 180) - 90);
        Clock = new RecorderClock(time, options.ClockOffset ?? drawnOffset, driftPpm: 20 + (double)(SyntheticContent.SplitMix64(ref seed) % 40));
        var charge = 10 + SyntheticContent.SplitMix64(ref seed) % 60;
        var cycles = (ushort)(SyntheticContent.SplitMix64(ref seed) % 500);
        Battery = new Battery(time, charge, options.FullChargeHours, options.BatteryCycles ?? cycles,
            options.BatteryHealthPercent ?? (byte)(80 + SyntheticContent.SplitMix64(ref seed) % 21), options.BatteryAgeing);
        Credential = new KeyCredential(_key);
        Firmware = new SimulatedFirmware(options.Model, options.Firmware, options.FirmwareSlotBytes, () => options.TrustedAgencyKeys, Faults);
        if (options.SignsClips)
            foreach (var clip in clips) clip.Sign(options.Serial, options.OfficerId, options.SignsV11, m => _key.Sign(m), RecordedUnderNow(options, _config));
        // Fault injection at record time: the first N clips carry a wrong hash or a damaged signature.
        foreach (var clip in clips.Take(options.BadHashClips)) clip.CorruptRecordedHash();
        foreach (var clip in clips.Take(options.BadSignatureClips)) clip.CorruptSignature();
        if (options.StateDirectory is { } dir)
        {
            State = new RecorderStateFiles(dir);
            State.Write(options.Serial, ListClips());
        }
    }

    public RecorderOptions Options { get; }
    public string Serial => Options.Serial;
    public RecorderClock Clock { get; }
    public Battery Battery { get; }
    public RecorderFaults Faults { get; } = new();
    public IRecorderCredential Credential { get; }
    public IReadOnlyList<ReadOnlyMemory<byte>> TrustedAgencyKeys => Options.TrustedAgencyKeys;
    public byte OfferedAuthMethods => Options.AuthMethods;
    public DeviceCapabilities Capabilities =>
        DeviceCapabilities.Release | (Options.SignsClips ? DeviceCapabilities.RecordSignatures : DeviceCapabilities.None)
        | (Options.SignsClips && Options.SignsV11 ? DeviceCapabilities.RecordSignaturesV11 : DeviceCapabilities.None)
        | (Options.ClipMetadata ? DeviceCapabilities.ClipMetadata : DeviceCapabilities.None)
        | (Options.AcceptsOfficer ? DeviceCapabilities.SetOfficer : DeviceCapabilities.None)
        | (Options.Configurable ? DeviceCapabilities.Configuration : DeviceCapabilities.None)
        | (Options.TakesFirmware ? DeviceCapabilities.Firmware : DeviceCapabilities.None)
        | (SignsV15(Options) ? DeviceCapabilities.RecordSignaturesV15 : DeviceCapabilities.None);

    private static bool SignsV15(RecorderOptions options) => options.SignsClips && options.SignsV11 && options.SignsV15;

    /// <summary>What a clip finished now is recorded under, as v1.5 firmware signs it (null: this firmware does not sign it).</summary>
    private static RecordedUnder? RecordedUnderNow(RecorderOptions options, RecorderConfig config) =>
        SignsV15(options) ? new RecordedUnder(config.Version, [.. config.Sha256]) : null;

    /// <summary>Its firmware slots and staging area (DockLink v1.5).</summary>
    public SimulatedFirmware Firmware { get; }

    public FirmwareState GetFirmware() => RequireFirmware().State();

    public FirmwareReady BeginFirmware(FirmwareBegin begin) => RequireFirmware().Begin(begin, maxChunk: 256 * 1024);

    public ulong WriteFirmware(ulong offset, ReadOnlySpan<byte> data)
    {
        var held = RequireFirmware().Write(offset, data);
        Signal();
        return held;
    }

    public byte InstallFirmware(ReadOnlySpan<byte> sha256) => RequireFirmware().Install(sha256);

    public byte ConfirmFirmware(ReadOnlySpan<byte> sha256)
    {
        var slot = RequireFirmware().Confirm(sha256);
        Signal();
        return slot;
    }

    private SimulatedFirmware RequireFirmware() =>
        Options.TakesFirmware ? Firmware : throw DockLinkErrors.Refuse(ErrorCode.UnknownType, "this recorder does not take firmware from the dock");

    private RecorderConfig _config = new(0, new byte[32], []);

    /// <summary>The recorder profile it runs now (version 0, no bytes: its factory settings).</summary>
    public RecorderConfig Config
    {
        get { lock (_lock) return _config; }
    }

    public RecorderConfig GetConfig() =>
        Options.Configurable ? Config : throw DockLinkErrors.Refuse(ErrorCode.UnknownType, "this recorder's settings are not set by the dock");

    /// <summary>DockLink v1.4 PUT_CONFIG: keeps the profile (its bytes were checked against the hash by the codec) and answers with what it runs
    /// now, unless a fault says otherwise.</summary>
    public ConfigSet PutConfig(PutConfig config)
    {
        if (!Options.Configurable) throw DockLinkErrors.Refuse(ErrorCode.UnknownType, "this recorder's settings are not set by the dock");
        if (Faults.RefuseConfig) throw DockLinkErrors.Refuse(ErrorCode.BadMessage, "this firmware cannot run that profile");
        lock (_lock)
        {
            if (Faults.LieAboutConfig) return new ConfigSet(config.Version, [.. _config.Sha256]);
            _config = new RecorderConfig(config.Version, [.. config.Sha256], [.. config.Profile]);
            return new ConfigSet(_config.Version, [.. _config.Sha256]);
        }
    }

    /// <summary>The officer the camera is bound to now: its footage from now on carries them.</summary>
    public string OfficerId
    {
        get { lock (_lock) return _officerId; }
    }

    /// <summary>Checkout at the dock (v1.3 SET_OFFICER): the clips recorded from now on carry this officer; those already recorded keep theirs
    /// (their record-time signatures cover it).</summary>
    public string SetOfficer(SetOfficer officer)
    {
        if (!Options.AcceptsOfficer) throw DockLinkErrors.Refuse(ErrorCode.UnknownType, "this recorder cannot be bound to an officer by the dock");
        string before;
        lock (_lock)
        {
            before = _officerId;
            _officerId = Faults.IgnoreOfficer ? _officerId : officer.OfficerId;
        }
        Signal();
        return before;
    }

    /// <summary>Total clip bytes served over every link so far.</summary>
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    /// <summary>True while a dock holds a session (the recorder is docked and talking).</summary>
    public bool Linked => Volatile.Read(ref _links) > 0;

    public IReadOnlyList<SimulatedClip> Clips
    {
        get { lock (_lock) return [.. _clips]; }
    }

    /// <summary>Makes a recorder; synthetic clips are generated and hashed here, "at record time".</summary>
    public static async Task<SimulatedRecorder> CreateAsync(RecorderOptions options, TimeProvider? time = null,
        CancellationToken cancellationToken = default)
    {
        time ??= TimeProvider.System;
        Identifier.Require(options.Serial, "serial");
        var clips = new List<SimulatedClip>();
        var shiftEnd = time.GetUtcNow().AddMinutes(-5);
        if (options.ClipFolder is { } folder)
        {
            var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
            for (int i = 0; i < files.Count; i++)
            {
                var start = shiftEnd.AddMinutes(-12 * (files.Count - i));
                var id = ClipIdFor(start, i, Path.GetExtension(files[i]));
                clips.Add(await SimulatedClip.FromFileAsync(id, files[i], start, start.AddMinutes(10), FlagsFor(i), cancellationToken)
                    .ConfigureAwait(false));
            }
        }
        else
        {
            var seed = options.Seed ^ 0xC1195EEDUL;
            var made = new SimulatedClip[options.ClipCount];
            var specs = Enumerable.Range(0, options.ClipCount).Select(i =>
            {
                long span = options.MaxClipSize - options.MinClipSize;
                long size = options.MinClipSize + (span <= 0 ? 0 : (long)(SyntheticContent.SplitMix64(ref seed) % (ulong)(span + 1)));
                var start = shiftEnd.AddMinutes(-12 * (options.ClipCount - i));
                return (i, size, clipSeed: SyntheticContent.SplitMix64(ref seed), start);
            }).ToList();
            // Hashing is the expensive part of making clips: use every core.
            await Parallel.ForEachAsync(specs, cancellationToken, (spec, _) =>
            {
                made[spec.i] = SimulatedClip.Synthetic(ClipIdFor(spec.start, spec.i, ".mp4"), spec.size, spec.clipSeed,
                    spec.start, spec.start.AddMinutes(10), FlagsFor(spec.i));
                return ValueTask.CompletedTask;
            }).ConfigureAwait(false);
            clips.AddRange(made);
        }
        return new SimulatedRecorder(options, clips, time);
    }

    private static string ClipIdFor(DateTimeOffset start, int index, string extension)
    {
        var ext = extension.Length is > 1 and <= 8 && Identifier.IsValid("x" + extension) ? extension : ".bin";
        return $"{start:yyyyMMdd-HHmmss}-{index:D4}{ext}";
    }

    // Every fifth clip is a mandatory full-process recording (R11), every third is marked important.
    private static ClipFlags FlagsFor(int index) =>
        (index % 5 == 4 ? ClipFlags.Mandatory : ClipFlags.None) | (index % 3 == 2 ? ClipFlags.Important : ClipFlags.None);

    public Info GetInfo()
    {
        lock (_lock)
        {
            long used = _clips.Sum(c => c.Size);
            return new Info(Serial, Options.Model, Firmware.RunningVersion, _officerId, (ulong)Options.StorageBytes,
                (ulong)Math.Max(0, Options.StorageBytes - used), (uint)_clips.Count, Clock.Now.ToUnixTimeMilliseconds());
        }
    }

    public long SetTime(long hostTimeMs) => Clock.Set(DateTimeOffset.FromUnixTimeMilliseconds(hostTimeMs)).ToUnixTimeMilliseconds();

    public Power GetPower() => Battery.Sample();

    public IReadOnlyList<ClipSummary> ListClips()
    {
        if (Faults.FailListingOnTrial && Options.TakesFirmware && Firmware.State().Trial)
            throw DockLinkErrors.Refuse(ErrorCode.StorageError, "the clip store cannot be read (trial firmware)");
        lock (_lock) return [.. _clips.Select(c => c.Summary)];
    }

    public ClipInfo GetClip(string clipId)
    {
        var clip = Find(clipId);
        return new ClipInfo(clip.Summary, clip.OfficerId ?? "", [.. clip.Signature], clip.Config);
    }

    public ClipMeta GetClipMeta(string clipId)
    {
        if (!Options.ClipMetadata) throw DockLinkErrors.Refuse(ErrorCode.UnknownType, "this recorder keeps no clip metadata");
        var clip = Find(clipId);
        // The clip's place among those the camera made (its id ends in its index: see ClipIdFor), so the track stays the same
        // whichever clips are still on the camera.
        return SimulatedTrack.For(Options.Seed, IndexOf(clip), clip);
    }

    private static int IndexOf(SimulatedClip clip)
    {
        var stem = Path.GetFileNameWithoutExtension(clip.ClipId);
        return int.TryParse(stem[(stem.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var index) ? index : 0;
    }

    public async ValueTask<int> ReadClipAsync(string clipId, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var clip = Find(clipId);
        if (offset > clip.Size)
            throw DockLinkErrors.Refuse(ErrorCode.BadRange, $"offset {offset} is beyond the end of {clipId} ({clip.Size} bytes)");
        if (Faults.FailReadsOf == clipId)
            throw DockLinkErrors.Refuse(ErrorCode.StorageError, $"read error in {clipId} at offset {offset}");
        if (Faults.StallReads)
        {
            Faults.NoteStall();
            Signal();
            await Task.Delay(Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
        }
        int read = await clip.ReadAsync(offset, destination, cancellationToken).ConfigureAwait(false);
        foreach (int corrupt in Faults.TakeCorruptions(read)) destination.Span[corrupt] ^= 0x01;
        Interlocked.Add(ref _bytesServed, read);
        Signal();
        return read;
    }

    public async ValueTask<bool> ReleaseAsync(string clipId, ReadOnlyMemory<byte> sha256, CancellationToken cancellationToken)
    {
        string outcome = "deleted";
        bool deleted = false;
        try
        {
            lock (_lock)
            {
                var clip = _clips.Find(c => c.ClipId == clipId);
                if (clip is null)
                {
                    outcome = "no-such-clip";
                    throw DockLinkErrors.Refuse(ErrorCode.NoSuchClip, $"no clip {clipId}");
                }
                if (!sha256.Span.SequenceEqual(clip.Sha256))
                {
                    outcome = "hash-mismatch";
                    throw DockLinkErrors.Refuse(ErrorCode.HashMismatch, $"{clipId} does not have that SHA-256; not deleted");
                }
                if (Faults.KeepOnRelease) outcome = "kept";
                else
                {
                    _clips.Remove(clip);
                    deleted = true;
                }
            }
        }
        finally
        {
            // The recorder's own record of what it did, written before it answers (so a dock killed now still shows in it).
            State?.Released(Serial, clipId, Convert.ToHexStringLower(sha256.Span), outcome, Faults.ReleaseDelay, ListClips());
            if (deleted) Signal();
        }
        if (deleted && Faults.ReleaseDelay > TimeSpan.Zero)
            await Task.Delay(Faults.ReleaseDelay, _time, cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>Where the recorder keeps its state for an outside observer (dock-sim --state-dir), or null.</summary>
    public RecorderStateFiles? State { get; }

    /// <summary>The camera deletes a clip by itself, without any dock's release (an officer, or loop recording gone wrong):
    /// what a dock must notice and report as missing.</summary>
    public bool RemoveClip(string clipId)
    {
        bool removed;
        lock (_lock) removed = _clips.RemoveAll(c => c.ClipId == clipId) > 0;
        if (removed)
        {
            State?.Write(Serial, ListClips());
            Signal();
        }
        return removed;
    }

    /// <summary>The camera records a clip (or a test gives it one with a chosen id): it is listed from now on.</summary>
    public void AddClip(SimulatedClip clip)
    {
        var officer = OfficerId;
        clip.OfficerId = officer;
        if (Options.SignsClips) clip.Sign(Options.Serial, officer, Options.SignsV11, m => _key.Sign(m), RecordedUnderNow(Options, Config));
        lock (_lock) _clips.Add(clip);
        State?.Write(Serial, ListClips());
        Signal();
    }

    public void OnLinkChanged(bool connected)
    {
        int links = connected ? Interlocked.Increment(ref _links) : Interlocked.Decrement(ref _links);
        Firmware.OnLinkChanged(connected);
        // A docked recorder charges; the link is how the simulator knows it is in a bay.
        Battery.SetCharging(links > 0);
        Signal();
    }

    /// <summary>Waits until <paramref name="condition"/> holds; re-checked whenever the recorder's state changes.</summary>
    public async Task WaitUntilAsync(Func<SimulatedRecorder, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock) changed = _changed.Task;
            if (condition(this)) return;
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private SimulatedClip Find(string clipId)
    {
        lock (_lock)
            return _clips.Find(c => c.ClipId == clipId) ?? throw DockLinkErrors.Refuse(ErrorCode.NoSuchClip, $"no clip {clipId}");
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _changed;
            _changed = NewSignal();
        }
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static byte[] DeriveBytes(ref ulong seed, int count)
    {
        var bytes = new byte[count];
        for (int i = 0; i < count; i += 8)
            BitConverter.TryWriteBytes(bytes.AsSpan(i), SyntheticContent.SplitMix64(ref seed));
        return bytes;
    }

    public void Dispose() => _key.Dispose();

    private sealed class KeyCredential(Ed25519Key key) : IRecorderCredential
    {
        public ReadOnlyMemory<byte> PublicKey => key.PublicKey;
        public byte[] Sign(ReadOnlySpan<byte> message) => key.Sign(message);
    }
}
