using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dock.Service.Vault.Encryption;

/// <summary>A key-encryption key: the secret that wraps every clip's data key, and its id (which key files name).</summary>
public sealed record KeyEncryptionKey(string Id, byte[] Secret, string Source)
{
    /// <summary>From the dock key (Ed25519, deterministic): SHA-256 of its signature over a fixed label. Only the holder of the dock's private
    /// key can compute it, so the dock key's own protection (its passphrase seal, `dock keys seal`) protects the vault too.</summary>
    public static KeyEncryptionKey FromDockKey(Func<byte[], byte[]> sign) =>
        Make(SHA256.HashData(sign("dock vault key-encryption key v1"u8.ToArray())), "the dock key");

    /// <summary>From a key file (Dock:Vault:KeyFile): 32 random bytes, as base64 text (`openssl rand -base64 32 > vault.key`) or raw.</summary>
    public static KeyEncryptionKey FromFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new VaultKeyException($"Dock:Vault:KeyFile {path} does not exist (make one: openssl rand -base64 32 > {path}).");
        if (info.Length > 256) throw new VaultKeyException($"Dock:Vault:KeyFile {path} is {info.Length} bytes: not a 32-byte key.");
        var bytes = File.ReadAllBytes(path);
        byte[] secret;
        if (bytes.Length == 32) secret = bytes;
        else
        {
            try
            {
                secret = Convert.FromBase64String(System.Text.Encoding.ASCII.GetString(bytes).Trim());
            }
            catch (FormatException)
            {
                secret = [];
            }
        }
        if (secret.Length != 32) throw new VaultKeyException($"Dock:Vault:KeyFile {path} holds no 32-byte key (raw, or base64: openssl rand -base64 32).");
        return Make(secret, $"key file {path}");
    }

    private static KeyEncryptionKey Make(byte[] secret, string source) =>
        new(Convert.ToHexStringLower(SHA256.HashData([.. "dock vault kek id"u8, .. secret]).AsSpan(0, 8)), secret, source);
}

/// <summary>A vault key cannot be made or used; the message says which and what to do.</summary>
public sealed class VaultKeyException(string message) : IOException(message);

/// <summary>
/// The data keys of encrypted clips (hardware-specs/vault-encryption-v1.md): each clip has its own random AES-256 key, kept in
/// <c>vault/keys/FILEID.key</c> wrapped (AES-256-GCM) by one or more key-encryption keys. Rotating the KEK rewraps these small files, never
/// the clips; a key file may hold wraps under two KEKs while a rotation is under way, so a crash at any point leaves one that opens.
/// </summary>
public sealed class VaultKeys(string vaultRoot, IReadOnlyList<KeyEncryptionKey> keks)
{
    public const string Format = "dock-vault-key/v1";
    public string Folder { get; } = Path.Combine(vaultRoot, "keys");

    /// <summary>The KEK new data keys are wrapped with (the first).</summary>
    public KeyEncryptionKey Current => keks[0];

    public string KeyPath(ReadOnlySpan<byte> fileId) => Path.Combine(Folder, Convert.ToHexStringLower(fileId) + ".key");

    public bool Has(ReadOnlySpan<byte> fileId) => File.Exists(KeyPath(fileId));

    /// <summary>A new data key for a new encrypted file, written durably (wrapped) before the file's first byte.</summary>
    public (byte[] FileId, byte[] Key) Create()
    {
        var fileId = RandomNumberGenerator.GetBytes(ChunkedAead.FileIdSize);
        var key = RandomNumberGenerator.GetBytes(32);
        Write(fileId, key, [Current]);
        return (fileId, key);
    }

    /// <summary>The data key of an encrypted file, unwrapped with whichever configured KEK wrapped it.</summary>
    public byte[] Open(ReadOnlySpan<byte> fileId)
    {
        var path = KeyPath(fileId);
        if (!File.Exists(path))
            throw new VaultKeyException($"no data key {path} for this encrypted vault copy: the vault's keys/ folder must travel with its clips.");
        var wraps = ReadWraps(path);
        foreach (var kek in keks)
            if (wraps.TryGetValue(kek.Id, out var wrapped) && Unwrap(kek, fileId, wrapped) is { } key) return key;
        throw new VaultKeyException($"the data key {path} is wrapped by key(s) {string.Join(", ", wraps.Keys)}; this dock has {string.Join(", ", keks.Select(k => $"{k.Id} ({k.Source})"))}. " +
            "Configure the key-encryption key it was wrapped with (Dock:Vault:KeyFile), or the dock key it was made under.");
    }

