namespace Dock.DeviceProtocol.Framing;

/// <summary>What the reader found next. Damage is reported as a value, not an exception, because a
/// noisy serial line is normal and the session must keep going (the dotnet/iot pattern).</summary>
public enum FrameReadStatus
{
    /// <summary>A whole, CRC-checked frame.</summary>
    Frame,
    /// <summary>A valid header whose payload failed its CRC: the request id in <see cref="FrameReadResult.Header"/> can be answered or retried.</summary>
    CorruptPayload,
    /// <summary>A valid header announcing a payload above the receive limit. Nothing was allocated; the reader resynchronised.</summary>
    Oversize,
}

public readonly record struct FrameReadResult(FrameReadStatus Status, FrameHeader Header, Frame? Frame);

/// <summary>Counters a session exposes for diagnostics (and tests).</summary>
public sealed class FrameReaderStats
{
    private long _garbageBytes;
    private long _corruptPayloads;
    private long _oversizeHeaders;
    private long _frames;

    public long GarbageBytes => Interlocked.Read(ref _garbageBytes);
    public long CorruptPayloads => Interlocked.Read(ref _corruptPayloads);
    public long OversizeHeaders => Interlocked.Read(ref _oversizeHeaders);
    public long Frames => Interlocked.Read(ref _frames);

    internal void AddGarbage(long n) => Interlocked.Add(ref _garbageBytes, n);
    internal void AddCorrupt() => Interlocked.Increment(ref _corruptPayloads);
    internal void AddOversize() => Interlocked.Increment(ref _oversizeHeaders);
    internal void AddFrame() => Interlocked.Increment(ref _frames);
}
