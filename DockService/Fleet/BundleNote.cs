using System.Security.Cryptography;
using System.Text;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;

namespace Dock.Service.Fleet;

/// <summary>A key a dock takes bundles from, and where it learnt it (its endorsement, or a configured file).</summary>
public sealed record ConfigKey(byte[] PublicKey, string Source)
{
    public string Id => $"{BundleNote.KeyName}+{SignedNote.KeyId(BundleNote.KeyName, PublicKey):x8}";
}

/// <summary>A bundle whose signature a trusted key made: its exact signed text, that text's SHA-256 (the bundle's hash everywhere: custody,
/// status, the fleet log), and the key.</summary>
public sealed record OpenedBundle(FleetBundle Bundle, string Note, string SignedText, string Sha256, ConfigKey SignedBy);

/// <summary>
/// A bundle in its signed form: a C2SP signed note (Ed25519) whose text is the purpose line <see cref="PurposeLine"/> then the bundle
/// JSON, signed under the key name <see cref="KeyName"/>. The purpose line is what lets an agency use its endorsement key for bundles
/// too (fleet-bundle-v1.md §3): nothing else that key signs starts with it, so no bundle signature can pass for an endorsement or
/// the reverse. OpenSSL checks the signature over the note text alone (the spec shows how).
/// </summary>
public static class BundleNote
{
    public const string KeyName = "dock-fleet-config";
    public const string PurposeLine = "dock-fleet-bundle/v1";

    /// <summary>Signs a bundle file (JSON, or a note already signed by other keys: theirs are kept when the text is unchanged, so two
    /// people can sign one bundle). The JSON is validated first and written in its indented form: what is signed is what is read.</summary>
    public static string Sign(string file, Ed25519Key key)
    {
        var (json, signatures) = Split(file);
        var text = PurposeLine + "\n" + FleetBundle.Parse(json).ToJson();
        var note = SignedNote.Sign(text, KeyName, key);
        uint ours = SignedNote.KeyId(KeyName, key.PublicKey);
        // Keep the other signers' lines when they signed this very text.
        if (signatures is not null && file.StartsWith(text + "\n", StringComparison.Ordinal))
        {
            var others = signatures.Where(line => !line.StartsWith($"\u2014 {KeyName} ", StringComparison.Ordinal)
                || SignedNote.SignatureKeys($"x\n\n{line}\n").All(k => k.KeyId != ours));
            note = note.TrimEnd('\n') + "\n" + string.Concat(others.Select(l => l + "\n"));
        }
        return note;
    }

    /// <summary>Opens a signed bundle against the keys a dock trusts. Refusals: unsigned, unknown key, bad signature, malformed, schema.</summary>
    public static OpenedBundle Open(string file, IReadOnlyList<ConfigKey> trusted)
    {
        var (json, signatures) = Split(file);
        if (signatures is null || signatures.Count == 0)
        {
            FleetBundle.Parse(json); // A malformed unsigned file says what is wrong with it first.
            throw new FleetBundleException(BundleRefusal.Unsigned, "the bundle is not signed: sign it with `dock fleet bundle sign FILE --agency-key KEY`");
        }
        var present = SignedNote.SignatureKeys(file, FleetBundle.MaxBytes);
        foreach (var key in trusted)
        {
            uint id = SignedNote.KeyId(KeyName, key.PublicKey);
            if (!present.Any(p => p.Name == KeyName && p.KeyId == id)) continue;
            if (!SignedNote.TryOpen(file, KeyName, key.PublicKey, out var text, out var error, FleetBundle.MaxBytes))
                throw new FleetBundleException(BundleRefusal.BadSignature,
                    $"the signature by {key.Id} ({key.Source}) does not verify ({error}): the bundle was changed after signing, or the signature is forged");
            var bundle = FleetBundle.Parse(text[(PurposeLine.Length + 1)..]);
            return new OpenedBundle(bundle, file, text, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), key);
        }
        var signers = present.Count == 0 ? "unreadable signature lines" : string.Join(", ", present.Select(p => $"{p.Name}+{p.KeyId:x8}"));
        throw new FleetBundleException(BundleRefusal.UnknownKey, trusted.Count == 0
            ? $"the bundle is signed by {signers}, and this dock trusts no configuration key yet (endorse it with the agency key, or list a key in Dock:Fleet:TrustedKeys)"
            : $"the bundle is signed by {signers}, not by a key this dock trusts ({string.Join(", ", trusted.Select(k => $"{k.Id} from {k.Source}"))})");
    }

    /// <summary>The bundle inside a file, unverified: for tools that only show or compare (never to apply).</summary>
    public static FleetBundle Peek(string file) => FleetBundle.Parse(Split(file).Json);

    /// <summary>The SHA-256 of a signed bundle's text (the bundle's hash), unverified.</summary>
    public static string HashOf(string note)
    {
        int split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        var text = split < 0 ? note : note[..(split + 1)];
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The JSON, and the signature lines when the file is a note (null when it is plain JSON).</summary>
    private static (string Json, IReadOnlyList<string>? Signatures) Split(string file)
    {
        if (Encoding.UTF8.GetByteCount(file) > FleetBundle.MaxBytes)
            throw new FleetBundleException(BundleRefusal.Malformed, $"the bundle file is larger than {FleetBundle.MaxBytes / 1024} KiB");
        file = file.TrimStart('\uFEFF');
        if (!file.StartsWith(PurposeLine + "\n", StringComparison.Ordinal))
        {
            if (file.TrimStart().StartsWith('{')) return (file, null);
            throw new FleetBundleException(BundleRefusal.Malformed, $"the file is neither bundle JSON nor a signed bundle (whose first line is '{PurposeLine}')");
        }
        int split = file.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) return (file[(PurposeLine.Length + 1)..], []);
        var lines = file[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return (file[(PurposeLine.Length + 1)..(split + 1)], lines);
    }
}
