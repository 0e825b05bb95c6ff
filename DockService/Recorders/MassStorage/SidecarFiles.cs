using System.Globalization;
using System.Text;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;

namespace Dock.Service.Recorders.MassStorage;

/// <summary>
/// What a mass-storage camera writes beside a clip (recorder-command-channel-v1.md §7.1), read into the same <see cref="ClipMeta"/> a
/// DockLink camera sends: <c>NAME.NMEA</c> (its GPS log: NMEA 0183 RMC sentences for date and position, GGA for HDOP) and <c>NAME.MRK</c>
/// ("important" if the clip was marked after it closed, then one marker per line). Only regular files in the clip's own folder are
/// read, never links, and never more than a bounded size; a line that does not check out (checksum, a void fix, a field out of range,
/// a time going back) is skipped alone. The files are never written or deleted by the dock.
/// </summary>
public static class SidecarFiles
{
    public const long MaxNmeaBytes = 4L * 1024 * 1024;
    public const long MaxMarkerBytes = 64 * 1024;
    /// <summary>An NMEA sentence is at most 82 characters; a longer line is not one.</summary>
    private const int MaxNmeaLine = 120;

    public sealed record Result(ClipMeta? Meta, int Skipped);

    public static Result Read(LayoutClip clip)
    {
        var nmea = Beside(clip.FullPath, "NMEA");
        var marks = Beside(clip.FullPath, "MRK");
        if (nmea is null && marks is null) return new Result(null, 0);
        int skipped = 0;
        var track = nmea is null ? [] : ParseNmea(ReadBounded(nmea, MaxNmeaBytes, ref skipped), ref skipped);
        var (important, markers) = marks is null ? (false, []) : ParseMarkers(ReadBounded(marks, MaxMarkerBytes, ref skipped), ref skipped);
        var meta = new ClipMeta(clip.ClipId, important || clip.Flags.HasFlag(ClipFlags.Important), track, markers);
        // At most as many fixes as a CLIP_META holds, thinned evenly like a DockLink camera's.
        var fitted = ClipMetaBounds.Fit(meta, FrameFormat.AbsoluteMaxPayload);
        return new Result(fitted, skipped + meta.Track.Count - fitted.Track.Count);
    }

    /// <summary>NAME.EXT's sidecar NAME.KIND (either case), if it is a regular file and not a link.</summary>
    private static FileInfo? Beside(string clipPath, string kind)
    {
        foreach (var extension in new[] { kind, kind.ToLowerInvariant() })
        {
            var file = new FileInfo(Path.ChangeExtension(clipPath, extension));
            if (file.Exists && file.LinkTarget is null && !file.Attributes.HasFlag(FileAttributes.ReparsePoint)) return file;
        }
        return null;
    }

