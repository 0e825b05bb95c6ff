namespace Dock.DeviceProtocol.Messages;

/// <summary>
/// Message types (docklink-v1.md §5). A response is its request's type with the high bit set;
/// ERROR (0xFF) can answer any request.
/// </summary>
public enum MessageType : byte
{
    Hello = 0x01,
    Auth = 0x02,
    GetInfo = 0x10,
    SetTime = 0x11,
    GetPower = 0x12,
    /// <summary>v1.3: binds the camera to the officer who checks it out (docklink-v1.md §5.15); capability bit 4.</summary>
    SetOfficer = 0x13,
    ListClips = 0x20,
    GetClip = 0x21,
    ReadClip = 0x22,
    ReleaseClip = 0x23,
    /// <summary>v1.2: the clip's GPS track, event markers and importance flag (docklink-v1.md §5.14); capability bit 3.</summary>
    GetClipMeta = 0x24,
    Ping = 0x30,
    Bye = 0x3F,
    /// <summary>v1.4: the recorder profile the camera runs (docklink-v1.md §5.16); capability bit 5.</summary>
    GetConfig = 0x40,
    /// <summary>v1.4: write a recorder profile; the answer reads back the hash of what the camera now runs (docklink-v1.md §5.16).</summary>
    PutConfig = 0x41,
    /// <summary>v1.5: the firmware the camera runs and what it holds staged (docklink-v1.md §5.17); capability bit 6.</summary>
    GetFirmware = 0x42,
    /// <summary>v1.5: announce an image (model, version, size, SHA-256, agency signature); the answer says where to resume.</summary>
    FirmwareBegin = 0x43,
    /// <summary>v1.5: image bytes at an offset (the clip read in reverse).</summary>
    FirmwareWrite = 0x44,
    /// <summary>v1.5: check the staged image and install it in the other slot; the camera then reboots into it on trial.</summary>
    FirmwareInstall = 0x45,
    /// <summary>v1.5: the dock's health check passed: keep the trial image.</summary>
    FirmwareConfirm = 0x46,

    HelloAck = 0x81,
    AuthOk = 0x82,
    Info = 0x90,
    TimeSet = 0x91,
    Power = 0x92,
    OfficerSet = 0x93,
    ClipList = 0xA0,
    ClipInfo = 0xA1,
    ClipData = 0xA2,
    Released = 0xA3,
    ClipMeta = 0xA4,
    Pong = 0xB0,
    ByeAck = 0xBF,
    Config = 0xC0,
    ConfigSet = 0xC1,
    FirmwareState = 0xC2,
    FirmwareReady = 0xC3,
    FirmwareWritten = 0xC4,
    FirmwareInstalling = 0xC5,
    FirmwareConfirmed = 0xC6,
    Error = 0xFF,
}

public static class MessageTypes
{
    public static bool IsResponse(MessageType type) => ((byte)type & 0x80) != 0;

    public static MessageType ResponseTo(MessageType request) => (MessageType)((byte)request | 0x80);

    public static bool IsKnown(byte value) => Enum.IsDefined((MessageType)value);
}
