using System.Runtime.InteropServices;
using Dock.Crypto.Hashing;
using Dock.Service.Vault.Encryption;

namespace Dock.Service.Vault;

/// <summary>
/// Clip files on local disk. A clip is written under <c>partial/</c>, flushed, then atomically
/// renamed into <c>clips/{serial}/{clipId}</c> and the directory is fsynced, so after a crash a
/// final name always holds a complete file. Bad copies are moved to <c>quarantine/</c>, never deleted.
/// </summary>
/// <remarks>
/// Evidence and the dock's own files never share a folder: <c>clips/</c> holds only recorders' bytes, and the dock's
/// manifests and signatures live in <c>manifests/</c> at the same relative path, so no name a recorder chooses can
/// address a dock file (a clip named "X.manifest.json" once replaced X's proof). Serials and clip ids are written through
/// <see cref="SafeName"/>, so names that differ only in case, end in a dot or name a Windows device stay apart everywhere.
/// </remarks>
public sealed partial class ClipVault
{
    public ClipVault(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        Root = Path.Combine(DataDirectory, "vault");
        Directory.CreateDirectory(Path.Combine(Root, "clips"));
        Directory.CreateDirectory(Path.Combine(Root, "partial"));
        Directory.CreateDirectory(Path.Combine(Root, "quarantine"));
        Directory.CreateDirectory(Path.Combine(Root, "manifests"));
    }

    public string DataDirectory { get; }
    public string Root { get; }

    /// <summary>The path stored in the catalog: relative to the data directory, so a data folder can move.</summary>
    public static string RelativeFinalPath(string serial, string clipId) => Path.Combine("vault", "clips", SafeName.Encode(serial), SafeName.Encode(clipId));

    /// <summary>The clip's dock-signed manifest (relative to the data directory); its signature is this path + ".sig".</summary>
    public static string RelativeManifestPath(string serial, string clipId) =>
        Path.Combine("vault", "manifests", SafeName.Encode(serial), SafeName.Encode(clipId) + ManifestSuffix);

    public const string ManifestSuffix = ".manifest.json";
    public const string SignatureSuffix = ".sig";

    public string FinalPath(string serial, string clipId) => Path.Combine(DataDirectory, RelativeFinalPath(serial, clipId));

    public string ManifestPath(string serial, string clipId) => Path.Combine(DataDirectory, RelativeManifestPath(serial, clipId));

    public string PartialPath(string serial, string clipId) => Path.Combine(Root, "partial", SafeName.Encode(serial), SafeName.Encode(clipId) + ".part");

    public string Resolve(string relativePath) => Path.Combine(DataDirectory, relativePath);

    /// <summary>Bytes the dock's user may still write on the vault's file system.</summary>
    public long FreeBytes() => new DriveInfo(Root).AvailableFreeSpace;

    /// <summary>The data keys of encrypted clips; null: this vault neither writes nor reads encrypted clips (tests, tools without the dock key).</summary>
    public VaultKeys? Keys { get; set; }

    /// <summary>New clips are written encrypted (Dock:Vault:Encryption); clips already stored stay as they are, and both are read alike.</summary>
    public bool EncryptNew { get; set; }

