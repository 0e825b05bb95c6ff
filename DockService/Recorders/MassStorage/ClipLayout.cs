using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Configuration;

namespace Dock.Service.Recorders.MassStorage;

/// <summary>One clip file found on a recorder's disk.</summary>
public sealed record LayoutClip(string ClipId, string RelativePath, string FullPath, long Size, DateTimeOffset Start, DateTimeOffset End,
    ClipFlags Flags, DateTime LastWriteUtc);

/// <summary>
/// Where a mass-storage recorder keeps its clips and what they are called (recorder-command-channel-v1.md §7):
/// which folders and extensions are clips, how a path becomes a clip id, how times and flags are read
/// from names. Bounded: at most <see cref="MassStorageOptions.MaxClips"/> files and a fixed folder depth.
/// </summary>
public sealed partial class ClipLayout(MassStorageOptions options)
{
    private readonly HashSet<string> _extensions = new(options.Extensions.Select(e => e.TrimStart('.')), StringComparer.OrdinalIgnoreCase);
    private readonly TimeZoneInfo _zone = string.IsNullOrEmpty(options.TimeZone) ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);

    /// <summary>The clips under <paramref name="volume"/>, ordered by path. Clip ids are unique (a second file mapping to a taken id is skipped).</summary>
    public IReadOnlyList<LayoutClip> Scan(string volume)
    {
        var clips = new List<LayoutClip>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            MaxRecursionDepth = options.MaxDepth,
            IgnoreInaccessible = true,
            // Links are skipped, files and folders alike: a hostile "recorder" disk must not make the dock copy (and
            // upload) files from outside it, or walk in circles.
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint,
            MatchCasing = MatchCasing.CaseInsensitive,
        };
        foreach (var folder in options.Folders)
        {
            var root = FindFolder(volume, folder);
            if (root is null || new DirectoryInfo(root).LinkTarget is not null) continue;
            foreach (var file in new DirectoryInfo(root).EnumerateFiles("*", enumeration).OrderBy(f => f.FullName, StringComparer.Ordinal))
            {
                if (!_extensions.Contains(file.Extension.TrimStart('.')) || file.Name.StartsWith('.')) continue;
                var relative = Path.GetRelativePath(volume, file.FullName).Replace('\\', '/');
                var id = ClipIdFor(relative);
                if (!ids.Add(id)) continue;
                var end = new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero);
                var start = StartFromName(file.Name) ?? new DateTimeOffset(file.CreationTimeUtc, TimeSpan.Zero);
                if (start > end) start = end;
                clips.Add(new LayoutClip(id, relative, file.FullName, file.Length, start, end, FlagsFor(relative), file.LastWriteTimeUtc));
                if (clips.Count >= options.MaxClips) return clips;
            }
        }
        return clips;
    }

    /// <summary>"DCIM/100MEDIA/X.MP4" → "DCIM_100MEDIA_X.MP4"; a path that is no identifier as it stands gets a hash suffix.</summary>
    public static string ClipIdFor(string relativePath)
    {
        var plain = relativePath.Replace('/', '_');
        if (Identifier.IsValid(plain)) return plain;
        var sanitised = new StringBuilder();
        foreach (char c in plain)
            sanitised.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        var prefix = sanitised.ToString().TrimStart('.', '_', '-');
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(relativePath)))[..12];
        prefix = prefix.Length > Identifier.MaxLength - 13 ? prefix[..(Identifier.MaxLength - 13)] : prefix;
        return prefix.Length == 0 ? hash : $"{prefix}-{hash}";
    }

    private ClipFlags FlagsFor(string relative)
    {
        var flags = ClipFlags.None;
        var name = Path.GetFileName(relative);
        if (options.ImportantMarkers.Any(m => name.Contains(m, StringComparison.OrdinalIgnoreCase))) flags |= ClipFlags.Important;
        if (options.MandatoryFolders.Any(f => relative.StartsWith(f.Trim('/') + "/", StringComparison.OrdinalIgnoreCase))) flags |= ClipFlags.Mandatory;
        return flags;
    }

    private DateTimeOffset? StartFromName(string name)
    {
        var match = TimeInName().Match(name);
        if (!match.Success) return null;
        if (!DateTime.TryParseExact(match.Groups["d"].Value + match.Groups["t"].Value, "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
                DateTimeStyles.None, out var local)) return null;
        return new DateTimeOffset(local, _zone.GetUtcOffset(local));
    }

    /// <summary>Folder names on FAT disks come in any case: "dcim" is DCIM.</summary>
    private static string? FindFolder(string volume, string folder)
    {
        var exact = Path.Combine(volume, folder);
        if (Directory.Exists(exact)) return exact;
        try
        {
            return Directory.EnumerateDirectories(volume).FirstOrDefault(d => string.Equals(Path.GetFileName(d), folder, StringComparison.OrdinalIgnoreCase));
        }
        catch (IOException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"(?<!\d)(?<d>20\d{6})[_-]?(?<t>\d{6})(?!\d)")]
    private static partial Regex TimeInName();
}
