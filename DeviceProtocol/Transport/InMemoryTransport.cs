using System.IO.Pipelines;

namespace Dock.DeviceProtocol.Transport;

/// <summary>
/// Two connected in-memory transports, for unit tests of framing and sessions. Each direction is a
/// <see cref="Pipe"/> with a bounded buffer, so a slow reader applies back-pressure like a socket.
/// </summary>
public static class InMemoryTransport
{
    public static (IDockLinkTransport Host, IDockLinkTransport Device) CreatePair(long maxBufferedBytes = 4 * 1024 * 1024)
    {
        var options = new PipeOptions(pauseWriterThreshold: maxBufferedBytes, resumeWriterThreshold: maxBufferedBytes / 2,
            useSynchronizationContext: false);
        var toDevice = new Pipe(options);
        var toHost = new Pipe(options);
        var host = new StreamTransport(new DuplexPipeStream(toHost.Reader, toDevice.Writer), "memory://host");
        var device = new StreamTransport(new DuplexPipeStream(toDevice.Reader, toHost.Writer), "memory://device");
        return (host, device);
    }

    private sealed class DuplexPipeStream(PipeReader reader, PipeWriter writer) : Stream
    {
        private readonly Stream _read = reader.AsStream();
        private readonly Stream _write = writer.AsStream();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _read.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _write.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => _write.FlushAsync(cancellationToken);
        public override void Flush() => _write.Flush();
        public override int Read(byte[] buffer, int offset, int count) => _read.Read(buffer, offset, count);
        public override void Write(byte[] buffer, int offset, int count) => _write.Write(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Completing both ends makes the peer see end-of-stream, like a closed socket.
                reader.Complete();
                writer.Complete();
            }
            base.Dispose(disposing);
        }
    }
}