    /// <summary>
    /// Opens the partial file for a pull resuming at <paramref name="durableBytes"/> (what the catalog
    /// knows was flushed). Anything past it is cut off: it was never confirmed durable. An encrypted partial resumes encrypted, a plain
    /// one plain (encryption switched on mid-pull applies from the next clip); a new one is encrypted when <see cref="EncryptNew"/>.
    /// </summary>
    public PartialClip OpenPartial(string serial, string clipId, long durableBytes)
    {
        var path = PartialPath(serial, clipId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            BufferSize = 0, // Chunks are already 256 KiB: write them straight through, no second copy.
            Options = FileOptions.SequentialScan, // Written synchronously from the pull loop (see ClipIngestor).
        });
        try
        {
            if (Keys is { } keys)
            {
                var header = new byte[ChunkedAead.HeaderSize];
                var fileId = stream.Length >= ChunkedAead.HeaderSize && stream.Read(header) == header.Length ? ChunkedAead.FileIdOf(header) : null;
                if (fileId is not null && keys.Has(fileId) && durableBytes > 0)
                {
                    var writer = EncryptedWriter.Resume(stream, keys.Open(fileId), fileId, durableBytes);
                    return new PartialClip(path, stream, writer.Position, writer);
                }
                if (EncryptNew && (durableBytes == 0 || fileId is not null))
                {
                    // The data key is on disk (wrapped) before the first encrypted byte: no ciphertext ever lacks its key file.
                    var (id, key) = keys.Create();
                    return new PartialClip(path, stream, 0, EncryptedWriter.Create(stream, key, id));
                }
            }
            long resumeAt = Math.Min(stream.Length, durableBytes);
            stream.SetLength(resumeAt);
            stream.Position = resumeAt;
            return new PartialClip(path, stream, resumeAt);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The encrypted clip's file id when <paramref name="path"/> is one this vault holds the key of; null for a plain clip.</summary>
    public byte[]? EncryptedId(string path) =>
        Keys is { } keys && ChunkedAead.FileIdOf(path) is { } id && keys.Has(id) ? id : null;

    /// <summary>Reads plaintext [offset, offset + length) of a vault file, encrypted or not: every reader of clip bytes (re-read, upload,
    /// playback, export, verify) goes through here, so none can forget to decrypt. Seekable, for SDKs that rewind a body to retry.</summary>
    public Stream OpenRead(string path, long offset = 0, long? length = null)
    {
        if (EncryptedId(path) is { } id) return new DecryptingStream(path, Keys!.Open(id), id, offset, length);
        return new Upload.FileSegmentStream(path, offset, length ?? new FileInfo(path).Length - offset);
    }

    /// <summary>The plaintext SHA-256 of a vault file (what custody commits to, encrypted or not).</summary>
    public async Task<byte[]> HashAsync(string path, CancellationToken cancellationToken)
    {
        if (EncryptedId(path) is null) return await Sha256.HashFileAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var stream = OpenRead(path);
        return (await Sha256.HashStreamAsync(stream, cancellationToken).ConfigureAwait(false)).Hash;
    }

    /// <summary>Renames a complete, flushed partial file to its final name; fails if that name exists.</summary>
    public string Commit(PartialClip partial, string serial, string clipId)
    {
        var final = FinalPath(serial, clipId);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        File.Move(partial.Path, final, overwrite: false);
        FsyncDirectory(Path.GetDirectoryName(final)!);
        FsyncDirectory(Path.GetDirectoryName(partial.Path)!);
        return RelativeFinalPath(serial, clipId);
    }

    /// <summary>Writes a small sidecar file (manifest, signature) atomically: temp name, fsync, rename, fsync directory.</summary>
    public void WriteDurably(string relativePath, ReadOnlySpan<byte> bytes)
    {
        var path = Resolve(relativePath);
        var folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        FsyncDirectory(folder);
    }

    /// <summary>Deletes a purged clip's file (Retention/VaultPurge: only after its `purged` custody entry is committed) and makes the
    /// deletion durable. False when it was gone already (a purge a crash interrupted, finished now).</summary>
    public bool DeletePurged(string relativePath)
    {
        var path = Resolve(relativePath);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        FsyncDirectory(Path.GetDirectoryName(path)!);
        return true;
    }

    /// <summary>Moves a bad copy (partial or stored) to quarantine under a unique name; returns the new relative path.
    /// <paramref name="name"/> is the clip id, or with <paramref name="encoded"/> a file name already in the vault (a manifest).</summary>
    public string Quarantine(string absolutePath, string serial, string name, DateTimeOffset at, bool encoded = false)
    {
        var folder = Path.Combine(Root, "quarantine", SafeName.Encode(serial));
        Directory.CreateDirectory(folder);
        if (!encoded) name = SafeName.Encode(name);
        var target = Path.Combine(folder, $"{name}.{at:yyyyMMddTHHmmssfffZ}.bad");
        for (int n = 1; File.Exists(target); n++)
            target = Path.Combine(folder, $"{name}.{at:yyyyMMddTHHmmssfffZ}-{n}.bad");
        File.Move(absolutePath, target, overwrite: false);
        FsyncDirectory(folder);
        return Path.GetRelativePath(DataDirectory, target);
    }

    /// <summary>fsync(2) on an open file, callable while another thread keeps writing to it (unlike
    /// FileStream.Flush, which is not thread-safe). Everything written before the call is durable after it.</summary>
    internal static void FsyncFile(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (fsync((int)handle.DangerousGetHandle()) != 0)
                throw new IOException($"fsync failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Makes a rename durable: on Linux a rename is only on disk once its directory is fsynced.</summary>
    internal static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // NTFS journals the rename itself.
        int fd = open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"Cannot open {directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (fsync(fd) != 0) throw new IOException($"fsync of {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}

/// <summary>A clip being written: the open file and the offset it resumed from.</summary>
public sealed class PartialClip(string path, FileStream stream, long resumedAt, EncryptedWriter? encrypted = null) : IAsyncDisposable
{
    public string Path { get; } = path;
    public long ResumedAt { get; } = resumedAt;
    public bool Encrypted => encrypted is not null;

    /// <summary>Appends bytes as the recorder sent them (encrypted on the way when the vault encrypts).</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (encrypted is not null) encrypted.Write(data);
        else stream.Write(data);
    }

    /// <summary>Re-hashes the kept prefix of a resumed pull (its hash state is not kept across a crash); that also proves those bytes survived.</summary>
    public async Task HashResumedAsync(System.Security.Cryptography.IncrementalHash hash, CancellationToken cancellationToken)
    {
        if (encrypted is not null) encrypted.HashWritten(hash);
        else await Sha256.HashFileAsync(Path, ResumedAt, hash, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every byte is in: an encrypted file's last chunk is sealed final (a plain file needs nothing).</summary>
    public void Complete() => encrypted?.Complete();

    /// <summary>Flushes file data to the device (fsync), so a catalog checkpoint after it is truthful.</summary>
    public void FlushToDisk()
    {
        encrypted?.WriteTail();
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Starts an fsync of everything written so far and lets writing go on meanwhile, so disk
    /// write-back overlaps the transfer instead of stalling it (measured: a blocking fsync every
    /// 32 MiB cut ingest to 0.65 of the disk's write+flush rate). Await it before recording the checkpoint.
    /// An encrypted file's partial last chunk is written first, here, on the writing thread.
    /// </summary>
    public Task FlushToDiskInBackground()
    {
        encrypted?.WriteTail();
        return OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
            ? Task.Run(() => ClipVault.FsyncFile(stream.SafeFileHandle))
            : Task.Run(() => stream.Flush(flushToDisk: true)); // Elsewhere FileStream's own flush; writes wait on its lock.
    }

    public ValueTask DisposeAsync()
    {
        encrypted?.Dispose();
        return stream.DisposeAsync();
    }
}
