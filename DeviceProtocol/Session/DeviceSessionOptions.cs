using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Session;

/// <summary>Device-side limits and timeouts (docklink-v1.md §9).</summary>
public sealed record DeviceSessionOptions
{
    /// <summary>Close the link if no valid HELLO arrives this long after it opens.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Close the link (forgetting authentication) after this much silence from the host.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Receive limit the device advertises. Requests are small; 64 KiB is generous.</summary>
    public int MaxPayload { get; init; } = 64 * 1024;

    /// <summary>Largest READ_CLIP the device serves.</summary>
    public int MaxRead { get; init; } = 1024 * 1024;

    /// <summary>Requests the host may keep outstanding.</summary>
    public ushort MaxInFlight { get; init; } = 16;

    /// <summary>
    /// A hostile recorder's hook (dock-sim --hostile, tests): given each request and the answer the device would send, returns
    /// the answer to send instead. Null (firmware, the normal simulator) sends what the device answered.
    /// </summary>
    public Func<Message, Message, Message>? Rewrite { get; init; }

    internal void Validate()
    {
        if (MaxPayload is < FrameFormat.MinAdvertisedPayload or > FrameFormat.AbsoluteMaxPayload)
            throw new ArgumentOutOfRangeException(nameof(MaxPayload));
        if (MaxRead is < 512 or > FrameFormat.AbsoluteMaxPayload - 64)
            throw new ArgumentOutOfRangeException(nameof(MaxRead));
        if (MaxInFlight == 0)
            throw new ArgumentOutOfRangeException(nameof(MaxInFlight));
    }
}
