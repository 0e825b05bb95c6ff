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
