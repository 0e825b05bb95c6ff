using Dock.Evidence;
using Dock.Crypto.Keys;
using Dock.Service.Configuration;

namespace Dock.Service.Identity;

/// <summary>
/// Loads the dock's key the same way for the service and every command: from its key file, unsealing it
/// with the configured passphrase when it is sealed; every failure becomes an <see cref="IdentityException"/>
/// that says what to do.
/// </summary>
public static class DockKey
{
    public const string PassphraseVariable = "DOCK_KEY_PASSPHRASE";
    public const string PassphraseFileVariable = "DOCK_KEY_PASSPHRASE_FILE";

    /// <summary>The passphrase from Dock:Identity:PassphraseFile, DOCK_KEY_PASSPHRASE_FILE or DOCK_KEY_PASSPHRASE, in that order; null if none.</summary>
    public static string? Passphrase(DockPaths paths)
    {
        var file = paths.PassphraseFile ?? Environment.GetEnvironmentVariable(PassphraseFileVariable);
        if (!string.IsNullOrEmpty(file))
        {
            try
            {
                if (new FileInfo(file).Length > 4096) throw new IdentityException($"The passphrase file {file} is larger than 4 KiB: is it the right file?");
                var text = File.ReadAllText(file).TrimEnd('\r', '\n');
                return text.Length > 0 ? text : throw new IdentityException($"The passphrase file {file} is empty.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new IdentityException($"The passphrase file {file} cannot be read: {ex.Message}", ex);
            }
        }
        var value = Environment.GetEnvironmentVariable(PassphraseVariable);
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>Loads the dock key, creating it (sealed if a passphrase is configured) when <paramref name="create"/> and it does not exist.</summary>
    public static Ed25519Key Load(DockPaths paths, bool create)
    {
        if (Directory.Exists(paths.KeyFile))
            throw new IdentityException($"Dock:Identity:KeyFile {paths.KeyFile} is a folder; it must name the key file itself (default keys/dock.key).");
        if (File.Exists(paths.DataDirectory))
            throw new IdentityException($"--data {paths.DataDirectory} is a file, not a folder: give the dock's data folder.");
        var passphrase = Passphrase(paths);
        try
        {
            if (!create && !File.Exists(paths.KeyFile))
                throw new IdentityException($"No dock key at {paths.KeyFile}: pass --data with a dock's data folder (or start the dock once).");
            return create ? KeyFile.LoadOrCreate(paths.KeyFile, passphrase) : KeyFile.Load(paths.KeyFile, passphrase);
        }
        catch (KeyPassphraseException ex)
        {
            throw new IdentityException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new IdentityException($"The dock key cannot be used: {ex.Message}", ex);
        }
    }

    /// <summary>Where `dock keys rotate` keeps the public keys the dock signed with before (custody-log-v1.md §3.1).</summary>
    public static string RetiredFolder(DockPaths paths) => Path.Combine(Path.GetDirectoryName(paths.KeyFile)!, "retired");

    /// <summary>The dock's current public key and every retired one: the keys its own checkpoints may carry.</summary>
    public static IReadOnlyList<byte[]> OwnPublicKeys(DockPaths paths, ReadOnlySpan<byte> current)
    {
        var keys = new List<byte[]> { current.ToArray() };
        var folder = RetiredFolder(paths);
        if (!Directory.Exists(folder)) return keys;
        foreach (var pem in Directory.EnumerateFiles(folder, "*.pem").Order(StringComparer.Ordinal))
        {
            if (new FileInfo(pem).Length <= 4096 && Evidence.ClipVerifier.TryReadPublicKeyPem(File.ReadAllText(pem), out var key)) keys.Add(key);
        }
        return keys;
    }
}
