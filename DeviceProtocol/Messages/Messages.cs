using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Messages;

/// <summary>A decoded DockLink message. Field meanings and limits: docklink-v1.md §5.</summary>
public abstract record Message
{
    public abstract MessageType Type { get; }
}

/// <summary>Clip flags (docklink-v1.md §5.7).</summary>
[Flags]
public enum ClipFlags : ushort
{
    None = 0,
    /// <summary>The officer marked the clip important.</summary>
    Important = 1 << 0,
    /// <summary>A mandatory full-process recording (R11: liberty, life, major property). Never lost, uploaded first.</summary>
    Mandatory = 1 << 1,
    /// <summary>Locked against loop overwrite (pre-record, car mode, motion): fills storage until offloaded.</summary>
    Locked = 1 << 2,
    /// <summary>Recording ended abnormally (battery died, storage full): the clip is whole up to its size.</summary>
    Truncated = 1 << 3,
}

public enum ChargeState : byte
{
    Discharging = 0,
    Charging = 1,
    Full = 2,
    Fault = 3,
}

/// <summary>Capability bits in HELLO_ACK.</summary>
[Flags]
public enum DeviceCapabilities : uint
{
    None = 0,
    /// <summary>The device signs each clip when it finishes recording it.</summary>
    RecordSignatures = 1 << 0,
    /// <summary>The device deletes a clip on RELEASE_CLIP.</summary>
    Release = 1 << 1,
    /// <summary>With <see cref="RecordSignatures"/>: the record-time signature is the v1.1 one (docklink-v1.md §7.5), over every listed
    /// field and the officer, not the v1 one.</summary>
    RecordSignaturesV11 = 1 << 2,
    /// <summary>v1.2: the device answers GET_CLIP_META with each clip's GPS track, event markers and importance flag (docklink-v1.md §5.14).</summary>
    ClipMetadata = 1 << 3,
    /// <summary>v1.3: the device answers SET_OFFICER, binding itself to an officer at checkout (docklink-v1.md §5.15).</summary>
    SetOfficer = 1 << 4,
    /// <summary>v1.4: the device answers GET_CONFIG and PUT_CONFIG: its recorder profile is set by the dock (docklink-v1.md §5.16).</summary>
    Configuration = 1 << 5,
    /// <summary>v1.5: the device takes firmware from the dock into A/B slots (GET_FIRMWARE … FW_CONFIRM, docklink-v1.md §5.17).</summary>
    Firmware = 1 << 6,
    /// <summary>v1.5: with <see cref="RecordSignaturesV11"/>: the record-time signature is the v1.5 one, which also covers the recorder profile
    /// the camera ran when it recorded the clip (its SHA-256 and bundle version, given in CLIP_INFO; docklink-v1.md §7.5).</summary>
    RecordSignaturesV15 = 1 << 7,
}

public static class AuthMethods
{
    /// <summary>Ed25519 mutual authentication with an agency-endorsed dock key (docklink-v1.md §7).</summary>
    public const byte Ed25519Endorsed = 1;

    /// <summary>v1.1: the same, with an endorsement that names the agency key and expires (docklink-v1.md §7.2). AUTH carries
    /// <see cref="EndorsementTerms"/>.</summary>
    public const byte Ed25519EndorsedExpiring = 2;

    /// <summary>The HELLO_ACK <c>auth_methods</c> bit that offers <paramref name="method"/> (method m is bit m − 1).</summary>
    public static byte Bit(byte method) => (byte)(1 << (method - 1));
}

/// <summary>What a v1.1 endorsement adds to v1's (docklink-v1.md §7.2): which agency key signed it, and until when it holds.</summary>
/// <param name="AgencyKeyId">The first 8 bytes of SHA-256 of the agency's raw public key.</param>
/// <param name="NotAfterMs">Unix ms after which a recorder refuses it, by the recorder's own clock.</param>
public sealed record EndorsementTerms(byte[] AgencyKeyId, long NotAfterMs)
{
    public const int KeyIdSize = 8;
}

public sealed record Hello(byte MinVersion, byte MaxVersion, uint MaxPayload, byte[] HostNonce, string DockId) : Message
{
    public override MessageType Type => MessageType.Hello;
}

