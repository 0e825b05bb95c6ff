using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Dock.Crypto.Keys;

namespace Dock.Crypto.Transparency;

/// <summary>
/// C2SP signed-note with Ed25519 (signature type 0x01): text ending in a newline, a blank line, then
/// lines "— NAME base64(keyID(4, big-endian) ‖ signature)". Key ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4].
/// </summary>
public static class SignedNote
{
    private const string Dash = "\u2014 ";
    /// <summary>The largest note read by default (checkpoints, manifests); a caller with larger notes (fleet bundles) names its own bound.</summary>
    public const int MaxNoteBytes = 64 * 1024;
    private const int MaxSignatures = 16;

    public static uint KeyId(string keyName, ReadOnlySpan<byte> publicKey)
    {
        var hash = SHA256.HashData([.. Encoding.UTF8.GetBytes(keyName), 0x0A, 0x01, .. publicKey]);
        return BinaryPrimitives.ReadUInt32BigEndian(hash);
    }

    /// <summary>The verifier key string other tools (e.g. Go's note package) accept: name+hexID+base64(0x01 ‖ key).</summary>
    public static string VerifierKey(string keyName, ReadOnlySpan<byte> publicKey) =>
        $"{keyName}+{KeyId(keyName, publicKey):x8}+{Convert.ToBase64String([0x01, .. publicKey])}";

    public static string Sign(string text, string keyName, Ed25519Key key) => Sign(text, keyName, key.PublicKey, m => key.Sign(m));

    /// <summary>Signs with a key held elsewhere (the dock's identity signs without handing out its key).</summary>
    public static string Sign(string text, string keyName, ReadOnlySpan<byte> publicKey, Func<byte[], byte[]> sign)
    {
        CheckKeyName(keyName);
        if (!text.EndsWith('\n')) throw new ArgumentException("A note's text must end with a newline.", nameof(text));
        var signature = sign(Encoding.UTF8.GetBytes(text));
        var blob = new byte[4 + signature.Length];
        BinaryPrimitives.WriteUInt32BigEndian(blob, KeyId(keyName, publicKey));
        signature.CopyTo(blob, 4);
        return $"{text}\n{Dash}{keyName} {Convert.ToBase64String(blob)}\n";
    }

    /// <summary>Checks a note against one trusted key; returns its text, or an error saying what is wrong.</summary>
    public static bool TryOpen(string note, string keyName, ReadOnlySpan<byte> publicKey, out string text, out string error, int maxBytes = MaxNoteBytes)
    {
        text = "";
        if (Encoding.UTF8.GetByteCount(note) > maxBytes) { error = $"note is larger than {maxBytes / 1024} KiB"; return false; }
        if (note.Any(c => c < 0x20 && c != '\n')) { error = "note contains control characters"; return false; }
        int split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n')) { error = "no blank line before the signatures"; return false; }
        // A note that ends in the blank line has no signature lines (found by fuzzing: it once threw).
        if (split + 2 >= note.Length) { error = "no signature lines after the blank line"; return false; }
        var body = note[..(split + 1)];
        var lines = note[(split + 2)..^1].Split('\n');
        if (lines.Length is 0 or > MaxSignatures) { error = $"expected 1..{MaxSignatures} signature lines"; return false; }
        uint wantedId = KeyId(keyName, publicKey);
        bool found = false;
        foreach (var line in lines)
        {
            if (!line.StartsWith(Dash, StringComparison.Ordinal)) { error = "a signature line does not start with an em dash"; return false; }
            var parts = line[Dash.Length..].Split(' ');
            if (parts.Length != 2) { error = "a signature line is not 'name signature'"; return false; }
            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(parts[1]);
            }
            catch (FormatException)
            {
                error = "a signature is not base64";
                return false;
            }
            if (blob.Length < 4) { error = "a signature is too short"; return false; }
            if (parts[0] != keyName || BinaryPrimitives.ReadUInt32BigEndian(blob) != wantedId) continue; // Unknown key: ignored, per spec.
            if (blob.Length != 68 || !Ed25519Key.Verify(publicKey, Encoding.UTF8.GetBytes(body), blob.AsSpan(4)))
            {
                error = $"the signature by {keyName} does not verify";
                return false;
            }
            found = true;
        }
        if (!found) { error = $"not signed by {keyName} with the trusted key"; return false; }
        text = body;
        error = "";
        return true;
    }

    /// <summary>The (key name, key ID) of each signature line, without checking anything: to tell
    /// "signed by a key we do not know" from "a known key's signature is wrong".</summary>
    public static IReadOnlyList<(string Name, uint KeyId)> SignatureKeys(string note, int maxBytes = MaxNoteBytes)
    {
        var keys = new List<(string, uint)>();
        int split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || note.Length > maxBytes) return keys;
        foreach (var line in note[(split + 2)..].Split('\n'))
        {
            if (!line.StartsWith(Dash, StringComparison.Ordinal)) continue;
            var parts = line[Dash.Length..].Split(' ');
            if (parts.Length != 2) continue;
            var blob = new byte[parts[1].Length];
            if (Convert.TryFromBase64String(parts[1], blob, out int written) && written >= 4)
                keys.Add((parts[0], BinaryPrimitives.ReadUInt32BigEndian(blob)));
        }
        return keys;
    }

    private static void CheckKeyName(string keyName)
    {
        if (keyName.Length == 0 || keyName.Any(c => char.IsWhiteSpace(c) || c == '+'))
            throw new ArgumentException("A note key name is non-empty, with no spaces and no '+'.", nameof(keyName));
    }
}
