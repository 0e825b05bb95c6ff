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

    /// <summary>Fills <paramref name="destination"/> from the clip at <paramref name="offset"/>; returns
    /// min(destination.Length, size − offset) bytes.</summary>
    ValueTask<int> ReadClipAsync(string clipId, long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>The dock allows deletion: delete if <paramref name="sha256"/> is the clip's hash. Returns whether it deleted
    /// (false: it keeps the clip, e.g. a policy on the device). Answered only once the deletion is done.</summary>
    ValueTask<bool> ReleaseAsync(string clipId, ReadOnlyMemory<byte> sha256, CancellationToken cancellationToken);

    /// <summary>A session started (the recorder is docked) or ended. Used e.g. to start or stop charging.</summary>
    void OnLinkChanged(bool connected);
}
