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
    Error = 0xFF,
}

public static class MessageTypes
{
    public static bool IsResponse(MessageType type) => ((byte)type & 0x80) != 0;

    public static MessageType ResponseTo(MessageType request) => (MessageType)((byte)request | 0x80);

    public static bool IsKnown(byte value) => Enum.IsDefined((MessageType)value);
}