public sealed record HelloAck(
    byte Version, uint MaxPayload, uint MaxRead, ushort MaxInFlight, DeviceCapabilities Capabilities,
    byte[] DeviceNonce, byte AuthMethods, string Serial) : Message
{
    public override MessageType Type => MessageType.HelloAck;
}

/// <summary>AUTH. <paramref name="Terms"/> is present exactly when <paramref name="Method"/> is
/// <see cref="AuthMethods.Ed25519EndorsedExpiring"/>; it follows host_sig on the wire.</summary>
public sealed record Auth(byte Method, string DockId, byte[] DockKey, byte[] Endorsement, byte[] HostSignature, EndorsementTerms? Terms = null) : Message
{
    public override MessageType Type => MessageType.Auth;
}

public sealed record AuthOk(byte[] DeviceKey, byte[] DeviceSignature) : Message
{
    public override MessageType Type => MessageType.AuthOk;
}

public sealed record GetInfo : Message
{
    public override MessageType Type => MessageType.GetInfo;
}

public sealed record Info(
    string Serial, string Model, string Firmware, string OfficerId,
    ulong StorageTotal, ulong StorageFree, uint ClipCount, long DeviceTimeMs) : Message
{
    public override MessageType Type => MessageType.Info;
}

public sealed record SetTime(long HostTimeMs) : Message
{
    public override MessageType Type => MessageType.SetTime;
}

public sealed record TimeSet(long DeviceTimeBeforeMs) : Message
{
    public override MessageType Type => MessageType.TimeSet;
}

public sealed record GetPower : Message
{
    public override MessageType Type => MessageType.GetPower;
}

public sealed record Power(
    byte Percent, ushort Millivolts, ChargeState State, short TemperatureDeciC, ushort CycleCount, byte HealthPercent) : Message
{
    public override MessageType Type => MessageType.Power;
}

/// <summary>v1.3: bind the camera to an officer (empty id: to nobody). The footage it records from now on carries that officer.</summary>
public sealed record SetOfficer(string OfficerId, string Name, string UnitId, string UnitName) : Message
{
    /// <summary>The most UTF-8 bytes of a name or unit name: a Chinese name of 21 characters fits.</summary>
    public const int MaxNameBytes = 64;
    public override MessageType Type => MessageType.SetOfficer;
}

/// <summary>v1.3: the officer the camera holds now, read back after the write, and the one it held before.</summary>
public sealed record OfficerSet(string OfficerId, string PreviousOfficerId) : Message
{
    public override MessageType Type => MessageType.OfficerSet;
}

/// <summary>v1.4: ask for the recorder profile the camera runs.</summary>
public sealed record GetConfig : Message
{
    public override MessageType Type => MessageType.GetConfig;
}

/// <summary>v1.4: the recorder profile the camera runs: the fleet bundle version it came from, its SHA-256 and its bytes (UTF-8 JSON, as the
/// bundle gives it). A camera running its factory settings answers version 0, an all-zero hash and no bytes.</summary>
public sealed record RecorderConfig(ulong Version, byte[] Sha256, byte[] Profile) : Message
{
    /// <summary>The largest profile: a dozen settings fit many times over, and any device's receive limit can hold it.</summary>
    public const int MaxProfileBytes = 16 * 1024;
    public override MessageType Type => MessageType.Config;
    public bool IsFactory => Version == 0 && Profile.Length == 0;
}

/// <summary>v1.4: write a recorder profile. The camera checks the bytes against <paramref name="Sha256"/> before it applies anything.</summary>
public sealed record PutConfig(ulong Version, byte[] Sha256, byte[] Profile) : Message
{
    public override MessageType Type => MessageType.PutConfig;
}

/// <summary>v1.4: the version and the SHA-256 of the profile the camera runs after the write, read back from where it keeps it.</summary>
public sealed record ConfigSet(ulong Version, byte[] AppliedSha256) : Message
{
    public override MessageType Type => MessageType.ConfigSet;
}

/// <summary>Why a camera is not running the image it was last given (v1.5 FIRMWARE.last_failure).</summary>
public enum FirmwareFailure : byte
{
    None = 0,
    /// <summary>The new image did not boot: the boot loader went back to the other slot.</summary>
    BootFailed = 1,
    /// <summary>The trial image was not confirmed during the session after its boot: the camera went back at its next boot.</summary>
    Unconfirmed = 2,
    /// <summary>Power was lost while the image was written to its slot: the old slot still runs; the staged image is kept.</summary>
    InstallInterrupted = 3,
}

