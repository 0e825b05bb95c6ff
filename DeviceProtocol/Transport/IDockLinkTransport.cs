namespace Dock.DeviceProtocol.Transport;

/// <summary>
/// A duplex byte link to one recorder: TCP (USB network card, simulator), serial (CDC-ACM),
/// USB bulk, or an in-memory pair for tests. Implementations translate their own exceptions into
/// <see cref="Errors.DockLinkException"/> (ConnectionLost) and let cancellation through untouched.
/// </summary>
public interface IDockLinkTransport : IAsyncDisposable
{
    /// <summary>A human-readable endpoint for logs, e.g. <c>tcp://127.0.0.1:5001</c>.</summary>
    string Endpoint { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes; 0 means the peer closed the link.</summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="data"/> and pushes it towards the peer.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
