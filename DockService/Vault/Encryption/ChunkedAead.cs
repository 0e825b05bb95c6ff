using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dock.Service.Vault.Encryption;

/// <summary>An encrypted vault file that does not decrypt: a chunk altered, truncated, reordered, or the wrong key. Names the chunk.</summary>
public sealed class VaultDecryptionException(string message) : IOException(message);

/// <summary>
/// The vault's encrypted clip format (hardware-specs/vault-encryption-v1.md): AES-256-GCM in fixed chunks of 1 MiB of plaintext, so a
/// player's range is decrypted without reading the rest, and an ingest that stops resumes at the last durable chunk.
/// </summary>
/// <remarks>
/// <code>
/// header (64 bytes): "DOCKVLT1" | u8 version 1 | u8 algorithm 1 (AES-256-GCM) | u8 log2(chunk size) 20 | 5 × 0 | file id (16 random bytes) | 32 × 0
/// chunk i at 64 + i × (12 + 2^20 + 16): nonce (12 random bytes, new at every write) | ciphertext | tag (16)
/// associated data of chunk i: file id | u64le i | u8 final (1 on the last chunk of a complete file, else 0)
/// </code>
/// Only the last chunk may be shorter; a complete file's last chunk is marked final, so a file cut at a chunk boundary is noticed. The
/// last chunk of a file being written is rewritten (with a fresh random nonce) as more plaintext arrives: a nonce never meets two
/// plaintexts. The data key is the clip's own (wrapped in a key file, <see cref="VaultKeys"/>); the file id names that key file.
/// </remarks>
public static class ChunkedAead
{
    public static ReadOnlySpan<byte> Magic => "DOCKVLT1"u8;
    public const int HeaderSize = 64;
    public const int ChunkLog2 = 20;
    public const int ChunkSize = 1 << ChunkLog2;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = NonceSize + TagSize;
    public const int Stride = ChunkSize + Overhead;
    public const int FileIdSize = 16;