/// <summary>v1.5: ask for the firmware state.</summary>
public sealed record GetFirmware : Message
{
    public override MessageType Type => MessageType.GetFirmware;
}

/// <summary>v1.5 FIRMWARE: the running image (version, SHA-256, slot 0 = A or 1 = B, and whether it runs on trial, unconfirmed); the image staged
/// for install (its SHA-256, all zero for none; its size; the bytes of it held, durably); and why the last image given is not running, if so.</summary>
public sealed record FirmwareState(
    string RunningVersion, byte[] RunningSha256, byte Slot, bool Trial,
    byte[] StagedSha256, ulong StagedSize, ulong StagedHeld, FirmwareFailure LastFailure, string FailedVersion) : Message
{
    public override MessageType Type => MessageType.FirmwareState;
    [System.Text.Json.Serialization.JsonIgnore] public bool HasStaged => StagedSha256.AsSpan().ContainsAnyExcept((byte)0);
}

/// <summary>v1.5 FW_BEGIN: the image to come, and the agency's signature over its model, version, size and SHA-256 (docklink-v1.md §7.6).</summary>
public sealed record FirmwareBegin(string Model, string Version, ulong Size, byte[] Sha256, byte[] Signature) : Message
{
    /// <summary>The largest image a v1.5 device is asked to take: a recorder's firmware is tens of MiB.</summary>
    public const ulong MaxImageBytes = 256UL << 20;
    /// <summary>Model and version strings: printable, at most this many bytes (a fleet bundle's model names are at most 64).</summary>
    public const int MaxNameBytes = 64;
    public override MessageType Type => MessageType.FirmwareBegin;
}

/// <summary>v1.5 FW_READY: send from <paramref name="Offset"/> (the bytes of this image it already holds, durably; 0 for a new image), in writes
/// of at most <paramref name="MaxChunk"/> bytes.</summary>
public sealed record FirmwareReady(ulong Offset, uint MaxChunk) : Message
{
    public override MessageType Type => MessageType.FirmwareReady;
}

/// <summary>v1.5 FW_WRITE: image bytes at an offset. <see cref="Data"/> is a view into the received frame: it lives as long as the frame.</summary>
public sealed record FirmwareWrite(ulong Offset, ReadOnlyMemory<byte> Data) : Message
{
    public override MessageType Type => MessageType.FirmwareWrite;
}

/// <summary>v1.5 FW_WRITTEN: the bytes of the image held durably now (the offset the next write starts at).</summary>
public sealed record FirmwareWritten(ulong Held) : Message
{
    public override MessageType Type => MessageType.FirmwareWritten;
}

/// <summary>v1.5 FW_INSTALL: install the staged image with this SHA-256.</summary>
public sealed record FirmwareInstall(byte[] Sha256) : Message
{
    public override MessageType Type => MessageType.FirmwareInstall;
}

/// <summary>v1.5 FW_INSTALLING: the image verified and is written to <paramref name="Slot"/>; the camera reboots into it, on trial, once this answer
/// is sent (the session ends).</summary>
public sealed record FirmwareInstalling(byte Slot) : Message
{
    public override MessageType Type => MessageType.FirmwareInstalling;
}

/// <summary>v1.5 FW_CONFIRM: keep the trial image with this SHA-256.</summary>
public sealed record FirmwareConfirm(byte[] Sha256) : Message
{
    public override MessageType Type => MessageType.FirmwareConfirm;
}

/// <summary>v1.5 FW_CONFIRMED: the image in <paramref name="Slot"/> is the camera's from now on.</summary>
public sealed record FirmwareConfirmed(byte Slot) : Message
{
    public override MessageType Type => MessageType.FirmwareConfirmed;
}

public sealed record ListClips(uint StartIndex, ushort MaxCount) : Message
{
    public const ushort MaxPage = 256;
    public override MessageType Type => MessageType.ListClips;
}

/// <summary>One clip as listed: identity, size, device times, flags and the SHA-256 made at record time.</summary>
public sealed record ClipSummary(string ClipId, ulong Size, long StartMs, long EndMs, ClipFlags Flags, byte[] Sha256);

