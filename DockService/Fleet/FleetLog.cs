using System.Globalization;
using System.Text;
using Dock.Crypto.Transparency;

namespace Dock.Service.Fleet;

/// <summary>
/// One entry of the agency's bundle log (fleet-bundle-v1.md §6): a bundle published, in exact bytes as the custody log's entries are —
/// UTF-8 lines "key: value\n" in a fixed order after the header line — so the Merkle leaf is the bytes and anyone can recompute the tree.
/// </summary>
public sealed record FleetLogEntry(long Index, long Version, string Sha256, DateTimeOffset Published, string Publisher)
{
    public const string Header = "dock-fleet-log/v1";
    public const string Origin = "dock-fleet-log";

    public byte[] ToBytes()
    {
        if (Publisher.Any(char.IsControl) || Publisher.Length > 200) throw new ArgumentException("A publisher is one short line.");
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{Header}\nindex: {Index}\nversion: {Version}\nsha256: {Sha256}\npublished: {Published.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}\npublisher: {Publisher}\n"));
    }

    /// <summary>Parses the exact byte form; anything else is refused (a changed entry cannot pass for the one the tree holds).</summary>
    public static bool TryParse(byte[] bytes, out FleetLogEntry entry, out string error)
    {
        entry = null!;
        if (!StrictUtf8.TryDecode(bytes, out var text))
        {
            error = "not UTF-8";
            return false;
        }
        var lines = text.Split('\n');
        string[] keys = ["index", "version", "sha256", "published", "publisher"];
        if (lines.Length != keys.Length + 2 || lines[0] != Header || lines[^1].Length != 0) { error = $"not a {Header} entry"; return false; }
        var values = new string[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            if (!lines[i + 1].StartsWith(keys[i] + ": ", StringComparison.Ordinal)) { error = $"line {i + 2} is not '{keys[i]}: …'"; return false; }
            values[i] = lines[i + 1][(keys[i].Length + 2)..];
        }
        if (!long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !long.TryParse(values[1], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            || values[2].Length != 64 || !values[2].All(char.IsAsciiHexDigitLower)
            || !DateTimeOffset.TryParseExact(values[3], "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var published))
        {
            error = "index, version, sha256 or published is malformed";
            return false;
        }
        entry = new FleetLogEntry(index, version, values[2], published, values[4]);
        try
        {
            if (!entry.ToBytes().AsSpan().SequenceEqual(bytes)) { entry = null!; error = "not in canonical form"; return false; }
        }
        catch (ArgumentException ex)
        {
            entry = null!;
            error = ex.Message;
            return false;
        }
        error = "";
        return true;
    }
}
