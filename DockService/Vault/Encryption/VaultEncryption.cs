using Dock.Service.Configuration;

namespace Dock.Service.Vault.Encryption;

/// <summary>The vault's key-encryption keys as configured: the key file (Dock:Vault:KeyFile) first when there is one, then the one
/// derived from the dock key; new data keys are wrapped by the first, and either opens what it wrapped.</summary>
public static class VaultEncryption
{
    public static VaultKeys Keys(ClipVault vault, VaultOptions options, Func<byte[], byte[]> signWithDockKey)
    {
        var keks = new List<KeyEncryptionKey>();
        if (!string.IsNullOrWhiteSpace(options.KeyFile)) keks.Add(KeyEncryptionKey.FromFile(Path.Combine(vault.DataDirectory, options.KeyFile)));
        keks.Add(KeyEncryptionKey.FromDockKey(signWithDockKey));
        return new VaultKeys(vault.Root, keks);
    }

    /// <summary>Gives <paramref name="vault"/> its keys, and whether new clips are encrypted.</summary>
    public static ClipVault Configure(ClipVault vault, VaultOptions options, Func<byte[], byte[]> signWithDockKey)
    {
        vault.Keys = Keys(vault, options, signWithDockKey);
        vault.EncryptNew = options.Encryption;
        return vault;
    }
}

/// <summary>
/// Encrypts a plaintext vault copy where it lies (a clip marked secret: R6 asks for it whatever Dock:Vault:Encryption says). The encrypted
/// copy is written beside it, checked by decrypting it against the clip's SHA-256, made durable, and only then renamed over the plaintext:
/// at no moment is there no whole, verified copy. Returns false when there is nothing to do (no vault copy, or encrypted already).
/// </summary>
public static class VaultReencryption
{
    public static async Task<bool> EncryptAsync(ClipVault vault, string relativePath, string sha256, CancellationToken cancellationToken)
    {
        if (vault.Keys is not { } keys) throw new VaultKeyException("this vault has no keys configured: it cannot encrypt.");
        var path = vault.Resolve(relativePath);
        if (!File.Exists(path) || vault.EncryptedId(path) is not null) return false;
        var temp = Path.Combine(vault.Root, "partial", $"reencrypt-{Guid.NewGuid():N}.part");
        Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
        try
        {
            var (fileId, key) = keys.Create();
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0))
            using (var writer = EncryptedWriter.Create(output, key, fileId))
            {
                await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) writer.Write(buffer.AsSpan(0, read));
                writer.Complete();
                output.Flush(flushToDisk: true);
            }
            var check = Crypto.Hashing.Sha256.ToHex(await vault.HashAsync(temp, cancellationToken).ConfigureAwait(false));
            if (check != sha256)
                throw new VaultDecryptionException($"the encrypted copy of {relativePath} reads back as {check}, not {sha256}: the plaintext copy is kept.");
            File.Move(temp, path, overwrite: true);
            ClipVault.FsyncDirectory(Path.GetDirectoryName(path)!);
            return true;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
