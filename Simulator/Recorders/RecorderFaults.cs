namespace Dock.Simulator.Recorders;

/// <summary>
/// Faults a test (or `dock-sim`'s fault flags) arms on a recorder. One-shot faults fire once and disarm, so the retry
/// that follows sees a healthy recorder, as after a real glitch; the others stay until changed.
/// </summary>
public sealed class RecorderFaults
{
    private long _disconnectAfterBytes = -1;
    private long _stallAfterBytes = -1;
    private long _corruptDataAfterBytes = -1;
    private long _corruptEvery;
    private long _corruptCountdown;
    private long _releaseDelayTicks;
    private int _stalledReads;
    private long _firmwarePowerLossAfter = -1;
    private int _corruptStagedFirmware;
    private int _powerLossInInstall;

    /// <summary>One-shot: cut the link once this many more bytes have been written to it, mid-frame (a yanked cable).</summary>
    public void DisconnectAfter(long bytes) => Interlocked.Exchange(ref _disconnectAfterBytes, bytes);

    /// <summary>One-shot: once this many more bytes have been written to the link, the recorder goes silent on it (what
    /// it sends is lost, as from a stalled USB endpoint) until the dock drops the link; the next link is healthy.</summary>
    public void StallAfter(long bytes) => Interlocked.Exchange(ref _stallAfterBytes, bytes);

    /// <summary>One-shot: flip one bit of clip data once this many more clip bytes have been served. The frame CRC
    /// is computed after the flip, so only the end-to-end SHA-256 can catch it.</summary>
    public void CorruptDataAfter(long bytes) => Interlocked.Exchange(ref _corruptDataAfterBytes, bytes);

    /// <summary>Lasting: flip one bit of clip data every <paramref name="bytes"/> clip bytes served (0 turns it off): a clip
    /// longer than that never arrives intact, so the dock quarantines it after its last attempt.</summary>
    public void CorruptEvery(long bytes)
    {
        Interlocked.Exchange(ref _corruptCountdown, bytes);
        Interlocked.Exchange(ref _corruptEvery, bytes);
    }

    /// <summary>Lasting: READ_CLIP of this clip id is answered STORAGE_ERROR (a bad flash block under one file); other clips read fine.</summary>
    public string? FailReadsOf { get; set; }

    /// <summary>Stop answering READ_CLIP (a stalled device) until cleared.</summary>
    public bool StallReads { get; set; }

    /// <summary>Lasting: answer SET_OFFICER but keep the officer it had (a firmware bug the dock must catch by reading the answer).</summary>
    public bool IgnoreOfficer { get; set; }

    /// <summary>Lasting: answer PUT_CONFIG with the hash of the profile it ran before, as applied, while keeping that profile (a camera that lies
    /// about the applied hash, or failed to write it and says nothing): the dock must see the mismatch.</summary>
    public bool LieAboutConfig { get; set; }

    /// <summary>Lasting: refuse every PUT_CONFIG with BAD_MESSAGE (a profile this firmware cannot run), nothing applied.</summary>
    public bool RefuseConfig { get; set; }

    /// <summary>One-shot: power is lost once this many more firmware image bytes have been received: those bytes are in flash (the resume point),
    /// the link drops mid-transfer.</summary>
    public void FirmwarePowerLossAfter(long bytes) => Interlocked.Exchange(ref _firmwarePowerLossAfter, bytes);

    /// <summary>One-shot: a bit of the staged image flips in flash before the install checks it (a bad image): the recorder refuses it.</summary>
    public void CorruptStagedFirmware() => Interlocked.Exchange(ref _corruptStagedFirmware, 1);

    /// <summary>One-shot: power is lost while the next verified image is written to its slot: the old image keeps running.</summary>
    public void PowerLossInInstall() => Interlocked.Exchange(ref _powerLossInInstall, 1);

    /// <summary>Lasting: a new image boots but its storage driver is broken: while it runs on trial, LIST_CLIPS answers STORAGE_ERROR, so the
    /// dock's health check fails, it is never confirmed, and the camera goes back to its old image at its next boot.</summary>
    public bool FailListingOnTrial { get; set; }

    /// <summary>Lasting: an image with this version does not boot; the boot loader goes back to the old slot.</summary>
    public string? FailBootOf { get; set; }

    internal long? TakeFirmwarePowerLoss(int wanted) => Take(ref _firmwarePowerLossAfter, wanted);
    internal bool TakeCorruptStagedFirmware() => Interlocked.Exchange(ref _corruptStagedFirmware, 0) == 1;
    internal bool TakeFirmwarePowerLossInInstall() => Interlocked.Exchange(ref _powerLossInInstall, 0) == 1;

    /// <summary>Lasting: answer RELEASE_CLIP with "kept" (deleted = 0) and keep the clip, as a camera with a keep policy does.</summary>
    public bool KeepOnRelease { get; set; }

    /// <summary>Lasting: after deleting a released clip, wait this long before answering (a slow flash erase), which
    /// widens the window in which a dock can stop between the deletion and its record of the answer.</summary>
    public TimeSpan ReleaseDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _releaseDelayTicks));
        set => Interlocked.Exchange(ref _releaseDelayTicks, value.Ticks);
    }

    /// <summary>READ_CLIPs that hit the stall: a test waits for this instead of sleeping.</summary>
    public int StalledReads => Volatile.Read(ref _stalledReads);

    internal void NoteStall() => Interlocked.Increment(ref _stalledReads);

    /// <summary>For a write of <paramref name="wanted"/> bytes: null to write it all, or how many bytes to
    /// write before cutting the link (the armed disconnect fires and disarms).</summary>
    internal long? TakeLinkBudget(int wanted) => Take(ref _disconnectAfterBytes, wanted);

    /// <summary>For a write of <paramref name="wanted"/> bytes: null to write it all, or how many bytes to write before
    /// the link goes silent (the armed stall fires and disarms).</summary>
    internal long? TakeStallBudget(int wanted) => Take(ref _stallAfterBytes, wanted);

    private static long? Take(ref long armed, int wanted)
    {
        while (true)
        {
            long current = Interlocked.Read(ref armed);
            if (current < 0) return null;
            if (current > wanted)
            {
                if (Interlocked.CompareExchange(ref armed, current - wanted, current) == current) return null;
                continue;
            }
            if (Interlocked.CompareExchange(ref armed, -1, current) == current) return current;
        }
    }

    /// <summary>Indexes within a chunk of <paramref name="length"/> bytes to corrupt (none, one, or one per period).</summary>
    internal IEnumerable<int> TakeCorruptions(int length)
    {
        var hits = new List<int>();
        while (true)
        {
            long current = Interlocked.Read(ref _corruptDataAfterBytes);
            if (current < 0) break;
            if (current >= length)
            {
                if (Interlocked.CompareExchange(ref _corruptDataAfterBytes, current - length, current) == current) break;
                continue;
            }
            if (Interlocked.CompareExchange(ref _corruptDataAfterBytes, -1, current) == current)
            {
                hits.Add((int)current);
                break;
            }
        }
        long every = Interlocked.Read(ref _corruptEvery);
        if (every > 0)
        {
            // One reader per recorder link at a time, so a plain countdown is enough; it only drifts under concurrent links.
            long left = Interlocked.Read(ref _corruptCountdown);
            long at = left - 1;
            while (at < length)
            {
                hits.Add((int)at);
                at += every;
            }
            Interlocked.Exchange(ref _corruptCountdown, at - length + 1);
        }
        return hits;
    }
}
