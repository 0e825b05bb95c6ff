using Dock.Crypto.Keys;
using Dock.Evidence;
using Dock.Service.Configuration;
using Dock.Service.Identity;

namespace Dock.Service.Fleet;

/// <summary>The configuration keys a dock takes bundles from: the agency key that endorsed it (unless Dock:Fleet:TrustEndorsingAgency is
/// false), and each key listed in Dock:Fleet:TrustedKeys.</summary>
public static class FleetTrust
{
    public static IReadOnlyList<ConfigKey> Keys(DockPaths paths, FleetSyncOptions options)
    {
        var keys = new List<ConfigKey>();
        if (options.TrustEndorsingAgency && DockEndorsement.PeekAgencyKey(paths.EndorsementFile) is { } agency)
            keys.Add(new ConfigKey(agency, "the agency key that endorsed this dock"));
        foreach (var file in options.TrustedKeys)
        {
            var path = Path.Combine(paths.DataDirectory, file);
            keys.Add(new ConfigKey(ReadKey(path), path));
        }
        return keys;
    }

    /// <summary>An Ed25519 public key from a PEM file: a public key, or a private key (its public half is taken; an agency's own workstation
    /// may point at its key file). A clear <see cref="InvalidDataException"/> when it is neither.</summary>
    public static byte[] ReadKey(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"The configuration key file {path} does not exist.");
        if (new FileInfo(path).Length > 8192) throw new InvalidDataException($"{path} is too large to be an Ed25519 key.");
        var text = File.ReadAllText(path);
        if (ClipVerifier.TryReadPublicKeyPem(text, out var key)) return key;
        try
        {
            using var secret = KeyFile.Load(path);
            return secret.PublicKey.ToArray();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or KeyPassphraseException)
        {
            throw new InvalidDataException($"{path} is not an Ed25519 key in PEM form (public or private): {ex.Message}");
        }
    }
}
