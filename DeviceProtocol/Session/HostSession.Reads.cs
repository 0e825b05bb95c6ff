using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Session;

public sealed partial class HostSession
{
    /// <summary>The chunk size actually used: ours, capped by the recorder's max_read.</summary>
    public int EffectiveChunkSize => (int)Math.Min(_options.ReadChunkSize, Device.MaxRead);

    /// <summary>The number of reads kept in flight: ours, capped by the recorder's max_in_flight.</summary>
    public int EffectiveWindow => Math.Min(_options.ReadWindow, Device.MaxInFlight);

    /// <summary>Reads one range of a clip (docklink-v1.md §5.9). The answer is exactly
    /// min(length, size − offset) bytes at exactly that offset, or the call fails.</summary>
    public async Task<ClipChunk> ReadClipAsync(string clipId, long offset, int length, CancellationToken cancellationToken)
    {
        var frame = await SendAsync(new ReadClip(clipId, (ulong)offset, (uint)length), _options.RequestTimeout, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            var data = Expect<ClipData>(MessageType.ReadClip, frame);
            return new ClipChunk(frame, (long)data.Offset, data.Data);
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Streams [<paramref name="offset"/>, <paramref name="size"/>) of a clip to <paramref name="sink"/>
    /// in order, keeping a window of reads in flight. A corrupted frame or a lost answer re-asks
    /// for that chunk alone (up to ChunkAttempts); anything else ends the pull with the error, and
    /// the caller resumes later from the last offset its sink made durable.
    /// Memory stays bounded at window × chunk size whatever the clip size.
    /// </summary>
    /// <summary>How reads are sized to this link now (<see cref="ReadPacer"/>): chunk, window, measured rate.</summary>
    public ReadPacer Pace => _pacer ??= new ReadPacer(EffectiveChunkSize, EffectiveWindow, _options.RequestTimeout, _time);

    public async Task PullAsync(string clipId, long offset, long size,
        Func<ClipChunk, CancellationToken, ValueTask> sink, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, size);
        var pace = Pace;
        pace.Start();
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new Queue<(long Offset, int Length, Task<ClipChunk> Read)>(EffectiveWindow);
        long next = offset;

        void Refill()
        {
            // The pacer's chunk and window change as it measures the link; reads already sent keep their size.
            while (inFlight.Count < pace.Window && next < size)
            {
                int length = (int)Math.Min(pace.Chunk, size - next);
                inFlight.Enqueue((next, length, ReadClipAsync(clipId, next, length, abandon.Token)));
                next += length;
            }
        }

        try
        {
            Refill();
            while (inFlight.Count > 0)
            {
                var (at, length, read) = inFlight.Dequeue();
                using var chunk = await AwaitChunkAsync(clipId, at, length, read, abandon.Token).ConfigureAwait(false);
                pace.Delivered(chunk.Data.Length);
                await sink(chunk, cancellationToken).ConfigureAwait(false);
                Refill();
            }
        }
        finally
        {
            await abandon.CancelAsync().ConfigureAwait(false);
            foreach (var (_, _, read) in inFlight)
            {
                try
                {
                    (await read.ConfigureAwait(false)).Dispose();
                }
                catch (Exception ex) when (ex is OperationCanceledException or DockLinkException)
                {
                    // Abandoned read: its failure is not the one we report.
                }
            }
        }
    }

    private async Task<ClipChunk> AwaitChunkAsync(string clipId, long offset, int length, Task<ClipChunk> read,
        CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var chunk = await read.ConfigureAwait(false);
                if (chunk.Offset != offset || chunk.Data.Length != length)
                {
                    chunk.Dispose();
                    throw DockLinkErrors.Malformed(MessageType.ClipData,
                        $"asked for {length} bytes at {offset} of {clipId}, got {chunk.Data.Length} at {chunk.Offset}");
                }
                return chunk;
            }
            catch (DockLinkException ex) when (attempt < _options.ChunkAttempts
                && (ex.IsRetryable || ex.Failure == DockLinkFailure.Timeout))
            {
                if (ex.Failure == DockLinkFailure.Timeout) Pace.TimedOut();
                read = ReadClipAsync(clipId, offset, length, cancellationToken);
            }
        }
    }
}
