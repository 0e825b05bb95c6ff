using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;

namespace Dock.Service.Recorders;

/// <summary>
/// The seam between the ingest pipeline and a recorder in a bay, whatever it speaks: DockLink
/// (<see cref="DockLinkRecorder"/>) or a USB disk with a command channel
/// (<see cref="MassStorage.MassStorageRecorder"/>). Failures surface as
/// <see cref="Dock.DeviceProtocol.Errors.DockLinkException"/>: ConnectionLost means the recorder left.
/// </summary>
public interface IDockedRecorder : IAsyncDisposable
{
    /// <summary>The serial the recorder gave when it docked.</summary>
    string Serial { get; }

    /// <summary>How it is reached, for logs and custody records.</summary>
    string Endpoint { get; }

    /// <summary>The Ed25519 key it proved in a handshake; empty when the driver cannot prove identity (mass storage).</summary>
    byte[] ProvedKey { get; }

    /// <summary>Whether it signs each clip at record time (docklink-v1.md §7.5).</summary>
    bool SignsClips { get; }

    /// <summary>Its record-time signatures are the v1.1 ones (every listed field and the officer; docklink-v1.md §7.5).</summary>
    bool SignsClipsV11 => false;

    /// <summary>Its record-time signatures are the v1.5 ones: also over the recorder profile each clip was recorded under (docklink-v1.md §7.5).</summary>
    bool SignsClipsV15 => false;

    /// <summary>What <see cref="ListClipsAsync"/>'s SHA-256 is, in custody records' words.</summary>
    string HashSource { get; }

    /// <summary>Completes when the recorder has left the bay.</summary>
    Task Completion { get; }

    Task<Info> GetInfoAsync(CancellationToken cancellationToken);

    /// <summary>Sets its clock; returns how far off it was (recorder minus dock).</summary>
    Task<TimeSpan> SyncTimeAsync(CancellationToken cancellationToken);

    /// <summary>The battery now; null when the recorder cannot say (a mass-storage recorder whose command channel
    /// went away once it presented its disk).</summary>
    Task<Power?> GetPowerAsync(CancellationToken cancellationToken);

    /// <summary>Every clip it holds, each with the reference SHA-256 the pulled bytes must match, or an empty one when
    /// the driver makes it only on demand (<see cref="ReferenceHashAsync"/>). Incomplete when a bound stopped the listing.</summary>
    Task<ClipListing> ListClipsAsync(CancellationToken cancellationToken);

    /// <summary>The reference SHA-256 of a clip listed without one, made now (just before its pull).</summary>
    Task<byte[]> ReferenceHashAsync(string clipId, CancellationToken cancellationToken);

    /// <summary>The record-time signature (only when <see cref="SignsClips"/>).</summary>
    Task<ClipInfo> GetClipAsync(string clipId, CancellationToken cancellationToken);

    /// <summary>Whether it keeps a GPS track, markers and an importance flag beside each clip (DockLink v1.2 capability bit 3; a
    /// mass-storage camera's sidecar files).</summary>
    bool ProvidesClipMetadata => false;

    /// <summary>What it keeps beside the clip (docklink-v1.md §5.14), or null when it has nothing for this clip.</summary>
    Task<ClipMeta?> GetClipMetadataAsync(string clipId, CancellationToken cancellationToken) => Task.FromResult<ClipMeta?>(null);

    /// <summary>Whether the dock can bind it to an officer at checkout now (DockLink v1.3 capability bit 4; a mass-storage camera whose command
    /// channel is still open).</summary>
    bool CanSetOfficer => false;

    /// <summary>Binds it to <paramref name="officer"/> (checkout): the footage it records from now on carries them. Reads back what it holds
    /// and throws unless that is the officer written; returns the officer it held before ("" for none).</summary>
    Task<string> SetOfficerAsync(Dock.DeviceProtocol.CommandChannel.OfficerInfo officer, CancellationToken cancellationToken) =>
        throw Dock.DeviceProtocol.Errors.DockLinkErrors.Refuse(Dock.DeviceProtocol.Errors.ErrorCode.UnknownType, "this recorder cannot be bound to an officer by the dock");

    /// <summary>Whether the dock sets its recorder profile (DockLink v1.4 capability bit 5).</summary>
    bool CanConfigure => false;

    /// <summary>The recorder profile it runs (docklink-v1.md §5.16).</summary>
    Task<RecorderConfig> GetConfigAsync(CancellationToken cancellationToken) =>
        throw Dock.DeviceProtocol.Errors.DockLinkErrors.Refuse(Dock.DeviceProtocol.Errors.ErrorCode.UnknownType, "this recorder's settings are not set by the dock");

    /// <summary>Writes a recorder profile; the answer is what it says it runs now (the caller compares the hash).</summary>
    Task<ConfigSet> PutConfigAsync(PutConfig config, CancellationToken cancellationToken) =>
        throw Dock.DeviceProtocol.Errors.DockLinkErrors.Refuse(Dock.DeviceProtocol.Errors.ErrorCode.UnknownType, "this recorder's settings are not set by the dock");

    /// <summary>Whether the dock puts firmware on it (DockLink v1.5 capability bit 6).</summary>
    bool CanUpdateFirmware => false;

    /// <summary>The firmware it runs and holds staged (docklink-v1.md §5.17).</summary>
    Task<FirmwareState> GetFirmwareAsync(CancellationToken cancellationToken) => throw NoFirmware();

    /// <summary>Announces an image; the answer says where the transfer resumes.</summary>
    Task<FirmwareReady> BeginFirmwareAsync(FirmwareBegin begin, CancellationToken cancellationToken) => throw NoFirmware();

    /// <summary>Sends [offset, size) of the announced image read by <paramref name="source"/>; returns the bytes sent, repeats included.</summary>
    Task<long> PushFirmwareAsync(long offset, long size, uint maxChunk, Func<long, Memory<byte>, CancellationToken, ValueTask<int>> source,
        CancellationToken cancellationToken) => throw NoFirmware();

    /// <summary>Has it check and install the staged image; it then ends the session and reboots into it on trial.</summary>
    Task<FirmwareInstalling> InstallFirmwareAsync(byte[] sha256, CancellationToken cancellationToken) => throw NoFirmware();

    /// <summary>Keeps the trial image (the health check passed).</summary>
    Task<FirmwareConfirmed> ConfirmFirmwareAsync(byte[] sha256, CancellationToken cancellationToken) => throw NoFirmware();

    private static Dock.DeviceProtocol.Errors.DockLinkException NoFirmware() =>
        Dock.DeviceProtocol.Errors.DockLinkErrors.Refuse(Dock.DeviceProtocol.Errors.ErrorCode.UnknownType, "this recorder does not take firmware from the dock");

    /// <summary>Streams bytes [offset, size) of a clip to <paramref name="sink"/>, in order.</summary>
    Task PullAsync(string clipId, long offset, long size, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        CancellationToken cancellationToken);

    /// <summary>Deletes the clip if it still has exactly this SHA-256; true if deleted, false if kept.
    /// NoSuchClip / HashMismatch remote errors as for DockLink's RELEASE.</summary>
    Task<bool> ReleaseClipAsync(string clipId, byte[] sha256, CancellationToken cancellationToken);

    /// <summary>A polite goodbye when the dock stops (best effort).</summary>
    Task ByeAsync(CancellationToken cancellationToken);
}
