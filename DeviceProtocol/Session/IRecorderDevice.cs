using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Session;

/// <summary>
/// What a recorder's firmware provides to the DockLink device role: its identity, clock, battery
/// and clip store. The simulator implements it; so would firmware (in C, from docklink-v1.md).
/// To refuse a request, throw <see cref="Errors.DockLinkErrors.Refuse"/> with the wire error code.
/// </summary>
public interface IRecorderDevice
{
    string Serial { get; }

    IRecorderCredential Credential { get; }

    /// <summary>Raw Ed25519 public keys of the agencies whose endorsement of a dock this recorder accepts.</summary>
    IReadOnlyList<ReadOnlyMemory<byte>> TrustedAgencyKeys { get; }

    /// <summary>The HELLO_ACK <c>auth_methods</c> bits (method m is bit m − 1; docklink-v1.md §5.2). A v1.1 device offers method 2,
    /// the expiring endorsement; a device that stops offering method 1 refuses every endorsement that does not expire.</summary>
    byte OfferedAuthMethods => AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring;

    /// <summary>Capability bits announced in HELLO_ACK.</summary>
    DeviceCapabilities Capabilities { get; }

    Info GetInfo();

    /// <summary>Sets the clock to the host's time; returns the device clock as it was just before, in Unix ms.</summary>
    long SetTime(long hostTimeMs);

    Power GetPower();

    /// <summary>The clips now stored, in a stable order (oldest first).</summary>
    IReadOnlyList<ClipSummary> ListClips();

    ClipInfo GetClip(string clipId);

    /// <summary>v1.2 (capability bit 3): the clip's GPS track, event markers and importance flag now. A device without them leaves this
    /// as it is (UNKNOWN_TYPE, as a v1.1 device answers). The session fits the answer to the host's max_payload.</summary>
    ClipMeta GetClipMeta(string clipId) => throw Errors.DockLinkErrors.Refuse(Errors.ErrorCode.UnknownType, "this recorder keeps no clip metadata");

    /// <summary>v1.3 (capability bit 4): binds the camera to an officer (an empty id: to nobody); the footage it records from now on carries
    /// that officer. Returns the officer held before. A device without it leaves this as it is (UNKNOWN_TYPE).</summary>
    string SetOfficer(SetOfficer officer) => throw Errors.DockLinkErrors.Refuse(Errors.ErrorCode.UnknownType, "this recorder cannot be bound to an officer by the dock");

    /// <summary>v1.4 (capability bit 5): the recorder profile it runs. A device without it leaves this as it is (UNKNOWN_TYPE).</summary>
    RecorderConfig GetConfig() => throw Errors.DockLinkErrors.Refuse(Errors.ErrorCode.UnknownType, "this recorder's settings are not set by the dock");

    /// <summary>v1.4 (capability bit 5): applies a profile (its bytes already match its hash: the codec checked) and answers with the version and
    /// hash of what it runs afterwards, read back from where it keeps them. A profile it cannot run is refused with BAD_MESSAGE, nothing
    /// applied.</summary>
    ConfigSet PutConfig(PutConfig config) => throw Errors.DockLinkErrors.Refuse(Errors.ErrorCode.UnknownType, "this recorder's settings are not set by the dock");

    /// <summary>v1.5 (capability bit 6): the running image, the staged one, and the last failure (docklink-v1.md §5.17). A device without it leaves
    /// this and the four below as they are (UNKNOWN_TYPE).</summary>
    FirmwareState GetFirmware() => throw NoFirmware();

    /// <summary>v1.5: an image is announced. The device refuses (BAD_IMAGE) one not for its model or not signed by an agency it trusts, and
    /// (TOO_LARGE) one above its slot; it keeps what it holds of the same image (the resume offset) and discards any other staged image.</summary>
    FirmwareReady BeginFirmware(FirmwareBegin begin) => throw NoFirmware();

    /// <summary>v1.5: bytes of the announced image at <paramref name="offset"/> (at most the bytes held: a repeat is harmless; beyond it, BAD_RANGE).
    /// Returns the bytes held durably afterwards.</summary>
    ulong WriteFirmware(ulong offset, ReadOnlySpan<byte> data) => throw NoFirmware();

    /// <summary>v1.5: checks the whole staged image (SHA-256, signature) and installs it in the other slot; returns that slot. The session ends
    /// after the answer and the device reboots into the image on trial. A bad image: BAD_IMAGE, the staged bytes discarded, nothing installed.</summary>
    byte InstallFirmware(ReadOnlySpan<byte> sha256) => throw NoFirmware();

    /// <summary>v1.5: keeps the trial image with this SHA-256 (the dock's health check passed); returns its slot. No trial image with that hash:
    /// BAD_STATE.</summary>
    byte ConfirmFirmware(ReadOnlySpan<byte> sha256) => throw NoFirmware();

    private static Errors.DockLinkException NoFirmware() =>
        Errors.DockLinkErrors.Refuse(Errors.ErrorCode.UnknownType, "this recorder does not take firmware from the dock");

    /// <summary>Fills <paramref name="destination"/> from the clip at <paramref name="offset"/>; returns
    /// min(destination.Length, size − offset) bytes.</summary>
    ValueTask<int> ReadClipAsync(string clipId, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>The dock allows deletion: delete if <paramref name="sha256"/> is the clip's hash. Returns whether it deleted
    /// (false: it keeps the clip, e.g. a policy on the device). Answered only once the deletion is done.</summary>
    ValueTask<bool> ReleaseAsync(string clipId, ReadOnlyMemory<byte> sha256, CancellationToken cancellationToken);

    /// <summary>A session started (the recorder is docked) or ended. Used e.g. to start or stop charging.</summary>
    void OnLinkChanged(bool connected);
}
