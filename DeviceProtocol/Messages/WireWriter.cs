using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Dock.DeviceProtocol.Framing;

namespace Dock.DeviceProtocol.Messages;

/// <summary>
/// Builds one outgoing frame in a pooled buffer: payload fields are appended after a reserved
/// header, then <see cref="Seal"/> writes header and CRCs in place, so a frame is written to the
/// transport in one call with no extra copy (bulk clip data is read straight into it).
/// </summary>
public sealed class WireWriter : IDisposable
{
    private byte[] _buffer;
    private int _position = FrameFormat.HeaderSize;

    public WireWriter(int payloadCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(FrameFormat.Overhead + payloadCapacity);
    }

    public int PayloadLength => _position - FrameFormat.HeaderSize;

    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(FrameFormat.HeaderSize, PayloadLength);

    public void U8(byte value) => Reserve(1)[0] = value;
    public void U16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);
    public void I16(short value) => BinaryPrimitives.WriteInt16LittleEndian(Reserve(2), value);
    public void I32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);
    public void U32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);
    public void U64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
    public void I64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);

    public void Fixed(ReadOnlySpan<byte> bytes, int length)
    {
        if (bytes.Length != length)
            throw new ArgumentException($"Field must be exactly {length} bytes, got {bytes.Length}.", nameof(bytes));
        bytes.CopyTo(Reserve(length));
    }

    /// <summary>u8 length + bytes (docklink-v1.md §4: "bytes8").</summary>
    public void Bytes8(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > byte.MaxValue)
            throw new ArgumentException("A bytes8 field holds at most 255 bytes.", nameof(bytes));
        U8((byte)bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length));
    }

    /// <summary>u16 length + bytes (docklink-v1.md §4: "bytes16", v1.4).</summary>
    public void Bytes16(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > ushort.MaxValue)
            throw new ArgumentException("A bytes16 field holds at most 65,535 bytes.", nameof(bytes));
        U16((ushort)bytes.Length);
        bytes.CopyTo(Reserve(bytes.Length));
    }

    /// <summary>u8 length + UTF-8 (docklink-v1.md §4: "str").</summary>
    public void Str(string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        if (count > byte.MaxValue)
            throw new ArgumentException("A str field holds at most 255 UTF-8 bytes.", nameof(value));
        U8((byte)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    /// <summary>Exposes <paramref name="length"/> bytes for the caller to fill (e.g. clip data).</summary>
    public Memory<byte> Claim(int length) => ReserveMemory(length);

    /// <summary>Gives back the unused tail of the last <see cref="Claim"/> (a short read at end of clip).</summary>
    public void Unclaim(int length)
    {
        if (length < 0 || length > PayloadLength) throw new ArgumentOutOfRangeException(nameof(length));
        _position -= length;
    }

    /// <summary>Writes header and trailer; returns the complete frame bytes.</summary>
    public ReadOnlyMemory<byte> Seal(MessageType type, uint requestId)
    {
        int payload = PayloadLength;
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), FrameFormat.Crc(_buffer.AsSpan(FrameFormat.HeaderSize, payload)));
        FrameFormat.WriteHeader(_buffer, (byte)type, requestId, payload);
        return _buffer.AsMemory(0, _position);
    }

    private Span<byte> Reserve(int length) => ReserveMemory(length).Span;

    private Memory<byte> ReserveMemory(int length)
    {
        if (_position + length + FrameFormat.TrailerSize > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + length + FrameFormat.TrailerSize));
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _position);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        var memory = _buffer.AsMemory(_position, length);
        _position += length;
        return memory;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
