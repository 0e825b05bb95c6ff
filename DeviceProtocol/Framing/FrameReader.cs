using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Framing;

/// <summary>
/// Reads self-synchronising frames from a transport (docklink-v1.md §3.3). It scans for the sync
/// bytes, trusts a length only after the header CRC checks, never allocates from an unchecked
/// length, and after any damage resumes scanning one byte past the bad frame's start, so the next
/// good frame is found even when a byte was lost in the middle of a payload.
/// Not thread-safe: one reader loop per link.
/// </summary>
/// <remarks>
/// Resynchronising is bounded (docklink-v1.md §3.4): every damaged frame (payload CRC failure, oversize header) spends one of
/// <see cref="FramingErrorBudget"/> credits, earned back one per 64 good frames; and the payload bytes checked in vain since
/// the last good frame may not exceed 2 × the receive limit + 8 × the bytes received since then. Either limit ends the
/// link with <see cref="DockLinkFailure.ProtocolViolation"/>: a peer sending a valid header every 16 bytes, each claiming a
/// megabyte, once made the receiver check a megabyte per 16 bytes received.
/// </remarks>
public sealed class FrameReader
{
    private const int ReadSlack = 64 * 1024;
    private readonly IDockLinkTransport _transport;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _maxPayload;
    private int _errorCredit = FramingErrorBudget;
    private int _goodFrames;
    private long _wastedSinceGood;
    private long _receivedSinceGood;

    /// <summary>Damaged frames a session may have before the link is dropped (earned back, one per 64 good frames).</summary>
    public const int FramingErrorBudget = 16;

    public FrameReader(IDockLinkTransport transport, int maxPayload = FrameFormat.PreHelloMaxPayload)
    {
        _transport = transport;
        _maxPayload = ValidateLimit(maxPayload);
        _buffer = new byte[FrameFormat.Overhead + _maxPayload + ReadSlack];
    }

    public FrameReaderStats Stats { get; } = new();

    /// <summary>The largest payload accepted. Raised after HELLO, possibly from another thread while a
    /// read is pending: the buffer grows (once, bounded by the limit) at the reader's next fill, never
    /// under a read in flight.</summary>
    public int MaxPayload
    {
        get => Volatile.Read(ref _maxPayload);
        set => Volatile.Write(ref _maxPayload, ValidateLimit(value));
    }

    private void GrowIfNeeded()
    {
        int needed = FrameFormat.Overhead + MaxPayload + ReadSlack;
        if (_buffer.Length >= needed) return;
        var bigger = new byte[needed];
        Buffer.BlockCopy(_buffer, _start, bigger, 0, _end - _start);
        _end -= _start;
        _start = 0;
        _buffer = bigger;
    }

    private static int ValidateLimit(int value) =>
        value is >= FrameFormat.MinAdvertisedPayload and <= FrameFormat.AbsoluteMaxPayload
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value,
                $"A DockLink receive limit must be {FrameFormat.MinAdvertisedPayload}..{FrameFormat.AbsoluteMaxPayload} bytes.");

    /// <summary>Returns the next frame or damage report. Throws <see cref="DockLinkException"/>
    /// (<see cref="DockLinkFailure.ConnectionLost"/>) when the transport ends.</summary>
    public async ValueTask<FrameReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!SeekSync())
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (_end - _start < FrameFormat.HeaderSize)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (!FrameFormat.TryReadHeader(_buffer.AsSpan(_start, FrameFormat.HeaderSize), out var header))
            {
                Skip(1);
                continue;
            }
            if (header.PayloadLength > (uint)MaxPayload)
            {
                // Never wait for, nor allocate, an oversize payload: step past the sync and rescan.
                Stats.AddOversize();
                Skip(1);
                SpendErrorCredit(0, $"a header announced {header.PayloadLength} bytes, above the limit of {MaxPayload}");
                return new FrameReadResult(FrameReadStatus.Oversize, header, null);
            }
            int total = FrameFormat.Overhead + (int)header.PayloadLength;
            while (_end - _start < total)
                await FillAsync(cancellationToken).ConfigureAwait(false);

            var payload = _buffer.AsSpan(_start + FrameFormat.HeaderSize, (int)header.PayloadLength);
            uint crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(
                _buffer.AsSpan(_start + FrameFormat.HeaderSize + (int)header.PayloadLength, 4));
            if (crc != FrameFormat.Crc(payload))
            {
                // A byte may have been lost inside this payload, so the next frame can start
                // anywhere after this header: rescan from one byte past the sync.
                Stats.AddCorrupt();
                Skip(1);
                SpendErrorCredit(header.PayloadLength, $"payload CRC mismatch on a {header.PayloadLength}-byte frame");
                return new FrameReadResult(FrameReadStatus.CorruptPayload, header, null);
            }
            var frame = new Frame(header.Type, header.RequestId, payload);
            _start += total;
            Stats.AddFrame();
            _wastedSinceGood = _receivedSinceGood = 0;
            if (++_goodFrames % 64 == 0 && _errorCredit < FramingErrorBudget) _errorCredit++;
            return new FrameReadResult(FrameReadStatus.Frame, header, frame);
        }
    }

    private void SpendErrorCredit(long checkedBytes, string what)
    {
        _wastedSinceGood += checkedBytes;
        if (--_errorCredit < 0)
            throw DockLinkErrors.FramingBudgetSpent($"{Stats.CorruptPayloads + Stats.OversizeHeaders} damaged frames, the last: {what}");
        if (_wastedSinceGood > 2L * MaxPayload + 8 * _receivedSinceGood)
            throw DockLinkErrors.FramingBudgetSpent($"{_wastedSinceGood} payload bytes checked in vain for {_receivedSinceGood} received since the last good frame");
    }

    /// <summary>Moves <see cref="_start"/> to the next sync pair; false if more bytes are needed.</summary>
    private bool SeekSync()
    {
        var span = _buffer.AsSpan(_start, _end - _start);
        int i = 0;
        while (true)
        {
            int at = span[i..].IndexOf(FrameFormat.Sync0);
            if (at < 0)
            {
                Skip(span.Length);
                return false;
            }
            i += at;
            if (i + 1 >= span.Length)
            {
                // A lone first sync byte at the end: keep it, it may pair with the next read.
                Skip(i);
                return false;
            }
            if (span[i + 1] == FrameFormat.Sync1)
            {
                Skip(i);
                return true;
            }
            i++;
        }
    }

    private void Skip(int count)
    {
        if (count <= 0) return;
        Stats.AddGarbage(count);
        _start += count;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        GrowIfNeeded();
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_buffer.Length - _end < ReadSlack / 2 && _start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        int read = await _transport.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
            throw DockLinkErrors.ConnectionLost("the peer closed the link");
        _end += read;
        _receivedSinceGood += read;
    }
}
