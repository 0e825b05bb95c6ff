using System.Buffers;
using System.Security.Cryptography;

namespace Dock.Crypto.Hashing;

/// <summary>
/// The one SHA-256 helper. Always the platform implementation (System.Security.Cryptography,
/// SHA-NI through OpenSSL: ~800 MB/s here, ~8x NSec's), never NSec's, for bulk data.
/// </summary>
public static class Sha256
{
    public const int Size = 32;

    /// <summary>An incremental hasher, for hashing bytes while they stream to disk.</summary>
    public static IncrementalHash CreateIncremental() => IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public static byte[] Hash(ReadOnlySpan<byte> data) => SHA256.HashData(data);

    /// <summary>Hashes a file's first <paramref name="length"/> bytes (all when null), reading sequentially.</summary>
    public static async Task<byte[]> HashFileAsync(string path, long? length = null, IncrementalHash? into = null,
        CancellationToken cancellationToken = default)
    {
        const int BufferSize = 1024 * 1024;
        var hash = into ?? CreateIncremental();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan | FileOptions.Asynchronous);
            await using var fileScope = file.ConfigureAwait(false);
            long remaining = length ?? long.MaxValue;
            while (remaining > 0)
            {
                int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(BufferSize, remaining)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    if (length is not null)
                        throw new IOException($"{path} is shorter than the expected {length} bytes.");
                    break;
                }
                hash.AppendData(buffer, 0, read);
                remaining -= read;
            }
            return into is null ? hash.GetHashAndReset() : [];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (into is null) hash.Dispose();
        }
    }

    /// <summary>Lowercase hex, the form used in the catalog, the CLI and manifests.</summary>
    /// <summary>Hashes a stream to its end (e.g. an object read back from a store); returns the hash and the byte count.</summary>
    public static async Task<(byte[] Hash, long Length)> HashStreamAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        using var hash = CreateIncremental();
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            total += n;
        }
        return (hash.GetHashAndReset(), total);
    }

    public static string ToHex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash);

    public static bool TryParseHex(string? hex, out byte[] hash) => Hex.TryParse(hex, Size, out hash);
}
