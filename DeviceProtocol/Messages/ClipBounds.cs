namespace Dock.DeviceProtocol.Messages;

/// <summary>
/// What a listed clip may claim (docklink-v1.md §5.7): sizes and times a dock can store, show and sum without overflow.
/// The codec decodes any value the wire can carry; a host checks each entry with <see cref="Check"/> and refuses only that
/// entry, so one absurd clip never stops the recorder's other clips from coming in.
/// </summary>
public static class ClipBounds
{
    /// <summary>The largest clip: 1 TiB. A day of 4K body-camera video is about 200 GB.</summary>
    public const ulong MaxSize = 1UL << 40;

    /// <summary>The earliest time a clip or a recorder clock may state: 2000-01-01T00:00:00Z.</summary>
    public const long EarliestMs = 946_684_800_000;

    /// <summary>The latest: 2100-01-01T00:00:00Z (exclusive).</summary>
    public const long LatestMs = 4_102_444_800_000;

    /// <summary>Why the entry cannot be taken, or null when it is within bounds.</summary>
    public static string? Check(ClipSummary clip)
    {
        if (clip.Size > MaxSize) return $"size {clip.Size} bytes is above the {MaxSize}-byte bound";
        if (!IsTime(clip.StartMs)) return $"start time {clip.StartMs} ms is outside 2000-01-01..2100-01-01";
        if (!IsTime(clip.EndMs)) return $"end time {clip.EndMs} ms is outside 2000-01-01..2100-01-01";
        if (clip.EndMs < clip.StartMs) return $"it ends ({clip.EndMs} ms) before it starts ({clip.StartMs} ms)";
        return null;
    }

    public static bool IsTime(long unixMs) => unixMs is >= EarliestMs and < LatestMs;
}
