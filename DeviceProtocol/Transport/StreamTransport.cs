using System.Net.Sockets;
using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Transport;

/// <summary>
/// A transport over any <see cref="Stream"/>. This is the exception boundary: I/O and socket
/// errors become <see cref="DockLinkException"/> ConnectionLost; cancellation passes through.
/// </summary>
public class StreamTransport : IDockLinkTransport
{
    private readonly Stream _stream;
    private readonly IAsyncDisposable? _owner;
    private int _disposed;

    public StreamTransport(Stream stream, string endpoint, IAsyncDisposable? owner = null)
    {
        _stream = stream;
        _owner = owner;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
        {
            throw DockLinkErrors.ConnectionLost($"reading from {Endpoint} failed ({ex.Message})", ex);
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransportFailure(ex, cancellationToken))
        {
            throw DockLinkErrors.ConnectionLost($"writing to {Endpoint} failed ({ex.Message})", ex);
        }
    }

    private bool IsTransportFailure(Exception ex, CancellationToken cancellationToken) =>
        ex switch
        {
            OperationCanceledException when cancellationToken.IsCancellationRequested => false,
            // A stream disposed under a pending read (link torn down) surfaces as one of these.
            OperationCanceledException or ObjectDisposedException => true,
            IOException or SocketException or UnauthorizedAccessException or InvalidOperationException => true,
            _ => Volatile.Read(ref _disposed) != 0,
        };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (_owner is not null) await _owner.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
