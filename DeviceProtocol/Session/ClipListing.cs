using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Session;

/// <summary>The clips a recorder listed. <see cref="Complete"/> is false when the listing stopped short (a page came back
/// empty before the announced total, or a bound was reached): a clip missing from an incomplete listing may still be there.
/// <see cref="Problem"/> says what the recorder did wrong (docklink-v1.md §5.7), for a person to see; null when nothing.</summary>
public sealed record ClipListing(IReadOnlyList<ClipSummary> Clips, bool Complete, string? Problem = null)
{
    /// <summary>Entries listed but refused (<see cref="Messages.ClipBounds"/>): still on the recorder, never taken as gone.</summary>
    public IReadOnlyList<(string ClipId, string Reason)> Refused { get; init; } = [];
}
