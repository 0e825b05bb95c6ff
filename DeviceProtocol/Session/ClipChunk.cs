using Dock.DeviceProtocol.Framing;

namespace Dock.DeviceProtocol.Session;

/// <summary>Bytes of a clip at an offset, backed by the received frame's pooled buffer. Dispose after use.</summary>
public sealed class ClipChunk : IDisposable
{
    private readonly Frame _frame;

    internal ClipChunk(Frame frame, long offset, ReadOnlyMemory<byte> data)
    {
        _frame = frame;
        Offset = offset;
        Data = data;
    }

    public long Offset { get; }
    public ReadOnlyMemory<byte> Data { get; }

    public void Dispose() => _frame.Dispose();
}
