using System.Buffers.Binary;
using System.IO.Hashing;

namespace Dock.DeviceProtocol.Framing;

/// <summary>
/// Byte layout of a DockLink v1 frame (hardware-specs/docklink-v1.md §3):
/// <code>
///  0  2  sync        0xD0 0xCC
///  2  1  format      1
///  3  1  type        message type
///  4  4  request id  u32 LE
///  8  4  length      payload length, u32 LE
/// 12  4  header CRC  CRC-32 of bytes 0..11, u32 LE
/// 16  n  payload
/// 16+n 4 payload CRC CRC-32 of the payload, u32 LE
/// </code>
/// The header has its own CRC so a receiver can trust the length before waiting for a payload,
/// and can tell which request a damaged payload belonged to.
/// </summary>
public static class FrameFormat
{
    public const byte Sync0 = 0xD0;
    public const byte Sync1 = 0xCC;
    public const byte Version = 1;
    public const int HeaderSize = 16;
    public const int TrailerSize = 4;
    public const int Overhead = HeaderSize + TrailerSize;

    /// <summary>No receiver ever accepts a payload larger than this, whatever was negotiated.</summary>
    public const int AbsoluteMaxPayload = 4 * 1024 * 1024;

    /// <summary>The limit every receiver applies until HELLO has negotiated a larger one.</summary>
    public const int PreHelloMaxPayload = 4096;

    /// <summary>The smallest receive limit a peer may advertise.</summary>
    public const int MinAdvertisedPayload = 1024;

    public static uint Crc(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(data);

    /// <summary>Writes the header into <paramref name="frame"/>[0..16) for a payload already in place.</summary>
    public static void WriteHeader(Span<byte> frame, byte type, uint requestId, int payloadLength)
    {
        frame[0] = Sync0;
        frame[1] = Sync1;
        frame[2] = Version;
        frame[3] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], requestId);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[8..], (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[12..], Crc(frame[..12]));
    }

    /// <summary>Parses a header; false when the header CRC or format byte is wrong (treat as noise).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> bytes, out FrameHeader header)
    {
        header = default;
        if (bytes.Length < HeaderSize || bytes[0] != Sync0 || bytes[1] != Sync1 || bytes[2] != Version)
            return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]) != Crc(bytes[..12]))
            return false;
        header = new FrameHeader(
            bytes[3],
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));
        return true;
    }
}

/// <summary>A frame header whose CRC checked out.</summary>
public readonly record struct FrameHeader(byte Type, uint RequestId, uint PayloadLength);
