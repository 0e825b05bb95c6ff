using System.Globalization;
using System.Text;

namespace Dock.Service.Vault;

/// <summary>
/// A device-chosen identifier (a serial, a clip id) as one file-name segment that is safe on every file system the dock
/// may write to: ext4, NTFS, a NAS share, a case-insensitive volume (README, "Vault layout").
/// </summary>
/// <remarks>
/// Identifiers are 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit (docklink-v1.md §2.3), so they
/// never name a parent folder or hold a separator. What is left is what Windows does to names: letters that differ only in
/// case are the same file, trailing dots are dropped, and CON, PRN, AUX, NUL, COM0-9 and LPT0-9 (with any extension) name
/// devices. An identifier free of all three is its own name. Any other one is written as "~MASK~BODY": MASK is the hex
/// bit mask of its upper-case positions, BODY the identifier with each trailing dot written as "~". '~' never occurs in
/// an identifier, so the mapping is one-to-one (even ignoring case), and a dock-made name that contains '~' where an
/// encoding cannot can never be addressed by a recorder. A catalog id "ID~N" (a later clip under a reused id) is ID's name
/// followed by "~N".
/// </remarks>
public static class SafeName
{
    private static readonly string[] Devices = ["con", "prn", "aux", "nul"];

    public static string Encode(string identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        // A catalog id of later footage under a reused id ("ID~2"): the identifier's name, then the generation.
        if (identifier.LastIndexOf('~') is var mark and > 0) return Encode(identifier[..mark]) + identifier[mark..];
        ulong mask = 0;
        for (int i = 0; i < identifier.Length && i < 64; i++)
            if (char.IsAsciiLetterUpper(identifier[i])) mask |= 1UL << i;
        int trailingDots = identifier.Length - identifier.TrimEnd('.').Length;
        if (mask == 0 && trailingDots == 0 && !IsDeviceName(identifier)) return identifier;
        var body = new StringBuilder(identifier.Length + 20).Append('~').Append(mask.ToString("x", CultureInfo.InvariantCulture)).Append('~');
        body.Append(identifier, 0, identifier.Length - trailingDots).Append('~', trailingDots);
        return body.ToString();
    }

    /// <summary>The identifier an encoded segment stands for; null when it is no encoding (a dock-made or foreign name).</summary>
    public static string? Decode(string segment)
    {
        int mark = segment.LastIndexOf('~');
        if (mark > 0 && mark < segment.Length - 1 && segment.AsSpan(mark + 1).IndexOfAnyExceptInRange('0', '9') < 0)
            return DecodeName(segment[..mark]) is { } name && !name.Contains('~', StringComparison.Ordinal) ? name + segment[mark..] : null;
        return DecodeName(segment);
    }

    private static string? DecodeName(string segment)
    {
        if (!segment.StartsWith('~')) return segment.Contains('~', StringComparison.Ordinal) ? null : segment;
        int second = segment.IndexOf('~', 1);
        if (second < 2 || !ulong.TryParse(segment.AsSpan(1, second - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _))
            return null;
        var body = segment[(second + 1)..];
        var kept = body.TrimEnd('~');
        if (kept.Length == 0 || kept.Contains('~', StringComparison.Ordinal)) return null;
        var identifier = kept + new string('.', body.Length - kept.Length);
        return Encode(identifier) == segment ? identifier : null;
    }

    private static bool IsDeviceName(string identifier)
    {
        var stem = identifier.Split('.')[0];
        if (Devices.Contains(stem, StringComparer.OrdinalIgnoreCase)) return true;
        return stem.Length == 4 && (stem.StartsWith("com", StringComparison.OrdinalIgnoreCase) || stem.StartsWith("lpt", StringComparison.OrdinalIgnoreCase))
            && char.IsAsciiDigit(stem[3]);
    }
}
