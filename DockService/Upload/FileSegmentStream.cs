namespace Dock.Service.Upload;

/// <summary>
/// A read-only, seekable view of [offset, offset + length) of a vault file: one upload part. Seekable
/// because SDKs read a body twice (to sign it, then to send it) and rewind it to retry.
/// </summary>
public sealed class FileSegmentStream : Stream
{
    private readonly FileStream _file;
    private readonly long _offset;
    private readonly long _length;
    private long _position;

    public FileSegmentStream(string path, long offset, long length)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (offset < 0 || length < 0 || offset + length > _file.Length)
        {
            _file.Dispose();
            throw new ArgumentOutOfRangeException(nameof(length), $"[{offset}, {offset + length}) is outside {path} ({_file.Length} bytes).");
        }
        _offset = offset;
        _length = length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = (int)Math.Min(buffer.Length, Math.Max(0, _length - _position));
        if (n == 0) return 0;
        n = RandomAccess.Read(_file.SafeFileHandle, buffer[..n], _offset + _position);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = (int)Math.Min(buffer.Length, Math.Max(0, _length - _position));
        if (n == 0) return 0;
        n = await RandomAccess.ReadAsync(_file.SafeFileHandle, buffer[..n], _offset + _position, cancellationToken);
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _file.Dispose();
        base.Dispose(disposing);
    }
}
