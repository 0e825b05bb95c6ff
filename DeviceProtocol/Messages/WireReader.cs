using System.Buffers.Binary;
using System.Text;
using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Messages;

/// <summary>Reads payload fields; any truncation or bad value is a ProtocolViolation naming the field.</summary>
public ref struct WireReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data;
    private readonly MessageType _type;
    private int _position;

    public WireReader(ReadOnlySpan<byte> data, MessageType type)
    {
        _data = data;
        _type = type;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _data.Length - _position;

    public byte U8(string field) => Take(1, field)[0];
    public ushort U16(string field) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
    public short I16(string field) => BinaryPrimitives.ReadInt16LittleEndian(Take(2, field));
    public int I32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));
    public uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));
    public ulong U64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));
    public long I64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

    public byte[] Fixed(int length, string field) => Take(length, field).ToArray();

    public byte[] Bytes8(string field)
    {
        int length = U8(field);
        return Take(length, field).ToArray();
    }

    /// <summary>u16 length + bytes (v1.4), at most <paramref name="max"/>: a longer length is refused before anything is taken.</summary>
    public byte[] Bytes16(string field, int max)
    {
        int length = U16(field);
        if (length > max) throw DockLinkErrors.Malformed(_type, $"field '{field}' is {length} bytes, above {max}");
        return Take(length, field).ToArray();
    }

    public string Str(string field)
    {
        int length = U8(field);
        var bytes = Take(length, field);
        string value;
        try
        {
            value = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw DockLinkErrors.Malformed(_type, $"field '{field}' is not valid UTF-8");
        }
        foreach (char c in value)
        {
            if (char.IsControl(c))
                throw DockLinkErrors.Malformed(_type, $"field '{field}' contains a control character");
        }
        return value;
    }

    /// <summary>An identifier (serial, clip id, officer id, dock id): see <see cref="Identifier"/>.</summary>
    public string Id(string field)
    {
        var value = Str(field);
        return Identifier.IsValid(value)
            ? value
            : throw DockLinkErrors.Malformed(_type, $"field '{field}' is not a valid identifier ({Identifier.Rule})");
    }

    public readonly void End()
    {
        if (_position != _data.Length)
            throw DockLinkErrors.Malformed(_type, $"{_data.Length - _position} unexpected trailing bytes");
    }

    private ReadOnlySpan<byte> Take(int length, string field)
    {
        if (length > _data.Length - _position)
            throw DockLinkErrors.Malformed(_type, $"truncated at field '{field}'");
        var span = _data.Slice(_position, length);
        _position += length;
        return span;
    }
}
