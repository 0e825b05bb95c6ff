namespace Dock.DeviceProtocol.Errors;

/// <summary>What went wrong on a DockLink link, so callers can decide without parsing messages.</summary>
public enum DockLinkFailure
{
    /// <summary>The transport closed or failed (cable pulled, socket reset, pty gone).</summary>
    ConnectionLost,
    /// <summary>The peer sent bytes that are not a valid DockLink message.</summary>
    ProtocolViolation,
    /// <summary>A frame arrived with a bad payload CRC; the request may be retried.</summary>
    CorruptFrame,
    /// <summary>A frame or field is larger than the negotiated or absolute limit.</summary>
    TooLarge,
    /// <summary>The peer did not answer in time.</summary>
    Timeout,
    /// <summary>The peer answered with an ERROR message; see <see cref="DockLinkException.RemoteCode"/>.</summary>
    RemoteError,
    /// <summary>No protocol version is common to both sides.</summary>
    VersionMismatch,
    /// <summary>Authentication failed: a bad signature, an unendorsed dock, an unknown method.</summary>
    AuthenticationFailed,
    /// <summary>The session is not in a state that allows the operation.</summary>
    InvalidState,
}
