using Dock.DeviceProtocol.Messages;
using Dock.Service.Recorders.MassStorage;

namespace Dock.Service.Tests;

/// <summary>A mass-storage camera's GPS log and marks (recorder-command-channel-v1.md §7.1): NMEA 0183 as receivers write it, each bad line
/// skipped alone, and the files found only beside the clip, never through a link.</summary>
public sealed class SidecarFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-sidecar-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Appends the NMEA checksum: the XOR of the characters between '$' and '*' (NMEA 0183 §5.3).</summary>
    private static string Sentence(string body)
    {
        byte sum = 0;
        foreach (char c in body) sum ^= (byte)c;
        return $"${body}*{sum:X2}";
    }

    [Fact]
    public void Nmea_TheTextbookSentence_ChecksOut_ButIts1994DateIsRefused()
    {
        int skipped = 0;
        // The NMEA 0183 textbook example (its checksum 6A is the published one): valid, but 23 March 1994 is before 2000 (docklink-v1.md §2).
        var track = SidecarFiles.ParseNmea("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A\r\n", ref skipped);
        Assert.Empty(track);
        Assert.Equal(1, skipped);
        skipped = 0;
        SidecarFiles.ParseNmea("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6B\r\n", ref skipped); // checksum off by one
        Assert.Equal(1, skipped);
    }

    [Fact]
    public void Nmea_PositionsTimesAndAccuracy_FromRmcAndGga_BadLinesSkippedAlone()
    {
        var text = string.Join("\r\n",
            Sentence("GNGGA,081500.00,3954.52320,N,11622.44600,E,1,09,0.8,52.3,M,-8.1,M,,"),
            Sentence("GNRMC,081500.00,A,3954.52320,N,11622.44600,E,0.8,0.0,031226,,,A"),
            Sentence("GNRMC,081505.00,V,3954.52400,N,11622.44700,E,0.0,0.0,031226,,,N"),  // void fix
            Sentence("GNRMC,081510.00,A,3954.52500,S,11622.44800,W,0.9,0.0,031226,,,A"),  // southern and western
            Sentence("GNRMC,081508.00,A,3954.52500,N,11622.44800,E,0.9,0.0,031226,,,A"),  // goes back in time
            Sentence("GNRMC,081520.00,A,9954.52500,N,11622.44800,E,0.9,0.0,031226,,,A"),  // 99° north
            "$GNRMC,garbage*00",
            new string('x', 500));
        int skipped = 0;
        var track = SidecarFiles.ParseNmea(text, ref skipped);
        Assert.Equal(2, track.Count);
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 8, 15, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), track[0].TimeMs);
        Assert.Equal(39.908720, track[0].Latitude, 6);    // 39° 54.52320'
        Assert.Equal(116.374100, track[0].Longitude, 6);  // 116° 22.44600'
        Assert.Equal(40, track[0].AccuracyDm);            // HDOP 0.8 × 5 m
        Assert.Equal(0, track[1].AccuracyDm);             // no GGA for that second
        Assert.True(track[1].LatE7 < 0 && track[1].LonE7 < 0);
        Assert.Equal(5, skipped);
    }

    [Fact]
    public void TheSpecsExample_ParsesAsItSays()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dock.sln"))) dir = dir.Parent;
        var spec = File.ReadAllLines(Path.Combine(dir!.FullName, "hardware-specs", "recorder-command-channel-v1.md"));
        int skipped = 0;
        var track = SidecarFiles.ParseNmea(string.Join("\n", spec.Where(l => l.StartsWith("$GN", StringComparison.Ordinal))), ref skipped);
        var fix = Assert.Single(track);
        Assert.Equal((0, 39.908720, 40), (skipped, Math.Round(fix.Latitude, 6), (int)fix.AccuracyDm));
        var (important, markers) = SidecarFiles.ParseMarkers(string.Join("\n", spec.Where(l => l == "important" || l.StartsWith("2026-12-03T08:16", StringComparison.Ordinal))), ref skipped);
        Assert.True(important);
        Assert.Equal("标记", Assert.Single(markers).Label);
    }

    [Fact]
    public void Markers_ImportantAndKinds_BadLinesSkipped()
    {
        int skipped = 0;
        var (important, markers) = SidecarFiles.ParseMarkers(
            "important\n2026-12-03T08:16:10.000Z officer 标记\n2026-12-03T08:17:00Z photo\n2026-12-03T08:18:00Z dance party\nnot-a-time officer\n" +
            $"2026-12-03T08:19:00Z emergency {new string('x', 65)}\n", ref skipped);
        Assert.True(important);
        Assert.Equal([(MarkerKind.Officer, "标记"), (MarkerKind.Photo, "")], markers.Select(m => (m.Kind, m.Label)));
        Assert.Equal(3, skipped);
    }

    [Fact]
    public void Read_FindsTheFilesBesideTheClip_InEitherCase_ButNeverThroughALink()
    {
        var clipPath = Path.Combine(_dir, "X_20261203081500_0001.MP4");
        File.WriteAllBytes(clipPath, [1, 2, 3]);
        var clip = new LayoutClip("X_20261203081500_0001.MP4", "X_20261203081500_0001.MP4", clipPath, 3, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow,
            ClipFlags.None, DateTime.UtcNow);
        Assert.Null(SidecarFiles.Read(clip).Meta); // no sidecar: nothing to say

        File.WriteAllText(Path.ChangeExtension(clipPath, ".nmea"), Sentence("GNRMC,081500.00,A,3954.52320,N,11622.44600,E,0.8,0.0,031226,,,A") + "\r\n");
        File.WriteAllText(Path.ChangeExtension(clipPath, ".MRK"), "important\n");
        var read = SidecarFiles.Read(clip);
        Assert.Single(read.Meta!.Track);
        Assert.True(read.Meta.Important);

        // A link in place of the log (a hostile disk pointing at a dock file) is not followed.
        File.Delete(Path.ChangeExtension(clipPath, ".nmea"));
        var outside = Path.Combine(_dir, "..", $"outside-{Guid.NewGuid():N}.txt");
        File.WriteAllText(outside, Sentence("GNRMC,081500.00,A,3954.52320,N,11622.44600,E,0.8,0.0,031226,,,A"));
        try
        {
            File.CreateSymbolicLink(Path.ChangeExtension(clipPath, ".NMEA"), outside);
            Assert.Empty(SidecarFiles.Read(clip).Meta!.Track);
        }
        finally
        {
            File.Delete(outside);
        }
    }
}

/// <summary>A GPS track as the catalog keeps it (delta varints) comes back exactly, extremes included, and takes about a third of the wire.</summary>
public sealed class StoredTrackTests
{
    [Fact]
    public void PackAndUnpack_RoundTripExactly_AndAreCompact()
    {
        var walk = Enumerable.Range(0, 120).Select(i => new TrackPoint(1_795_508_100_000 + i * 5000L, 399_087_200 + i * 37, 1_163_741_000 - i * 52, (ushort)(30 + i % 90))).ToList();
        TrackPoint[] extremes = [new(946_684_800_000, -900_000_000, -1_800_000_000, 0), new(4_102_444_799_999, 900_000_000, 1_800_000_000, ushort.MaxValue)];
        foreach (var track in new[] { walk, [.. extremes], new List<TrackPoint>() })
            Assert.Equal(track, Dock.Service.Metadata.RecorderData.UnpackTrack(Dock.Service.Metadata.RecorderData.PackTrack(track)));
        Assert.True(Dock.Service.Metadata.RecorderData.PackTrack(walk).Length < walk.Count * TrackPoint.WireSize / 2);
    }
}
