using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Tests.Support;

/// <summary>Wraps a real transport to record what is written, or to damage one large write once
/// after its CRC was computed (a bit flipped on the wire).</summary>
public sealed class TapTransport(IDockLinkTransport inner, bool flipOneLargeWrite = false) : IDockLinkTransport
{
    private int _flipped;

    public List<byte[]> Written { get; } = [];
    public string Endpoint => inner.Endpoint;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => inner.ReadAsync(buffer, cancellationToken);

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var copy = data.ToArray();
        lock (Written) Written.Add(copy);
        if (flipOneLargeWrite && copy.Length > 1000 && Interlocked.Exchange(ref _flipped, 1) == 0)
        {
            copy[500] ^= 0x08;
            return inner.WriteAsync(copy, cancellationToken);
        }
        return inner.WriteAsync(data, cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
