using System.Globalization;

namespace Dock.Crypto.Transparency;

/// <summary>
/// C2SP tlog-checkpoint: the note text "ORIGIN\nSIZE\nBASE64(ROOT)\n" (no extension lines here).
/// Signed with <see cref="SignedNote"/>; the origin is also the signing key's name.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash)
{
    public string ToText() => $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(RootHash)}\n";

    public static bool TryParse(string text, out Checkpoint checkpoint, out string error)
    {
        checkpoint = null!;
        var lines = text.Split('\n');
        // Three lines and the empty string after the final newline; extension lines are allowed by the spec and ignored.
        if (lines.Length < 4 || lines[^1].Length != 0) { error = "a checkpoint has origin, size and root lines, each ending in a newline"; return false; }
        if (lines[0].Length == 0) { error = "empty origin"; return false; }
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || (lines[1].Length > 1 && lines[1][0] == '0'))
        {
            error = $"tree size '{lines[1]}' is not a decimal number";
            return false;
        }
        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            error = "root hash is not base64";
            return false;
        }
        if (root.Length != MerkleTree.HashSize) { error = "root hash is not 32 bytes"; return false; }
        checkpoint = new Checkpoint(lines[0], size, root);
        error = "";
        return true;
    }
}
