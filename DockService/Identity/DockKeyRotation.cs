using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Service.Hosting;

namespace Dock.Service.Identity;

/// <summary>Replaces the dock key (`dock keys rotate`): an application service, so that the custody entry names who rotated it and no
/// face writes custody itself. The dock must be stopped (it holds the key in memory and signs with it).</summary>
public static class DockKeyRotation
{
    /// <summary>
    /// The rotation, so that an auditor holding only the new key can still verify the old checkpoints:
    /// the old key checkpoints a log that ends with "dock key OLD replaced by NEW" (its handover), and the
    /// new key signs the same tree. custody-log-v1.md §4. <paramref name="actor"/> is who rotates (the custody actor).
    /// </summary>
    public static async Task<(string DockId, string Old, string New)> RotateAsync(string? data, string reason, string actor, CancellationToken cancellationToken)
    {
        var paths = DataFolder.PathsFor(data);
        // The running dock holds the key in memory and signs with it: rotate only with the dock stopped.
        using var running = RunLock.Acquire(paths, "dock keys rotate");
        using var folder = await DataFolder.OpenAsync(data, cancellationToken);
        using var next = Ed25519Key.Generate();
        var oldKey = folder.Key.PublicKey;
        await folder.Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.DockKeyRotated, at, folder.DockId, actor,
            Detail: $"dock key {Convert.ToHexStringLower(oldKey)} replaced by {Convert.ToHexStringLower(next.PublicKey)}: {reason}"), cancellationToken);
        await folder.Log.CheckpointAsync(cancellationToken);

        // Pin the id (the default one derives from the key), keep the old public key, then swap keys atomically.
        var pinned = DockIdentity.PinnedIdFile(paths);
        if (!File.Exists(pinned)) await File.WriteAllTextAsync(pinned, folder.DockId + "\n", cancellationToken);
        var retired = Path.Combine(Path.GetDirectoryName(paths.KeyFile)!, "retired");
        Directory.CreateDirectory(retired);
        await File.WriteAllTextAsync(Path.Combine(retired, Ed25519Key.Fingerprint(oldKey) + ".pem"), Ed25519Key.PublicKeyPem(oldKey), cancellationToken);
        // Encrypted clips' data keys are wrapped under a key derived from the dock key: wrap each under the new one too before the old
        // key is gone (a crash in between leaves both wraps; either opens).
        Vault.Encryption.VaultKeys? vaultKeys = folder.Vault().Keys;
        vaultKeys?.AddWrap(Vault.Encryption.KeyEncryptionKey.FromDockKey(m => next.Sign(m)));
        var staged = paths.KeyFile + ".next";
        File.Delete(staged);
        using (KeyFile.LoadOrCreateFrom(staged, next, DockKey.Passphrase(paths))) { }
        File.Move(staged, paths.KeyFile, overwrite: true);

        using var rotated = await DataFolder.OpenAsync(data, cancellationToken);
        await rotated.Log.CheckpointAsync(cancellationToken);
        return (folder.DockId, Ed25519Key.Fingerprint(oldKey), Ed25519Key.Fingerprint(next.PublicKey));
    }
}
