namespace Dock.Simulator.Recorders;

/// <summary>
/// Faults a test arms on a recorder. Each one-shot fault fires once and disarms, so the retry that
/// follows sees a healthy recorder, as after a real glitch.
/// </summary>
public sealed class RecorderFaults
{
    private long _disconnectAfterBytes = -1;
    private long _corruptDataAfterBytes = -1;

    /// <summary>Cut the link once this many more bytes have been written to it, mid-frame (a yanked cable).</summary>
    public void DisconnectAfter(long bytes) => Interlocked.Exchange(ref _disconnectAfterBytes, bytes);

    /// <summary>Flip one bit of clip data once this many more clip bytes have been served. The frame CRC
    /// is computed after the flip, so only the end-to-end SHA-256 can catch it.</summary>
    public void CorruptDataAfter(long bytes) => Interlocked.Exchange(ref _corruptDataAfterBytes, bytes);

    /// <summary>Stop answering READ_CLIP (a stalled device) until cleared.</summary>
    public bool StallReads { get; set; }

    private int _stalledReads;

    /// <summary>READ_CLIPs that hit the stall: a test waits for this instead of sleeping.</summary>
    public int StalledReads => Volatile.Read(ref _stalledReads);

    internal void NoteStall() => Interlocked.Increment(ref _stalledReads);

    /// <summary>For a write of <paramref name="wanted"/> bytes: null to write it all, or how many bytes to
    /// write before cutting the link (the armed disconnect fires and disarms).</summary>
    internal long? TakeLinkBudget(int wanted)
    {
        while (true)
        {
            long current = Interlocked.Read(ref _disconnectAfterBytes);
            if (current < 0) return null;
            if (current > wanted)
            {
                if (Interlocked.CompareExchange(ref _disconnectAfterBytes, current - wanted, current) == current) return null;
                continue;
            }
            if (Interlocked.CompareExchange(ref _disconnectAfterBytes, -1, current) == current) return current;
        }
    }

    /// <summary>Index within a chunk of <paramref name="length"/> bytes to corrupt, or -1.</summary>
    internal int TakeCorruption(int length)
    {
        while (true)
        {
            long current = Interlocked.Read(ref _corruptDataAfterBytes);
            if (current < 0) return -1;
            if (current >= length)
            {
                if (Interlocked.CompareExchange(ref _corruptDataAfterBytes, current - length, current) == current) return -1;
                continue;
            }
            if (Interlocked.CompareExchange(ref _corruptDataAfterBytes, -1, current) == current) return (int)current;
        }
    }
}
