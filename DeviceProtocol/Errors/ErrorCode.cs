namespace Dock.DeviceProtocol.Errors;

/// <summary>Error codes carried in an ERROR message (docklink-v1.md §6). Values are wire values.</summary>
public enum ErrorCode : ushort
{
    /// <summary>The request frame's payload CRC failed. The sender retries the same request.</summary>
    BadFrame = 1,
    /// <summary>The payload could not be decoded (truncated, field out of range, bad identifier).</summary>
    BadMessage = 2,
    /// <summary>The message type is not known to the receiver.</summary>
    UnknownType = 3,
    /// <summary>No common protocol version.</summary>
    UnsupportedVersion = 4,
    /// <summary>The message is not allowed in the current session state (e.g. before HELLO).</summary>
    BadState = 5,
    /// <summary>A clip or configuration operation before authentication succeeded.</summary>
    NotAuthenticated = 6,
    /// <summary>The AUTH message did not verify.</summary>
    AuthFailed = 7,
    /// <summary>More requests in flight than the device advertised.</summary>
    Busy = 8,
    /// <summary>No clip with that id.</summary>
    NoSuchClip = 16,
    /// <summary>Offset beyond the end of the clip.</summary>
    BadRange = 17,
    /// <summary>Requested length above the advertised maximum.</summary>
    TooLarge = 18,
    /// <summary>RELEASE_CLIP named a SHA-256 that is not the clip's.</summary>
    HashMismatch = 19,
    /// <summary>v1.5: a firmware image refused: not for this model, its signature is not a trusted agency's, or its bytes do not hash to the
    /// announced SHA-256 (the staged bytes are then discarded). Nothing is installed.</summary>
    BadImage = 20,
    /// <summary>The device could not read its own storage.</summary>
    StorageError = 32,
    /// <summary>Anything else; the message text says what.</summary>
    Internal = 255,
}
