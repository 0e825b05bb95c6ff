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
    public async Task PullAsync(string clipId, long offset, long size,
        Func<ClipChunk, CancellationToken, ValueTask> sink, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, size);
        int chunkSize = EffectiveChunkSize;
        int window = EffectiveWindow;
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new Queue<(long Offset, int Length, Task<ClipChunk> Read)>(window);
        long next = offset;

        void Refill()
        {
            while (inFlight.Count < window && next < size)
            {
                int length = (int)Math.Min(chunkSize, size - next);
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
                read = ReadClipAsync(clipId, offset, length, cancellationToken);
            }
        }
    }
}
