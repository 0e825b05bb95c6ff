using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Errors;

/// <summary>The single factory for DockLink exceptions, so every message reads the same way.</summary>
public static class DockLinkErrors
{
    public static DockLinkException ConnectionLost(string what, Exception? inner = null) =>
        new(DockLinkFailure.ConnectionLost, $"DockLink connection lost: {what}.", inner: inner);

    public static DockLinkException Malformed(MessageType? type, string what) =>
        new(DockLinkFailure.ProtocolViolation, type is null
            ? $"Malformed DockLink message: {what}."
            : $"Malformed DockLink {type} message: {what}.");

    /// <summary>TIME_SET answered with a clock reading no clock can show (§5.5): the offset is unknown; the clock is set now.</summary>
    public static DockLinkException ClockOutOfRange(long deviceMs) =>
        new(DockLinkFailure.ProtocolViolation, $"{ClockOutOfRangeText} {deviceMs} ms (Unix) before the dock set it, outside 2000-01-01..2100-01-01");

    private const string ClockOutOfRangeText = "the recorder's clock read";

    /// <summary>True for the error of <see cref="ClockOutOfRange"/>: the session is fine, the clock was not.</summary>
    public static bool IsClockOutOfRange(DockLinkException error) =>
        error.Failure == DockLinkFailure.ProtocolViolation && error.Message.StartsWith(ClockOutOfRangeText, StringComparison.Ordinal);

    /// <summary>The link damaged more frames than a session may (docklink-v1.md §3.4): it is dropped, and the host backs off.</summary>
    public static DockLinkException FramingBudgetSpent(string what) =>
        new(DockLinkFailure.ProtocolViolation, $"too many damaged frames: {what}; the link is dropped");

    public static DockLinkException CorruptFrame(uint requestId) =>
        new(DockLinkFailure.CorruptFrame, $"DockLink frame for request {requestId} failed its CRC check.");

    public static DockLinkException TooLarge(string what, long size, long limit) =>
        new(DockLinkFailure.TooLarge, $"DockLink {what} of {size} bytes exceeds the limit of {limit} bytes.");

    public static DockLinkException Timeout(MessageType request, TimeSpan after) =>
        new(DockLinkFailure.Timeout, $"The recorder did not answer {request} within {after.TotalSeconds:0.###} s.");

    public static DockLinkException Remote(MessageType request, ErrorCode code, string message) =>
        new(DockLinkFailure.RemoteError, $"The recorder refused {request}: {code} ({message}).", code);

    public static DockLinkException VersionMismatch(int offeredMin, int offeredMax, int chosen) =>
        new(DockLinkFailure.VersionMismatch,
            $"No common DockLink version: we speak {offeredMin}..{offeredMax}, the peer chose {chosen}.");

    public static DockLinkException AuthenticationFailed(string what) =>
        new(DockLinkFailure.AuthenticationFailed, $"DockLink authentication failed: {what}.");

    public static DockLinkException InvalidState(string what) =>
        new(DockLinkFailure.InvalidState, $"DockLink session: {what}.");

    public static DockLinkException UnexpectedResponse(MessageType request, MessageType got) =>
        new(DockLinkFailure.ProtocolViolation, $"The recorder answered {request} with {got}.");

    /// <summary>What a recorder implementation throws to refuse a request; the device session sends it as ERROR.</summary>
    public static DockLinkException Refuse(ErrorCode code, string text) =>
        new(DockLinkFailure.RemoteError, text, code);
}
