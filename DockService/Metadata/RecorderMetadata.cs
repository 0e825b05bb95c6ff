using System.Globalization;
using System.Text.Json;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Recorders;

namespace Dock.Service.Metadata;

/// <summary>What a recorder keeps beside a clip, as the dock received it: the importance flag set on the camera, the GPS track (oldest
/// first), event markers, how many fixes or markers were left out as outside the recording, and a problem when the answer was refused.</summary>
public sealed record RecorderData(DateTimeOffset ReceivedAt, bool Important, IReadOnlyList<TrackPoint> Track, IReadOnlyList<ClipMarker> Markers, int Dropped,
    string? Problem = null)
{
    /// <summary>The fix that gives the capture place: the first as good as <see cref="GoodFixDm"/>, else the most accurate one.</summary>
    public TrackPoint? PlaceFix => Track.Count == 0 ? null
        : Track.FirstOrDefault(p => p.AccuracyDm is > 0 and <= GoodFixDm) is { TimeMs: > 0 } good ? good
        : Track.OrderBy(p => p.AccuracyDm == 0 ? ushort.MaxValue : p.AccuracyDm).First();

    /// <summary>25 m: a fix that places an officer on the right side of a street.</summary>
    public const int GoodFixDm = 250;

    /// <summary>The capture place as the tags hold it: "GPS 39.912900,116.366100 (±4 m)".</summary>
    public static string Place(TrackPoint fix) => string.Create(CultureInfo.InvariantCulture,
        $"GPS {fix.Latitude:0.000000},{fix.Longitude:0.000000}{(fix.AccuracyDm > 0 ? $" (±{Math.Max(1, (int)Math.Round(fix.AccuracyDm / 10.0))} m)" : "")}");

    /// <summary>The track as stored: a format byte (1), then per fix the differences from the fix before (time in ms, latitude and
    /// longitude in 10⁻⁷°) as zigzag varints and the accuracy as a varint. A fix every few seconds on foot takes about 6 bytes,
    /// a third of the wire's 18, and a clip's track stays small enough that several share a catalog page.</summary>
    internal static byte[] PackTrack(IReadOnlyList<TrackPoint> track)
    {
        var bytes = new List<byte>(1 + track.Count * 8) { 1 };
        long time = 0, lat = 0, lon = 0;
        foreach (var point in track)
        {
            ZigZag(bytes, point.TimeMs - time);
            ZigZag(bytes, point.LatE7 - lat);
            ZigZag(bytes, point.LonE7 - lon);
            Varint(bytes, point.AccuracyDm);
            (time, lat, lon) = (point.TimeMs, point.LatE7, point.LonE7);
        }
        return [.. bytes];
    }

    internal static TrackPoint[] UnpackTrack(byte[] bytes)
    {
        if (bytes.Length == 0) return [];
        if (bytes[0] != 1) throw new Catalog.StorageException(Catalog.StorageFailure.Schema, $"A stored GPS track has format {bytes[0]}, newer than this Dock.");
        var track = new List<TrackPoint>();
        int at = 1;
        long time = 0, lat = 0, lon = 0;
        while (at < bytes.Length)
        {
            time += UnZigZag(bytes, ref at);
            lat += UnZigZag(bytes, ref at);
            lon += UnZigZag(bytes, ref at);
            track.Add(new TrackPoint(time, (int)lat, (int)lon, (ushort)ReadVarint(bytes, ref at)));
        }
        return [.. track];
    }

    private static void ZigZag(List<byte> bytes, long value) => Varint(bytes, (ulong)((value << 1) ^ (value >> 63)));

    private static void Varint(List<byte> bytes, ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
    }

    private static long UnZigZag(byte[] bytes, ref int at)
    {
        var raw = ReadVarint(bytes, ref at);
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    private static ulong ReadVarint(byte[] bytes, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length) throw new Catalog.StorageException(Catalog.StorageFailure.Damaged, "A stored GPS track ends inside a number.");
            byte b = bytes[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new Catalog.StorageException(Catalog.StorageFailure.Damaged, "A stored GPS track holds a number longer than 64 bits.");
    }

    internal static string PackMarkers(IReadOnlyList<ClipMarker> markers) =>
        JsonSerializer.Serialize(markers.Select(m => new StoredMarker(m.TimeMs, (byte)m.Kind, m.Label)));

    internal static ClipMarker[] UnpackMarkers(string json) =>
        [.. (JsonSerializer.Deserialize<StoredMarker[]>(json) ?? []).Select(m => new ClipMarker(m.T, (MarkerKind)m.K, m.L))];

    private sealed record StoredMarker(long T, byte K, string L);
}

/// <summary>
/// Takes what a recorder keeps beside each clip (DockLink v1.2 GET_CLIP_META, or a mass-storage camera's sidecar files) once the clip is
/// verified and before it may be released — after that the camera no longer has it. Fixes and markers outside the recording (a minute
/// of slack either side, the camera's clock) are left out and counted; the rest is kept with the clip and goes into its cloud sidecar.
/// The capture place then comes from the track and the importance flag from the camera, each a tag from the source "recorder" (a
/// metadata-changed custody entry by the dock), unless a person has set it already. A recorder whose answer is refused (malformed,
/// contradicting itself) raises <c>recorder-metadata</c>; the clip is not held back for it.
/// </summary>
public sealed class RecorderMetadata(TagStore store, ClipTagging tagging, AlertStore alerts, string dockId, TimeProvider time)
{
    /// <summary>How far outside the recording a fix or marker may lie (the camera logs a little before it starts writing).</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(1);

    /// <summary>Asks the recorder once per clip (not again once answered or refused). A lost link ends the docking as a pull's would.</summary>
    public async Task ReceiveAsync(IDockedRecorder session, ClipRecord clip, CancellationToken cancellationToken)
    {
        if (!session.ProvidesClipMetadata || await store.HasRecorderDataAsync(clip.Id, cancellationToken).ConfigureAwait(false)) return;
        ClipMeta? meta;
        try
        {
            meta = await session.GetClipMetadataAsync(clip.DeviceClipId, cancellationToken).ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure != DockLinkFailure.ConnectionLost && !session.Completion.IsCompleted)
        {
            await store.SaveRecorderDataAsync(clip.Id, new RecorderData(time.GetUtcNow(), false, [], [], 0, ex.Message), cancellationToken).ConfigureAwait(false);
            await alerts.RaiseAlertAsync("recorder-metadata", clip.RecorderSerial, clip.ClipId,
                $"{clip.RecorderSerial}/{clip.ClipId}: the camera's GPS track and markers were refused ({ex.Message}). The clip itself is safe and " +
                "verified; its place comes from the dock's location or a person. Have the camera's firmware checked.", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (meta is null) return;
        long from = (clip.DeviceStart - Slack).ToUnixTimeMilliseconds(), to = (clip.DeviceEnd + Slack).ToUnixTimeMilliseconds();
        var track = meta.Track.Where(p => p.TimeMs >= from && p.TimeMs <= to).ToList();
        var markers = meta.Markers.Where(m => m.TimeMs >= from && m.TimeMs <= to).ToList();
        var data = new RecorderData(time.GetUtcNow(), meta.Important, track, markers, meta.Track.Count - track.Count + meta.Markers.Count - markers.Count);
        await store.SaveRecorderDataAsync(clip.Id, data, cancellationToken).ConfigureAwait(false);

        var stored = await store.ReadAsync(clip.Id, cancellationToken).ConfigureAwait(false);
        var changes = new Dictionary<TagField, string?>();
        if (data.PlaceFix is { } fix && !stored.ContainsKey(TagField.CapturePlace)) changes[TagField.CapturePlace] = RecorderData.Place(fix);
        if (meta.Important && !stored.ContainsKey(TagField.Important)) changes[TagField.Important] = "true";
        if (changes.Count > 0)
            await tagging.TagAsync(dockId, TagSource.Recorder, clip, changes, data.Dropped > 0 ? $"{data.Dropped} fix(es) or marker(s) outside the recording left out" : null,
                cancellationToken).ConfigureAwait(false);
    }
}
