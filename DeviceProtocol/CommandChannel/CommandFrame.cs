using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.CommandChannel;

/// <summary>Commands of the recorder command channel (hardware-specs/recorder-command-channel-v1.md §4).</summary>
public enum CommandCode : byte
{
    Login = 0x01,
    Identify = 0x02,
    ReadOfficer = 0x03,
    WriteOfficer = 0x04,
    SyncTime = 0x05,
    ReadBattery = 0x06,
    MassStorage = 0x07,
}

/// <summary>A response's status byte (§3.2). Requests carry 0.</summary>
public enum CommandStatus : byte
{
    Ok = 0,
    /// <summary>Not logged in, or a wrong password. The camera decides this; the dock never relies on it.</summary>
    Denied = 1,
    Unsupported = 2,
    BadRequest = 3,
    Busy = 4,
    Failed = 5,
}

/// <summary>One command-channel frame: magic, version, code, sequence, status, length, payload, CRC-32.</summary>
public sealed record CommandFrame(byte Code, byte Sequence, CommandStatus Status, byte[] Payload)
{
    public const byte Magic0 = 0x5A;
    public const byte Magic1 = 0xA5;
    public const byte Version = 1;
    public const int HeaderSize = 8;
    public const int CrcSize = 4;
    /// <summary>Every field of every command fits in far less; a larger length is hostile or garbage.</summary>
    public const int MaxPayload = 512;
    public const byte ResponseBit = 0x80;

    public bool IsResponse => (Code & ResponseBit) != 0;
    public CommandCode Command => (CommandCode)(Code & ~ResponseBit);

    public byte[] Encode()
    {
        if (Payload.Length > MaxPayload) throw new ArgumentException($"payload of {Payload.Length} bytes exceeds {MaxPayload}");
        var bytes = new byte[HeaderSize + Payload.Length + CrcSize];
        bytes[0] = Magic0;
        bytes[1] = Magic1;
        bytes[2] = Version;
        bytes[3] = Code;
        bytes[4] = Sequence;
        bytes[5] = (byte)Status;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)Payload.Length);
        Payload.CopyTo(bytes, HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(HeaderSize + Payload.Length), Crc32.HashToUInt32(bytes.AsSpan(0, HeaderSize + Payload.Length)));
        return bytes;
    }
}

/// <summary>Field encoding (§3.3): little-endian integers, strings as a length byte and UTF-8 bytes.</summary>
public sealed class CommandPayloadWriter
{
    private readonly MemoryStream _buffer = new();

    public CommandPayloadWriter U8(byte value)
    {
        _buffer.WriteByte(value);
        return this;
    }

    public CommandPayloadWriter U16(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        _buffer.Write(b);
        return this;
    }

    public CommandPayloadWriter I16(short value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteInt16LittleEndian(b, value);
        _buffer.Write(b);
        return this;
    }

    public CommandPayloadWriter I64(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        _buffer.Write(b);
        return this;
    }

    /// <param name="maxBytes">The field's limit in UTF-8 bytes (§4); longer is a caller error.</param>
    public CommandPayloadWriter Str(string value, int maxBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        if (bytes.Length > maxBytes) throw new ArgumentException($"'{value}' is {bytes.Length} UTF-8 bytes; the field holds at most {maxBytes}");
        _buffer.WriteByte((byte)bytes.Length);
        _buffer.Write(bytes);
        return this;
    }

    public byte[] ToArray() => _buffer.ToArray();
}

/// <summary>Reads fields; truncation, overlong strings, bad UTF-8, control characters and trailing bytes are protocol violations.</summary>
public ref struct CommandPayloadReader(ReadOnlySpan<byte> data, CommandCode command)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public byte U8(string field) => Take(1, field)[0];
    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
    public short I16(string field) => BinaryPrimitives.ReadInt16LittleEndian(Take(2, field));
    public long I64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public string Str(string field, int maxBytes)
    {
        int length = U8(field);
        if (length > maxBytes) throw CommandChannelErrors.Malformed(command, $"field '{field}' is {length} bytes; at most {maxBytes}");
        var bytes = Take(length, field);
        string value;
        try
        {
            value = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw CommandChannelErrors.Malformed(command, $"field '{field}' is not valid UTF-8");
        }
        if (value.Any(char.IsControl)) throw CommandChannelErrors.Malformed(command, $"field '{field}' contains a control character");
        return value;
    }

    public readonly void End()
    {
        if (_position != _data.Length) throw CommandChannelErrors.Malformed(command, $"{_data.Length - _position} unexpected trailing bytes");
    }

    private ReadOnlySpan<byte> Take(int length, string field)
    {
        if (length > _data.Length - _position) throw CommandChannelErrors.Malformed(command, $"truncated at field '{field}'");
        var span = _data.Slice(_position, length);
        _position += length;
        return span;
    }
}

/// <summary>The one place command-channel errors are made. They are <see cref="DockLinkException"/>s because they
/// cross the same recorder seam (a lost channel is a removed recorder, whatever the driver).</summary>
public static class CommandChannelErrors
{
    public static DockLinkException ConnectionLost(string endpoint, string what, Exception? inner = null) =>
        new(DockLinkFailure.ConnectionLost, $"Recorder command channel {endpoint} lost: {what}.", inner: inner);

    public static DockLinkException Malformed(CommandCode command, string what) =>
        new(DockLinkFailure.ProtocolViolation, $"Malformed command-channel {command} message: {what}.");

    public static DockLinkException Timeout(string endpoint, CommandCode command, TimeSpan after) =>
        new(DockLinkFailure.Timeout, $"The recorder on {endpoint} did not answer {command} within {after.TotalSeconds:0.###} s.");

    public static DockLinkException NoDisk(string serial, TimeSpan after) =>
        new(DockLinkFailure.Timeout, $"Recorder {serial} switched to mass storage, but no mounted disk appeared within {after.TotalSeconds:0} s. " +
            "The dock does not mount disks itself: enable automounting for the dock user (udisks2, or a udev rule with systemd-mount).");

    public static DockLinkException Refused(CommandCode command, CommandStatus status) =>
        new(DockLinkFailure.RemoteError, status == CommandStatus.Denied
            ? $"The recorder refused {command}: the command-channel password was not accepted (set Dock:MassStorage:Password, or --password, to the recorders' password)."
            : $"The recorder refused {command}: {status}.");
}