public sealed record ClipList(uint Total, IReadOnlyList<ClipSummary> Clips) : Message
{
    public override MessageType Type => MessageType.ClipList;
}

public sealed record GetClip(string ClipId) : Message
{
    public override MessageType Type => MessageType.GetClip;
}

/// <summary>CLIP_INFO. From a v1.5 device (capability bit 7) it also names the recorder profile the camera ran when it recorded the clip:
/// <paramref name="Config"/>, appended after the signature on the wire and covered by it (docklink-v1.md §7.5); null from older devices.</summary>
public sealed record ClipInfo(ClipSummary Clip, string OfficerId, byte[] Signature,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] RecordedUnder? Config = null) : Message
{
    public override MessageType Type => MessageType.ClipInfo;
}

/// <summary>The recorder profile a clip was recorded under: the fleet bundle version it came from (0: factory settings) and its SHA-256.</summary>
public sealed record RecordedUnder(ulong Version, byte[] Sha256);

public sealed record ReadClip(string ClipId, ulong Offset, uint Length) : Message
{
    public override MessageType Type => MessageType.ReadClip;
}

/// <summary>Clip bytes. <see cref="Data"/> is a view into the received frame: it lives as long as the frame.</summary>
public sealed record ClipData(ulong Offset, ReadOnlyMemory<byte> Data) : Message
{
    public override MessageType Type => MessageType.ClipData;
}

public sealed record ReleaseClip(string ClipId, byte[] Sha256) : Message
{
    public override MessageType Type => MessageType.ReleaseClip;
}

public sealed record Released(bool Deleted) : Message
{
    public override MessageType Type => MessageType.Released;
}

public sealed record GetClipMeta(string ClipId) : Message
{
    public override MessageType Type => MessageType.GetClipMeta;
}

/// <summary>One GPS fix: when (device clock, Unix ms), where (degrees × 10^7, WGS-84) and how well (horizontal accuracy in decimetres;
/// 0 when the receiver did not say).</summary>
public readonly record struct TrackPoint(long TimeMs, int LatE7, int LonE7, ushort AccuracyDm)
{
    public const int WireSize = 18;
    [System.Text.Json.Serialization.JsonIgnore] public double Latitude => LatE7 / 1e7;
    [System.Text.Json.Serialization.JsonIgnore] public double Longitude => LonE7 / 1e7;
}

/// <summary>What an event marker records (docklink-v1.md §5.14).</summary>
public enum MarkerKind : byte
{
    /// <summary>The officer pressed the mark button.</summary>
    Officer = 1,
    /// <summary>The emergency (SOS) button.</summary>
    Emergency = 2,
    /// <summary>A still photo was taken during the recording.</summary>
    Photo = 3,
    /// <summary>A spoken note was recorded.</summary>
    VoiceNote = 4,
}

/// <summary>An event marker inside a recording: when, what kind, and a short label from the camera (may be empty).</summary>
public sealed record ClipMarker(long TimeMs, MarkerKind Kind, string Label)
{
    public const int MaxLabelBytes = 64;
}

/// <summary>CLIP_META (v1.2): the clip's importance flag as set on the camera now (an officer may mark a clip after it closed), its GPS
/// track (oldest first, at most <see cref="MaxPoints"/>) and its event markers (at most <see cref="MaxMarkers"/>).</summary>
public sealed record ClipMeta(string ClipId, bool Important, IReadOnlyList<TrackPoint> Track, IReadOnlyList<ClipMarker> Markers) : Message
{
    public const int MaxPoints = 2048;
    public const int MaxMarkers = 64;
    public override MessageType Type => MessageType.ClipMeta;
}

public sealed record Ping(ulong Token) : Message
{
    public override MessageType Type => MessageType.Ping;
}

public sealed record Pong(ulong Token) : Message
{
    public override MessageType Type => MessageType.Pong;
}

public sealed record Bye : Message
{
    public override MessageType Type => MessageType.Bye;
}

public sealed record ByeAck : Message
{
    public override MessageType Type => MessageType.ByeAck;
}

public sealed record ErrorReply(ErrorCode Code, string Text) : Message
{
    public override MessageType Type => MessageType.Error;
}
