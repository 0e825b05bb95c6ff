using System.Buffers.Binary;
using System.IO.Hashing;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.CommandChannel;

/// <summary>
/// Reads command frames from a byte link (§3.1). A serial line carries line noise and the tail of
/// whatever was said before the dock opened it, so the reader hunts for the magic, and a bad
/// version, a length over the limit or a CRC failure drops one byte and hunts again: garbage costs
/// time, never memory (the buffer is fixed) and never a crash.
/// </summary>
public sealed class CommandFrameReader(IDockLinkTransport transport)
{
    private readonly byte[] _buffer = new byte[2 * (CommandFrame.HeaderSize + CommandFrame.MaxPayload + CommandFrame.CrcSize)];
    private int _start;
    private int _end;

    /// <summary>Frames dropped for a bad header or CRC (diagnostics, tests).</summary>
    public int Discarded { get; private set; }

    /// <summary>The next valid frame; null when the peer closed the link.</summary>
    public async ValueTask<CommandFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryParse(out var frame)) return frame;
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int n = await transport.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (n == 0) return null;
            _end += n;
        }
    }

    private bool TryParse(out CommandFrame? frame)
    {
        frame = null;
        while (_end - _start >= 2)
        {
            var data = _buffer.AsSpan(_start, _end - _start);
            if (data[0] != CommandFrame.Magic0 || data[1] != CommandFrame.Magic1)
            {
                int next = data[1..].IndexOf(CommandFrame.Magic0);
                _start = next < 0 ? _end : _start + 1 + next;
                continue;
            }
            if (data.Length < CommandFrame.HeaderSize) return false;
            int length = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
            if (data[2] != CommandFrame.Version || length > CommandFrame.MaxPayload)
            {
                Discard();
                continue;
            }
            int total = CommandFrame.HeaderSize + length + CommandFrame.CrcSize;
            if (data.Length < total) return false;
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data[(CommandFrame.HeaderSize + length)..]);
            if (crc != Crc32.HashToUInt32(data[..(CommandFrame.HeaderSize + length)]))
            {
                Discard();
                continue;
            }
            frame = new CommandFrame(data[3], data[4], (CommandStatus)data[5], data.Slice(CommandFrame.HeaderSize, length).ToArray());
            _start += total;
            return true;
        }
        return false;
    }

    private void Discard()
    {
        Discarded++;
        _start++;
    }
}
