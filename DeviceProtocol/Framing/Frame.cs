using System.Buffers;

namespace Dock.DeviceProtocol.Framing;

/// <summary>
/// A received frame whose header and payload CRCs both checked out. The payload lives in a
/// pooled buffer: dispose the frame (or the message decoded from it) when done.
/// </summary>
public sealed class Frame : IDisposable
{
    private byte[]? _rented;

    internal Frame(byte type, uint requestId, ReadOnlySpan<byte> payload)
    {
        Type = type;
        RequestId = requestId;
        _rented = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(_rented);
        Length = payload.Length;
    }

    public byte Type { get; }
    public uint RequestId { get; }
    public int Length { get; }

    public ReadOnlyMemory<byte> Payload =>
        _rented is { } buffer ? buffer.AsMemory(0, Length) : throw new ObjectDisposedException(nameof(Frame));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } buffer)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}