    public static byte[] Header(ReadOnlySpan<byte> fileId)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        header[8] = 1;
        header[9] = 1;
        header[10] = ChunkLog2;
        fileId.CopyTo(header.AsSpan(16, FileIdSize));
        return header;
    }

    /// <summary>The file id of an encrypted file's header; null when <paramref name="header"/> is not one (a plaintext clip).</summary>
    public static byte[]? FileIdOf(ReadOnlySpan<byte> header) =>
        header.Length >= HeaderSize && header[..8].SequenceEqual(Magic) && header[8] == 1 && header[9] == 1 && header[10] == ChunkLog2
            ? header.Slice(16, FileIdSize).ToArray() : null;

    public static byte[]? FileIdOf(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        Span<byte> header = stackalloc byte[HeaderSize];
        return file.Length >= HeaderSize + Overhead && file.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) == HeaderSize ? FileIdOf(header) : null;
    }

    /// <summary>Plaintext bytes in an encrypted file of <paramref name="fileLength"/> bytes (null when no layout gives that length).</summary>
    public static long? PlainLength(long fileLength)
    {
        if (fileLength < HeaderSize + Overhead) return null;
        long body = fileLength - HeaderSize, full = body / Stride, rest = body % Stride;
        if (rest is > 0 and < Overhead) return null;
        return full * ChunkSize + (rest == 0 ? 0 : rest - Overhead);
    }

    internal static void AssociatedData(Span<byte> into, ReadOnlySpan<byte> fileId, long chunk, bool final)
    {
        fileId.CopyTo(into);
        BinaryPrimitives.WriteInt64LittleEndian(into[FileIdSize..], chunk);
        into[FileIdSize + 8] = final ? (byte)1 : (byte)0;
    }

    internal const int AadSize = FileIdSize + 8 + 1;

    /// <summary>Seals one chunk into <paramref name="record"/> (nonce | ciphertext | tag); returns the record's length.</summary>
    internal static int Seal(AesGcm aes, ReadOnlySpan<byte> fileId, long chunk, bool final, ReadOnlySpan<byte> plain, Span<byte> record)
    {
        Span<byte> aad = stackalloc byte[AadSize];
        AssociatedData(aad, fileId, chunk, final);
        var nonce = record[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        aes.Encrypt(nonce, plain, record.Slice(NonceSize, plain.Length), record.Slice(NonceSize + plain.Length, TagSize), aad);
        return plain.Length + Overhead;
    }

    /// <summary>Opens one chunk's record into <paramref name="plain"/>; false when it does not authenticate as chunk <paramref name="chunk"/>.</summary>
    internal static bool TryOpen(AesGcm aes, ReadOnlySpan<byte> fileId, long chunk, bool final, ReadOnlySpan<byte> record, Span<byte> plain)
    {
        Span<byte> aad = stackalloc byte[AadSize];
        AssociatedData(aad, fileId, chunk, final);
        int length = record.Length - Overhead;
        try
        {
            aes.Decrypt(record[..NonceSize], record.Slice(NonceSize, length), record.Slice(NonceSize + length, TagSize), plain[..length], aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}

/// <summary>
/// Writes a clip into the encrypted format as it streams in: whole chunks as they fill, and on every flush the partial last chunk
/// (rewritten with a fresh nonce as it grows), so what the catalog calls durable is on disk and decrypts. Resumes a file cut anywhere:
/// the bytes past <c>durable</c> are dropped and the last chunk is decrypted back into the buffer.
/// </summary>
public sealed class EncryptedWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly AesGcm _aes;
    private readonly byte[] _fileId;
    private readonly byte[] _plain = new byte[ChunkedAead.ChunkSize];
    private readonly byte[] _record = new byte[ChunkedAead.Stride];
    private int _buffered;
    private long _chunk;
    private bool _completed;

    private EncryptedWriter(FileStream file, byte[] key, byte[] fileId)
    {
        _file = file;
        _aes = new AesGcm(key, ChunkedAead.TagSize);
        _fileId = fileId;
    }

    public FileStream File => _file;

    /// <summary>Plaintext bytes written so far.</summary>
    public long Position => _chunk * ChunkedAead.ChunkSize + _buffered;

    /// <summary>Starts a new encrypted file in <paramref name="file"/> (empty).</summary>
    public static EncryptedWriter Create(FileStream file, byte[] key, byte[] fileId)
    {
        file.SetLength(0);
        file.Write(ChunkedAead.Header(fileId));
        return new EncryptedWriter(file, key, fileId);
    }

    /// <summary>Resumes <paramref name="file"/> at plaintext offset min(<paramref name="durable"/>, what decrypts); returns the writer at it.</summary>
    public static EncryptedWriter Resume(FileStream file, byte[] key, byte[] fileId, long durable)
    {
        var writer = new EncryptedWriter(file, key, fileId);
        var onDisk = ChunkedAead.PlainLength(file.Length) ?? ChunkedAead.PlainLength(file.Length - (file.Length - ChunkedAead.HeaderSize) % ChunkedAead.Stride) ?? 0;
        long keep = Math.Clamp(durable, 0, onDisk);
        writer._chunk = keep / ChunkedAead.ChunkSize;
        int tail = (int)(keep % ChunkedAead.ChunkSize);
        long at = ChunkedAead.HeaderSize + writer._chunk * ChunkedAead.Stride;
        if (tail > 0)
        {
            // The last kept chunk was sealed when it held at least `tail` bytes: read it back and keep its first `tail` bytes. It is the
            // one record rewritten in place as a pull grows, so a crash in the middle of a rewrite can tear it: then the pull resumes
            // from the chunk's start (those bytes come again from the recorder) instead of failing at every attempt. Full chunks are
            // written once, never rewritten, so what precedes it stands.
            try
            {
                writer.ReadChunk(writer._chunk, (int)Math.Min(ChunkedAead.Stride, file.Length - at));
                writer._buffered = tail;
            }
            catch (Exception ex) when (ex is VaultDecryptionException or EndOfStreamException)
            {
                writer._buffered = 0;
            }
        }
        file.SetLength(at);
        file.Position = at;
        return writer;
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        if (_completed) throw new InvalidOperationException("the encrypted file is complete: nothing more may be written to it.");
        while (data.Length > 0)
        {
            int take = Math.Min(data.Length, ChunkedAead.ChunkSize - _buffered);
            data[..take].CopyTo(_plain.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
            if (_buffered == ChunkedAead.ChunkSize) SealFull();
        }
    }

    /// <summary>A full chunk goes to disk at once, and is never rewritten: the next chunk starts empty.</summary>
    private void SealFull()
    {
        WriteRecord(final: false);
        _chunk++;
        _buffered = 0;
    }

    /// <summary>Writes the partial last chunk (not final), so everything written so far is on disk before an fsync.</summary>
    public void WriteTail()
    {
        // After Complete the last chunk on disk is the final one: a flush must not seal it again as not final.
        if (_buffered > 0 && !_completed) WriteRecord(final: false);
    }

    /// <summary>The end of the clip: the last chunk (maybe empty, for an empty clip) marked final, so the file cannot be cut unnoticed.</summary>
    public void Complete()
    {
        if (_buffered == 0 && _chunk > 0)
        {
            // The last full chunk must carry the mark, and was sealed as not final: decrypt it back and seal it again, final.
            _chunk--;
            ReadChunk(_chunk, ChunkedAead.Stride);
            _buffered = ChunkedAead.ChunkSize;
        }
        WriteRecord(final: true);
        _completed = true;
    }

    /// <summary>Adds the plaintext written so far to <paramref name="hash"/> (a resumed pull re-hashes what it keeps), decrypting it from disk.</summary>
    public void HashWritten(IncrementalHash hash)
    {
        var tail = _plain.AsSpan(0, _buffered).ToArray();
        for (long chunk = 0; chunk < _chunk; chunk++)
        {
            ReadChunk(chunk, ChunkedAead.Stride);
            hash.AppendData(_plain, 0, ChunkedAead.ChunkSize);
        }
        tail.CopyTo(_plain, 0);
        hash.AppendData(tail);
        _file.Position = ChunkedAead.HeaderSize + _chunk * ChunkedAead.Stride;
    }

    private void ReadChunk(long chunk, int stored)
    {
        _file.Position = ChunkedAead.HeaderSize + chunk * ChunkedAead.Stride;
        _file.ReadExactly(_record, 0, stored);
        // Sealed as not final while written; a partial file that was completed and then resumed (a crash before its rename) holds a final one.
        if (!ChunkedAead.TryOpen(_aes, _fileId, chunk, false, _record.AsSpan(0, stored), _plain)
            && !ChunkedAead.TryOpen(_aes, _fileId, chunk, true, _record.AsSpan(0, stored), _plain))
            throw new VaultDecryptionException($"chunk {chunk} of {_file.Name} does not decrypt: the partial file is damaged; the clip is pulled again.");
    }

    private void WriteRecord(bool final)
    {
        int length = ChunkedAead.Seal(_aes, _fileId, _chunk, final, _plain.AsSpan(0, _buffered), _record);
        _file.Position = ChunkedAead.HeaderSize + _chunk * ChunkedAead.Stride;
        _file.Write(_record, 0, length);
        _file.SetLength(_file.Position); // a shorter rewrite of the tail never leaves old bytes behind it
    }

    public void Dispose() => _aes.Dispose();
}

/// <summary>
/// A read-only, seekable view of plaintext [offset, offset + length) of an encrypted clip: only the chunks a read touches are read and
/// decrypted (a player's seek costs one chunk), each checked before a byte of it is returned. A chunk that fails is an error naming it.
/// </summary>
public sealed class DecryptingStream : Stream
{
    private readonly FileStream _file;
    private readonly AesGcm _aes;
    private readonly byte[] _fileId;
    private readonly long _plainLength;
    private readonly long _offset;
    private readonly long _length;
    private readonly long _lastChunk;
    private readonly byte[] _record = new byte[ChunkedAead.Stride];
    private readonly byte[] _plain = new byte[ChunkedAead.ChunkSize];
    private long _cached = -1;
    private int _cachedLength;
    private long _position;

    public DecryptingStream(string path, byte[] key, byte[] fileId, long offset = 0, long? length = null)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.RandomAccess);
        _plainLength = ChunkedAead.PlainLength(_file.Length) ?? throw Fail($"{path} is {_file.Length} bytes: no encrypted clip has that length (cut or damaged).");
        _lastChunk = _plainLength == 0 ? 0 : (_plainLength - 1) / ChunkedAead.ChunkSize;
        _aes = new AesGcm(key, ChunkedAead.TagSize);
        _fileId = fileId;
        _offset = offset;
        _length = length ?? _plainLength - offset;
        if (offset < 0 || _length < 0 || offset + _length > _plainLength)
        {
            Dispose(true);
            throw new ArgumentOutOfRangeException(nameof(length), $"[{offset}, {offset + _length}) is outside the clip's {_plainLength} bytes.");
        }
    }

    /// <summary>The whole clip's plaintext length (the view may be shorter).</summary>
    public long PlainLength => _plainLength;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int total = 0;
        while (buffer.Length > 0 && _position < _length)
        {
            long at = _offset + _position;
            long chunk = at / ChunkedAead.ChunkSize;
            Load(chunk);
            int within = (int)(at - chunk * ChunkedAead.ChunkSize);
            int take = (int)Math.Min(Math.Min(buffer.Length, _cachedLength - within), _length - _position);
            _plain.AsSpan(within, take).CopyTo(buffer);
            buffer = buffer[take..];
            _position += take;
            total += take;
        }
        return total;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Load(long chunk)
    {
        if (_cached == chunk) return;
        long at = ChunkedAead.HeaderSize + chunk * ChunkedAead.Stride;
        int stored = (int)Math.Min(ChunkedAead.Stride, _file.Length - at);
        _file.Position = at;
        _file.ReadExactly(_record, 0, stored);
        _cached = -1;
        if (!ChunkedAead.TryOpen(_aes, _fileId, chunk, chunk == _lastChunk, _record.AsSpan(0, stored), _plain))
            throw Fail($"chunk {chunk} (plaintext bytes {chunk * ChunkedAead.ChunkSize}–{chunk * ChunkedAead.ChunkSize + stored - ChunkedAead.Overhead - 1}) of " +
                $"{_file.Name} fails authentication: the encrypted vault copy was altered, cut or mixed with another, or this is not its key.");
        _cached = chunk;
        _cachedLength = stored - ChunkedAead.Overhead;
    }

    private static VaultDecryptionException Fail(string message) => new(message);

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
        if (disposing)
        {
            _file.Dispose();
            _aes?.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }
        base.Dispose(disposing);
    }
}
