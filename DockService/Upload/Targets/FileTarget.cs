using System.Text.Json;
using Dock.Crypto.Hashing;

namespace Dock.Service.Upload.Targets;

/// <summary>
/// A local folder (or a mounted NAS share) as the cloud: the embedded default of `dock demo`. Objects are
/// written to a temporary name, flushed and renamed, with their metadata in a "~meta.json" beside them;
/// verification re-reads the file. Parts are not needed for a local disk: a restart rewrites the object.
/// </summary>
/// <remarks>
/// Key segments are written through <see cref="Vault.SafeName"/> (a share may be NTFS or case-insensitive), and the target's
/// own files end in "~meta.json" and "~uploading": no encoded segment can end so, so no object a recorder names is one of them.
/// </remarks>
public sealed class FileTarget(string root) : ICloudTarget
{
    public string Description => $"file:{root}";
    public bool SupportsParts => false;
    public bool ChecksumsParts => false;

    public Task CheckAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
            throw new CloudException(CloudFailure.MissingContainer, $"The cloud folder {root} does not exist; create it (the dock does not create its target).");
        return Task.CompletedTask;
    }

    public async Task<StoredObject?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return null;
        string? sha = null;
        if (File.Exists(path + MetaSuffix))
        {
            try
            {
                sha = JsonSerializer.Deserialize<Dictionary<string, string>>(await File.ReadAllTextAsync(path + MetaSuffix, cancellationToken))?.GetValueOrDefault("sha256");
            }
            catch (JsonException)
            {
                // Unreadable metadata: treat as carrying no hash; the upload then rewrites it.
            }
        }
        return new StoredObject(new FileInfo(path).Length, sha);
    }

    public async Task PutAsync(string key, Stream content, long length, ObjectMetadata metadata, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        // The folder (a NAS mount, say) must be there: creating it would put the "cloud" copy on the dock's own disk when the
        // share is not mounted. Only the folders below it are the dock's to make.
        if (!Directory.Exists(root))
            throw new CloudException(CloudFailure.MissingContainer, $"The cloud folder {root} does not exist (an unmounted share?); create or mount it " +
                "(the dock does not create its target).");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + TemporarySuffix;
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, 1 << 20, cancellationToken);
                if (file.Length != length) throw new CloudException(CloudFailure.Transient, $"wrote {file.Length} bytes of {key}, expected {length}");
                file.Flush(flushToDisk: true);
            }
            await File.WriteAllTextAsync(path + MetaSuffix, JsonSerializer.Serialize(metadata.ToDictionary()), cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CloudException(ex is UnauthorizedAccessException ? CloudFailure.Credentials : CloudFailure.Transient,
                $"Writing {key} to {root} failed: {ex.Message}", ex);
        }
    }

    public Task<string> BeginPartsAsync(string key, ObjectMetadata metadata, CancellationToken cancellationToken) =>
        throw new NotSupportedException("A folder target takes whole objects.");

    public Task<string> UploadPartAsync(string key, string uploadId, int partNumber, Stream content, long length, byte[] partSha256,
        CancellationToken cancellationToken) => throw new NotSupportedException("A folder target takes whole objects.");

    public Task CompletePartsAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string Receipt)> parts, ObjectMetadata metadata,
        CancellationToken cancellationToken) => throw new NotSupportedException("A folder target takes whole objects.");

    public async Task<CloudVerification> VerifyAsync(string key, long size, string sha256, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return new CloudVerification(false, "the file is missing", null);
        var found = Sha256.ToHex(await Sha256.HashFileAsync(path, cancellationToken: cancellationToken));
        return new CloudVerification(found == sha256 && new FileInfo(path).Length == size, "re-read from the folder", found);
    }

    public Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) throw new CloudException(CloudFailure.Rejected, $"{key} is not in the cloud folder {root}.");
        var size = new FileInfo(path).Length;
        var start = Math.Clamp(offset, 0, size);
        return Task.FromResult<Stream>(new FileSegmentStream(path, start, Math.Clamp(length, 0, size - start)));
    }

    /// <summary>The ETag of a file is its size and last write time: what a web server's would be, and enough to tell a rewrite (a rename
    /// over it) without reading it.</summary>
    public async Task<FetchResult> FetchAsync(string key, string? ifNoneMatch, int maxBytes, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(key));
        if (!info.Exists) return FetchResult.Missing;
        var etag = $"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}\"";
        if (etag == ifNoneMatch) return FetchResult.NotModified;
        if (info.Length > maxBytes) throw new CloudException(CloudFailure.Rejected, $"{key} is {info.Length} bytes, more than the {maxBytes} expected of it.");
        try
        {
            return new FetchResult(FetchStatus.Found, await File.ReadAllBytesAsync(info.FullName, cancellationToken), etag);
        }
        catch (FileNotFoundException)
        {
            return FetchResult.Missing;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CloudException(CloudFailure.Transient, $"Reading {key} from {root} failed: {ex.Message}", ex);
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(string prefix, int max, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        if (Directory.Exists(root))
        {
            foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                if (path.EndsWith(MetaSuffix, StringComparison.Ordinal) || path.EndsWith(TemporarySuffix, StringComparison.Ordinal)) continue;
                var segments = Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar).Select(Vault.SafeName.Decode).ToList();
                if (segments.Any(s => s is null)) continue;
                var key = string.Join('/', segments);
                if (key.StartsWith(prefix, StringComparison.Ordinal)) keys.Add(key);
            }
        }
        return Task.FromResult<IReadOnlyList<string>>([.. keys.Order(StringComparer.Ordinal).Take(max)]);
    }

    public const string MetaSuffix = "~meta.json";
    public const string TemporarySuffix = "~uploading";

    private string PathOf(string key) => PathOf(root, key);

    /// <summary>The file that holds object <paramref name="key"/> in a folder target at <paramref name="root"/>.</summary>
    public static string PathOf(string root, string key) => Path.Combine([root, .. key.Split('/').Select(Vault.SafeName.Encode)]);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
