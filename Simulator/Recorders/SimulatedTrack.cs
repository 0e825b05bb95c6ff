using Dock.DeviceProtocol.Messages;

namespace Dock.Simulator.Recorders;

/// <summary>
/// What a camera with a GPS receiver keeps beside each clip (docklink-v1.md §5.14), made deterministically from the recorder's seed:
/// an officer on foot (about 1.4 m/s, heading wandering) around the recorder's beat, a fix every 5 s with 3–15 m accuracy, a clip
/// now and then started indoors (no fix until the officer steps out) or wholly indoors (no track: the dock then takes its own
/// location), the mark button pressed in some clips, the emergency button rarely, and some clips marked important after they closed.
/// </summary>
public static class SimulatedTrack
{
    /// <summary>Where the simulated beats are: around Xicheng district, Beijing (WGS-84).</summary>
    public const double BaseLatitude = 39.9129, BaseLongitude = 116.3661;

    public static readonly TimeSpan FixInterval = TimeSpan.FromSeconds(5);

    public static ClipMeta For(ulong recorderSeed, int index, SimulatedClip clip) =>
        For(recorderSeed, index, clip.ClipId, clip.Start, clip.End, clip.Flags.HasFlag(ClipFlags.Important));

    public static ClipMeta For(ulong recorderSeed, int index, string clipId, DateTimeOffset start, DateTimeOffset end, bool importantWhenClosed)
    {
        ulong seed = recorderSeed ^ 0x6E55_7A7A_0000_0000UL ^ (ulong)index * 0x9E3779B97F4A7C15UL;
        double Next() => (SyntheticContent.SplitMix64(ref seed) >> 11) / (double)(1UL << 53);
        // Each recorder walks its own beat within about 3 km of the base.
        var beat = recorderSeed;
        double lat = BaseLatitude + ((SyntheticContent.SplitMix64(ref beat) >> 11) / (double)(1UL << 53) - 0.5) * 0.05;
        double lon = BaseLongitude + ((SyntheticContent.SplitMix64(ref beat) >> 11) / (double)(1UL << 53) - 0.5) * 0.06;
        double heading = Next() * 2 * Math.PI;
        bool indoors = index % 6 == 5;                 // no fix at all
        double coldStart = index % 4 == 1 ? 0.3 : 0;   // the first 30 % indoors
        var track = new List<TrackPoint>();
        var duration = end - start;
        for (var t = TimeSpan.Zero; !indoors && t <= duration && track.Count < ClipMeta.MaxPoints; t += FixInterval)
        {
            heading += (Next() - 0.5) * 0.6;
            double metres = 1.4 * FixInterval.TotalSeconds * (0.6 + Next() * 0.8);
            lat += metres * Math.Cos(heading) / 111_320;
            lon += metres * Math.Sin(heading) / (111_320 * Math.Cos(lat * Math.PI / 180));
            if (t < duration * coldStart) continue;
            track.Add(new TrackPoint((start + t).ToUnixTimeMilliseconds(), (int)Math.Round(lat * 1e7), (int)Math.Round(lon * 1e7),
                (ushort)(30 + Next() * 120)));
        }
        var markers = new List<ClipMarker>();
        if (index % 2 == 0)
            markers.Add(new ClipMarker((start + duration * (0.2 + Next() * 0.5)).ToUnixTimeMilliseconds(), MarkerKind.Officer, "标记"));
        if (index % 7 == 6)
            markers.Add(new ClipMarker((start + duration * (0.5 + Next() * 0.4)).ToUnixTimeMilliseconds(), MarkerKind.Emergency, "SOS"));
        if (index % 5 == 3)
            markers.Add(new ClipMarker((start + duration * Next()).ToUnixTimeMilliseconds(), MarkerKind.Photo, ""));
        // Marked important on the camera after the clip closed (the listing's flag is what it was when it closed).
        bool important = importantWhenClosed || index % 4 == 3;
        return new ClipMeta(clipId, important, track, markers);
    }

    /// <summary>The track as a GPS receiver logs it beside a clip on a mass-storage camera: NMEA 0183, a GGA (fix quality, HDOP) and an RMC
    /// (date, position) per fix, each with its checksum (recorder-command-channel-v1.md §7.1).</summary>
    public static string Nmea(ClipMeta meta)
    {
        var text = new System.Text.StringBuilder();
        foreach (var point in meta.Track)
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(point.TimeMs);
            string time = at.ToString("HHmmss.ff", System.Globalization.CultureInfo.InvariantCulture);
            string lat = Coordinate(Math.Abs(point.Latitude), 2) + (point.LatE7 >= 0 ? ",N" : ",S");
            string lon = Coordinate(Math.Abs(point.Longitude), 3) + (point.LonE7 >= 0 ? ",E" : ",W");
            // HDOP from the accuracy (a 5 m user range error per unit of HDOP).
            string hdop = (point.AccuracyDm / 50.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
            text.Append(Sentence($"GNGGA,{time},{lat},{lon},1,09,{hdop},52.3,M,-8.1,M,,")).Append("\r\n");
            text.Append(Sentence($"GNRMC,{time},A,{lat},{lon},0.8,0.0,{at:ddMMyy},,,A")).Append("\r\n");
        }
        return text.ToString();

        static string Coordinate(double degrees, int width)
        {
            int whole = (int)degrees;
            double minutes = (degrees - whole) * 60;
            return whole.ToString(new string('0', width), System.Globalization.CultureInfo.InvariantCulture) +
                minutes.ToString("00.00000", System.Globalization.CultureInfo.InvariantCulture);
        }

        static string Sentence(string body)
        {
            byte sum = 0;
            foreach (char c in body) sum ^= (byte)c;
            return $"${body}*{sum:X2}";
        }
    }

    /// <summary>The markers file beside a clip (recorder-command-channel-v1.md §7.1): "important" when the clip was marked after it closed,
    /// then one line per marker: UTC time, kind, label.</summary>
    public static string Markers(ClipMeta meta, bool markedInName)
    {
        var text = new System.Text.StringBuilder();
        if (meta.Important && !markedInName) text.Append("important\n");
        foreach (var marker in meta.Markers)
            text.Append(DateTimeOffset.FromUnixTimeMilliseconds(marker.TimeMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(marker.Kind switch { MarkerKind.Officer => "officer", MarkerKind.Emergency => "emergency", MarkerKind.Photo => "photo", _ => "voice-note" })
                .Append(marker.Label.Length > 0 ? " " + marker.Label : "").Append('\n');
        return text.ToString();
    }
}
