namespace Dock.DeviceProtocol.Messages;

/// <summary>
/// What a CLIP_META may carry (docklink-v1.md §5.14), and how a device fits it into the host's <c>max_payload</c>: a long track is
/// thinned evenly, keeping its first and last fix, never cut off at one end.
/// </summary>
public static class ClipMetaBounds
{
    public const int MaxLatE7 = 900_000_000;
    public const int MaxLonE7 = 1_800_000_000;

    /// <summary>Why a fix cannot be taken, or null.</summary>
    public static string? PointProblem(TrackPoint point) =>
        !ClipBounds.IsTime(point.TimeMs) ? $"time {point.TimeMs} ms is outside 2000-01-01..2100-01-01"
        : point.LatE7 is < -MaxLatE7 or > MaxLatE7 ? $"latitude {point.LatE7} × 10⁻⁷° is outside ±90°"
        : point.LonE7 is < -MaxLonE7 or > MaxLonE7 ? $"longitude {point.LonE7} × 10⁻⁷° is outside ±180°"
        : null;

    /// <summary>The payload size of <paramref name="meta"/> on the wire.</summary>
    public static int WireSize(ClipMeta meta) =>
        1 + System.Text.Encoding.UTF8.GetByteCount(meta.ClipId) + 1 + 2 + meta.Track.Count * TrackPoint.WireSize + 2 +
        meta.Markers.Sum(m => 8 + 1 + 1 + System.Text.Encoding.UTF8.GetByteCount(m.Label));

    /// <summary><paramref name="meta"/> within <see cref="ClipMeta.MaxPoints"/> and <paramref name="maxPayload"/> bytes: the track thinned
    /// evenly (first and last kept) until it fits. Markers are few and kept whole.</summary>
    public static ClipMeta Fit(ClipMeta meta, int maxPayload)
    {
        // A host limit as small as the protocol allows (1,024 bytes) may not hold every marker either: the latest go first.
        while (meta.Markers.Count > 0 && WireSize(meta with { Track = [] }) > maxPayload) meta = meta with { Markers = meta.Markers.Take(meta.Markers.Count - 1).ToArray() };
        int fixedBytes = WireSize(meta with { Track = [] });
        int room = Math.Max(0, (maxPayload - fixedBytes) / TrackPoint.WireSize);
        int keep = Math.Min(Math.Min(room, ClipMeta.MaxPoints), meta.Track.Count);
        if (keep == meta.Track.Count) return meta;
        if (keep <= 1) return meta with { Track = keep == 0 ? [] : [meta.Track[0]] };
        var thinned = new TrackPoint[keep];
        for (int i = 0; i < keep; i++) thinned[i] = meta.Track[(int)((long)i * (meta.Track.Count - 1) / (keep - 1))];
        return meta with { Track = thinned };
    }
}
