using Dock.DeviceProtocol.Framing;

namespace Dock.DeviceProtocol.Session;

/// <summary>Tuning for the dock side of a session. Defaults are docklink-v1.md §9's recommendations.</summary>
public sealed record HostSessionOptions
{
    /// <summary>How long HELLO and AUTH may take before the recorder is treated as absent or broken.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long any other request may take. On expiry the request fails with Timeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A PING is sent after this much silence so the recorder's idle timer (30 s) never fires.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The receive limit we advertise: one read chunk plus its header fields.</summary>
    public int MaxPayload { get; init; } = 1024 * 1024 + 64;

    /// <summary>Bytes asked for per READ_CLIP. 256 KiB keeps 8 in flight under 2 MiB per bay.</summary>
    public int ReadChunkSize { get; init; } = 256 * 1024;

    /// <summary>READ_CLIPs kept in flight (windowing), capped by the recorder's max_in_flight.</summary>
    public int ReadWindow { get; init; } = 8;

    /// <summary>Attempts per chunk when a frame is corrupted or a read times out, before the link is given up.</summary>
    public int ChunkAttempts { get; init; } = 3;

    /// <summary>The most clips taken from one recorder's listing (docklink-v1.md §5.7): a recorder that claims more is listed
    /// this far, and the rest wait for the next docking (the listing is incomplete, so nothing unlisted is taken as gone).</summary>
    public int MaxListedClips { get; init; } = 10_000;

    /// <summary>How long a whole listing (every page) may take.</summary>
    public TimeSpan ListingDeadline { get; init; } = TimeSpan.FromSeconds(60);

    internal void Validate()
    {
        if (MaxListedClips is < 1 or > 1_000_000)
            throw new ArgumentOutOfRangeException(nameof(MaxListedClips), MaxListedClips, "must be 1..1,000,000");
        if (ListingDeadline <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ListingDeadline), ListingDeadline, "must be positive");
        if (MaxPayload is < FrameFormat.MinAdvertisedPayload or > FrameFormat.AbsoluteMaxPayload)
            throw new ArgumentOutOfRangeException(nameof(MaxPayload), MaxPayload, $"must be {FrameFormat.MinAdvertisedPayload}..{FrameFormat.AbsoluteMaxPayload}");
        if (ReadChunkSize < 512 || ReadChunkSize > MaxPayload - 64)
            throw new ArgumentOutOfRangeException(nameof(ReadChunkSize), ReadChunkSize, $"must be 512..{MaxPayload - 64} (MaxPayload - 64)");
        if (ReadWindow is < 1 or > 64)
            throw new ArgumentOutOfRangeException(nameof(ReadWindow), ReadWindow, "must be 1..64");
        if (ChunkAttempts is < 1 or > 10)
            throw new ArgumentOutOfRangeException(nameof(ChunkAttempts), ChunkAttempts, "must be 1..10");
    }
}