    private static string ReadBounded(FileInfo file, long max, ref int skipped)
    {
        if (file.Length > max)
        {
            skipped++;
            return "";
        }
        try
        {
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var bytes = new byte[Math.Min(stream.Length, max)];
            stream.ReadExactly(bytes);
            return Encoding.UTF8.GetString(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            skipped++;
            return "";
        }
    }

    public static List<TrackPoint> ParseNmea(string text, ref int skipped)
    {
        var hdop = new Dictionary<string, double>(StringComparer.Ordinal);
        var track = new List<TrackPoint>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.Length > MaxNmeaLine || !ChecksumOk(line))
            {
                skipped++;
                continue;
            }
            var fields = line[1..line.IndexOf('*')].Split(',');
            var type = fields[0].Length >= 3 ? fields[0][^3..] : "";
            if (type == "GGA" && fields.Length > 8 && double.TryParse(fields[8], NumberStyles.Float, CultureInfo.InvariantCulture, out var dilution))
            {
                hdop[fields[1]] = dilution;
                continue;
            }
            if (type != "RMC") continue;
            if (fields.Length < 10 || fields[2] != "A" || Fix(fields) is not { } fix)
            {
                skipped++;
                continue;
            }
            // Accuracy from the GGA of the same second: HDOP × 5 m (a typical user range error), in decimetres.
            ushort accuracy = hdop.TryGetValue(fields[1], out var h) ? (ushort)Math.Clamp(Math.Round(h * 50), 1, ushort.MaxValue) : (ushort)0;
            var point = new TrackPoint(fix.TimeMs, fix.LatE7, fix.LonE7, accuracy);
            if (ClipMetaBounds.PointProblem(point) is not null || (track.Count > 0 && point.TimeMs < track[^1].TimeMs))
            {
                skipped++;
                continue;
            }
            track.Add(point);
        }
        return track;
    }

    private static TrackPoint? Fix(string[] f)
    {
        // time hhmmss[.ss], lat ddmm.mmmm, N|S, lon dddmm.mmmm, E|W, …, date ddmmyy
        if (f[1].Length < 6 || f[9].Length != 6) return null;
        if (!int.TryParse(f[1][..2], CultureInfo.InvariantCulture, out var hh) || !int.TryParse(f[1][2..4], CultureInfo.InvariantCulture, out var mm)
            || !double.TryParse(f[1][4..], NumberStyles.Float, CultureInfo.InvariantCulture, out var ss)
            || !int.TryParse(f[9][..2], CultureInfo.InvariantCulture, out var day) || !int.TryParse(f[9][2..4], CultureInfo.InvariantCulture, out var month)
            || !int.TryParse(f[9][4..], CultureInfo.InvariantCulture, out var yy)
            || hh > 23 || mm > 59 || ss >= 60 || month is < 1 or > 12)
            return null;
        int year = yy >= 80 ? 1900 + yy : 2000 + yy; // NMEA's two-digit year, as receivers roll it
        if (day < 1 || day > DateTime.DaysInMonth(year, month)) return null;
        var at = new DateTimeOffset(year, month, day, hh, mm, 0, TimeSpan.Zero).AddMilliseconds(Math.Round(ss * 1000));
        if (Degrees(f[3], 2, f[4], "N", "S") is not { } lat || Degrees(f[5], 3, f[6], "E", "W") is not { } lon) return null;
        return new TrackPoint(at.ToUnixTimeMilliseconds(), (int)Math.Round(lat * 1e7), (int)Math.Round(lon * 1e7), 0);
    }

    private static double? Degrees(string value, int degreeDigits, string hemisphere, string positive, string negative)
    {
        if (value.Length <= degreeDigits || (hemisphere != positive && hemisphere != negative)) return null;
        if (!int.TryParse(value[..degreeDigits], CultureInfo.InvariantCulture, out var degrees)
            || !double.TryParse(value[degreeDigits..], NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) || minutes >= 60) return null;
        var result = degrees + minutes / 60;
        return hemisphere == negative ? -result : result;
    }

    private static bool ChecksumOk(string line)
    {
        int star = line.IndexOf('*');
        if (line[0] != '$' || star < 2 || star + 3 != line.Length) return false;
        byte sum = 0;
        for (int i = 1; i < star; i++) sum ^= (byte)line[i];
        return byte.TryParse(line.AsSpan(star + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var stated) && stated == sum;
    }

    public static (bool Important, List<ClipMarker> Markers) ParseMarkers(string text, ref int skipped)
    {
        bool important = false;
        var markers = new List<ClipMarker>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (line.Equals("important", StringComparison.OrdinalIgnoreCase))
            {
                important = true;
                continue;
            }
            var parts = line.Split(' ', 3);
            MarkerKind? kind = parts.Length < 2 ? null : parts[1].ToLowerInvariant() switch
            {
                "officer" => MarkerKind.Officer, "emergency" => MarkerKind.Emergency, "photo" => MarkerKind.Photo, "voice-note" => MarkerKind.VoiceNote, _ => null,
            };
            var label = parts.Length > 2 ? parts[2] : "";
            if (kind is null || markers.Count >= ClipMeta.MaxMarkers || label.Any(char.IsControl) || Encoding.UTF8.GetByteCount(label) > ClipMarker.MaxLabelBytes
                || !DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                || !ClipBounds.IsTime(at.ToUnixTimeMilliseconds()))
            {
                skipped++;
                continue;
            }
            markers.Add(new ClipMarker(at.ToUnixTimeMilliseconds(), kind.Value, label));
        }
        return (important, markers);
    }
}
