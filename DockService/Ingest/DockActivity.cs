using System.Collections.Concurrent;

namespace Dock.Service.Ingest;

/// <summary>What a bay is doing, as a person at the dock would want to see it (and as the bay LED will show it).</summary>
public enum BayPhase
{
    Empty,
    Identifying,
    Transferring,
    Verifying,
    /// <summary>Docked, footage not yet safe, and the dock waits for something before it can go on: a pull slot, the
    /// recorder's answer, disk space (the message says what). The light says "do not remove".</summary>
    Waiting,
    /// <summary>All footage is safe in the vault; the recorder is charging.</summary>
    Done,
    /// <summary>Footage is safe but a person must look: an unenrolled recorder, a bad signature.</summary>
    Attention,
    Error,
}

public sealed record BaySnapshot(
    string BayId,
    BayPhase Phase,
    string? Serial = null,
    string? ClipId = null,
    long ClipBytes = 0,
    long ClipSize = 0,
    int ClipsDone = 0,
    int ClipsTotal = 0,
    int? BatteryPercent = null,
    string? Message = null,
    /// <summary>Every listed clip reached a final state this docking (verified/released, or quarantined).</summary>
    bool Finished = false,
    /// <summary>The officer the recorder is issued to, as it said at docking.</summary>
    string? OfficerId = null,
    /// <summary>Bytes of this pass's clips still to pull after the one in progress (ClipBytes of ClipSize).</summary>
    long PendingBytes = 0,
    /// <summary>Why footage stays on the camera or a person must look, as a code the kiosk words in each language
    /// (kept-until-cloud, untrusted, vault-full, set-back, hash-mismatch, held, battery); <see cref="Message"/> has the details.</summary>
    string? Reason = null,
    /// <summary>How many clips <see cref="Reason"/> is about.</summary>
    int ReasonCount = 0,
    /// <summary>Checked out to this officer (badge), who is to take it from the bay now: the bay light says "take me" until it leaves.</summary>
    string? PickedFor = null);

/// <summary>
/// Live, in-memory view of the dock for displays and waiters (the catalog stays the durable truth).
/// Waiters are woken on every change instead of polling.
/// </summary>
public sealed class DockActivity
{
    private readonly ConcurrentDictionary<string, BaySnapshot> _bays = new(StringComparer.Ordinal);
    private readonly ChangeSignal _changed = new();
    private long _bytesPulled;
    private int _stored;
    private int _verified;
    private int _released;
    private int _mismatches;
    private int _held;
    private int _cloudVerified;

    public long BytesPulled => Interlocked.Read(ref _bytesPulled);
    public int ClipsStored => Volatile.Read(ref _stored);
    public int ClipsVerified => Volatile.Read(ref _verified);
    public int ClipsReleased => Volatile.Read(ref _released);
    public int HashMismatches => Volatile.Read(ref _mismatches);

    /// <summary>Whole copies held in quarantine because the recorder or its signature is not trusted.</summary>
    public int ClipsHeld => Volatile.Read(ref _held);

    /// <summary>Why the cloud target cannot be used right now (credentials, missing container), or null.</summary>
    public string? CloudProblem { get; private set; }

    internal void SetCloudProblem(string? problem)
    {
        CloudProblem = problem;
        Signal();
    }

    /// <summary>Clips whose cloud copy the dock verified since it started.</summary>
    public int ClipsCloudVerified => Volatile.Read(ref _cloudVerified);

    public IReadOnlyList<BaySnapshot> Bays => [.. _bays.Values.OrderBy(b => b.BayId, StringComparer.Ordinal)];

    /// <summary>Updates a bay. Per-chunk progress passes <paramref name="signal"/> false: displays refresh on
    /// their own timer, and waking every waiter 4,000 times a second would cost more than the pull.</summary>
    public void SetBay(string bayId, Func<BaySnapshot, BaySnapshot> update, bool signal = true)
    {
        _bays.AddOrUpdate(bayId, id => update(new BaySnapshot(id, BayPhase.Empty)), (_, old) => update(old));
        if (signal) Signal();
    }

    internal void AddBytes(long count)
    {
        Interlocked.Add(ref _bytesPulled, count);
        // Byte progress does not wake waiters: it changes per chunk, and displays refresh on their own timer.
    }

    internal void ClipStored() { Interlocked.Increment(ref _stored); Signal(); }
    internal void ClipVerified() { Interlocked.Increment(ref _verified); Signal(); }
    internal void ClipReleased() { Interlocked.Increment(ref _released); Signal(); }
    internal void HashMismatch() { Interlocked.Increment(ref _mismatches); Signal(); }
    internal void ClipHeld() { Interlocked.Increment(ref _held); Signal(); }
    internal void ClipCloudVerified() { Interlocked.Increment(ref _cloudVerified); Signal(); }

    /// <summary>Completes at the next change of anything here (a clip verified, a bay's phase, …).</summary>
    public Task NextChangeAsync() => _changed.Next;

    public async Task WaitUntilAsync(Func<DockActivity, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = _changed.Next;
            if (condition(this)) return;
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Signal() => _changed.Signal();
}
