using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dock.Service.Upload;

namespace Dock.Service.Fleet;

/// <summary>
/// The firmware images a dock holds for its recorders (DATA/fleet/firmware/SHA256.bin), each checked against the SHA-256 the signed bundle names
/// before it is kept, and again (once per process and file) before it is sent: an image is only ever used by the hash the agency signed.
/// Images come from the fleet store (PREFIX/fleet/firmware/SHA256.bin, fetched when a bundle that names them is applied) or, for an air-gapped
/// site, from a <c>firmware/</c> folder beside the bundle file given to <c>dock fleet apply</c>.
/// </summary>
public sealed class FirmwareImages(string dataDirectory)
{
    private readonly ConcurrentDictionary<string, (long Length, DateTime Written)> _checked = new(StringComparer.Ordinal);

    public string Directory { get; } = Path.Combine(dataDirectory, "fleet", "firmware");

    public string PathOf(string sha256) => Path.Combine(Directory, sha256 + ".bin");

    /// <summary>The folder beside a bundle file where `dock fleet firmware add` puts images and `dock fleet publish` / `apply` find them.</summary>
    public static string BesideBundle(string bundleFile) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(bundleFile))!, "firmware");

    /// <summary>The image's file once it is here and hashes to its SHA-256; null when it is not here (yet). A file that does not match is
    /// deleted (it is only a cache; the store or the USB stick still has the image).</summary>
    public async Task<string?> VerifiedAsync(FirmwareImage image, CancellationToken cancellationToken)
    {
        var path = PathOf(image.Sha256);
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        if (_checked.TryGetValue(path, out var seen) && seen == (info.Length, info.LastWriteTimeUtc)) return path;
        if (info.Length == image.Size && await HashFileAsync(path, cancellationToken).ConfigureAwait(false) == image.Sha256)
        {
            _checked[path] = (info.Length, info.LastWriteTimeUtc);
            return path;
        }
        File.Delete(path);
        return null;
    }

    /// <summary>Fetches every image of <paramref name="images"/> not yet here from the fleet store, streamed to a partial file, hashed, and kept
    /// only when it matches. Returns the problems (one per image that could not be had now); the next look tries again.</summary>
    public async Task<IReadOnlyList<string>> FetchMissingAsync(FleetStore store, IEnumerable<FirmwareImage> images, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var image in images)
        {
            if (await VerifiedAsync(image, cancellationToken).ConfigureAwait(false) is not null) continue;
            try
            {
                await using var source = await store.Target.OpenReadAsync(store.FirmwareKey(image.Sha256), 0, image.Size, cancellationToken).ConfigureAwait(false);
                await KeepAsync(image, source, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is CloudException or IOException or InvalidDataException)
            {
                problems.Add($"{image.Model} {image.Version}: {ex.Message}");
            }
        }
        return problems;
    }

    /// <summary>Copies the images a bundle names from <paramref name="folder"/> (SHA256.bin each), for an air-gapped `dock fleet apply`. Returns
    /// the images not found there or not matching.</summary>
    public async Task<IReadOnlyList<string>> ImportAsync(string folder, IEnumerable<FirmwareImage> images, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        foreach (var image in images)
        {
            if (await VerifiedAsync(image, cancellationToken).ConfigureAwait(false) is not null) continue;
            var from = Path.Combine(folder, image.Sha256 + ".bin");
            if (!File.Exists(from))
            {
                missing.Add($"{image.Model} {image.Version}: {from} is not there");
                continue;
            }
            try
            {
                await using var source = File.OpenRead(from);
                await KeepAsync(image, source, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                missing.Add($"{image.Model} {image.Version}: {ex.Message}");
            }
        }
        return missing;
    }

    private async Task KeepAsync(FirmwareImage image, Stream source, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(image.Sha256);
        var part = path + ".part";
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            await using (var file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    // Never more than the bundle says: a store (or a stick) that gives more is not giving this image.
                    if (total > image.Size) break;
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                if (total != image.Size)
                {
                    File.Delete(part);
                    throw new InvalidDataException($"the image has {(total > image.Size ? "more than" : total.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes, not the {image.Size} the bundle names");
                }
            }
            if (Convert.ToHexStringLower(hash.GetHashAndReset()) != image.Sha256)
            {
                File.Delete(part);
                throw new InvalidDataException($"the image's bytes do not hash to {image.Sha256}, the SHA-256 the bundle names");
            }
        }
        File.Move(part, path, overwrite: true);
    }

    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
    }
}