    /// <summary>Rewraps every data key so it opens with <paramref name="to"/> too (keeping the wraps it has): the first half of a rotation.</summary>
    public int AddWrap(KeyEncryptionKey to) => Rewrap(wraps => wraps.ContainsKey(to.Id) ? null : (to, true));

    /// <summary>Drops every wrap but <paramref name="keep"/>'s (the second half of a rotation, once the new KEK is the configured one).</summary>
    public int KeepOnly(KeyEncryptionKey keep) => Rewrap(wraps => wraps.Count == 1 && wraps.ContainsKey(keep.Id) ? null : (keep, false));

    /// <summary>Each key file rewritten whole (temp name, fsync, rename): a crash leaves the old file or the new, both of which open.</summary>
    private int Rewrap(Func<Dictionary<string, string>, (KeyEncryptionKey Kek, bool KeepOthers)?> choose)
    {
        if (!Directory.Exists(Folder)) return 0;
        int changed = 0;
        foreach (var path in Directory.EnumerateFiles(Folder, "*.key"))
        {
            var fileId = Convert.FromHexString(Path.GetFileNameWithoutExtension(path));
            var wraps = ReadWraps(path);
            if (choose(wraps) is not { } next) continue;
            Write(fileId, Open(fileId), [next.Kek], next.KeepOthers ? wraps : null);
            changed++;
        }
        return changed;
    }

    private void Write(byte[] fileId, byte[] key, IReadOnlyList<KeyEncryptionKey> under, IReadOnlyDictionary<string, string>? keep = null)
    {
        Directory.CreateDirectory(Folder);
        var wraps = new JsonObject();
        foreach (var (id, wrapped) in keep ?? new Dictionary<string, string>()) wraps[id] = wrapped;
        foreach (var kek in under) wraps[kek.Id] = Convert.ToBase64String(Wrap(kek, fileId, key));
        var document = new JsonObject { ["format"] = Format, ["fileId"] = Convert.ToHexStringLower(fileId), ["wraps"] = wraps };
        var path = KeyPath(fileId);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(JsonSerializer.SerializeToUtf8Bytes(document));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        ClipVault.FsyncDirectory(Folder);
    }

    private static Dictionary<string, string> ReadWraps(string path)
    {
        try
        {
            if (new FileInfo(path).Length > 16 * 1024) throw new VaultKeyException($"{path} is too large to be a data key file.");
            var document = JsonNode.Parse(File.ReadAllBytes(path))?.AsObject();
            if (document?["format"]?.GetValue<string>() != Format || document["wraps"] is not JsonObject wraps)
                throw new VaultKeyException($"{path} is not a {Format} file.");
            return wraps.ToDictionary(w => w.Key, w => w.Value!.GetValue<string>());
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new VaultKeyException($"{path} is damaged: {ex.Message}");
        }
    }

    /// <summary>nonce (12) | AES-256-GCM(kek, data key, associated data = "dock vault dek" | file id) | tag (16).</summary>
    private static byte[] Wrap(KeyEncryptionKey kek, byte[] fileId, byte[] key)
    {
        var wrapped = new byte[12 + key.Length + 16];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, 12));
        using var aes = new AesGcm(kek.Secret, 16);
        aes.Encrypt(wrapped.AsSpan(0, 12), key, wrapped.AsSpan(12, key.Length), wrapped.AsSpan(12 + key.Length), [.. "dock vault dek"u8, .. fileId]);
        return wrapped;
    }

    private static byte[]? Unwrap(KeyEncryptionKey kek, ReadOnlySpan<byte> fileId, string base64)
    {
        try
        {
            var wrapped = Convert.FromBase64String(base64);
            if (wrapped.Length != 12 + 32 + 16) return null;
            var key = new byte[32];
            using var aes = new AesGcm(kek.Secret, 16);
            aes.Decrypt(wrapped.AsSpan(0, 12), wrapped.AsSpan(12, 32), wrapped.AsSpan(44), key, [.. "dock vault dek"u8, .. fileId]);
            return key;
        }
        catch (Exception ex) when (ex is FormatException or AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
