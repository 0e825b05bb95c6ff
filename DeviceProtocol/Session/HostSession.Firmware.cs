using System.Buffers;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Session;

public sealed partial class HostSession
{
    /// <summary>The firmware the recorder runs and holds staged (v1.5, docklink-v1.md §5.17; only when it announced capability bit 6).</summary>
    public Task<FirmwareState> GetFirmwareAsync(CancellationToken cancellationToken) =>
        RequestAsync<FirmwareState>(new GetFirmware(), _options.RequestTimeout, cancellationToken);

    /// <summary>Announces an image; the answer says from which offset to send it and in what chunks.</summary>
    public async Task<FirmwareReady> BeginFirmwareAsync(FirmwareBegin begin, CancellationToken cancellationToken)
    {
        var ready = await RequestAsync<FirmwareReady>(begin, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return ready.Offset <= begin.Size ? ready
            : throw DockLinkErrors.Malformed(MessageType.FirmwareReady, $"resume offset {ready.Offset} is beyond the image's {begin.Size} bytes");
    }

    /// <summary>
    /// Sends [<paramref name="offset"/>, <paramref name="size"/>) of the announced image, read by <paramref name="source"/>, the clip read in
    /// reverse: a window of FW_WRITEs in flight (the device serves them in order), each chunk at most the device's max_chunk and receive limit.
    /// A damaged or lost write is sent again from the offset the device says it holds (up to ChunkAttempts times in a row); anything else
    /// ends the transfer with the error, and the next docking resumes from what the device held. Returns the bytes sent, repeats included;
    /// memory stays at window × chunk.
    /// </summary>
    public async Task<long> PushFirmwareAsync(long offset, long size, uint maxChunk,
        Func<long, Memory<byte>, CancellationToken, ValueTask<int>> source, Action<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, size);
        int chunk = (int)Math.Min(Math.Min(maxChunk, Device.MaxPayload - 8u), (uint)_options.ReadChunkSize);
        if (chunk <= 0) throw DockLinkErrors.Malformed(MessageType.FirmwareReady, "the device leaves no room for image bytes in a frame");
        int window = EffectiveWindow;
        long sent = 0, next = offset, held = offset;
        int failures = 0;
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new Queue<(long End, byte[] Buffer, Task<FirmwareWritten> Write)>(window);
        try
        {
            while (held < size)
            {
                while (inFlight.Count < window && next < size)
                {
                    int length = (int)Math.Min(chunk, size - next);
                    var buffer = ArrayPool<byte>.Shared.Rent(length);
                    int got = await source(next, buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                    if (got != length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        throw new IOException($"the image gave {got} bytes at offset {next}, not {length}: it changed while being sent");
                    }
                    inFlight.Enqueue((next + length, buffer, RequestAsync<FirmwareWritten>(new FirmwareWrite((ulong)next, buffer.AsMemory(0, length)),
                        _options.RequestTimeout, abandon.Token)));
                    sent += length;
                    next += length;
                    // A device that keeps losing what it acknowledged would have the image sent forever: at most four times over.
                    if (sent > 4 * Math.Max(size - offset, 1))
                        throw DockLinkErrors.Malformed(MessageType.FirmwareWritten, $"{sent} bytes sent for a {size - offset}-byte transfer: the device keeps losing them");
                }
                var (end, used, write) = inFlight.Dequeue();
                try
                {
                    var written = await write.ConfigureAwait(false);
                    if ((long)written.Held != end)
                        throw DockLinkErrors.Malformed(MessageType.FirmwareWritten, $"the device holds {written.Held} bytes after a write that ended at {end}");
                    held = end;
                    failures = 0;
                    progress?.Invoke(held);
                }
                catch (DockLinkException ex) when ((ex.IsRetryable || ex.Failure == DockLinkFailure.Timeout) && ++failures < _options.ChunkAttempts)
                {
                    // The writes behind it land at offsets past what the device holds and are refused: let them finish, then ask it.
                    await DrainAsync(inFlight).ConfigureAwait(false);
                    var state = await GetFirmwareAsync(cancellationToken).ConfigureAwait(false);
                    if ((long)state.StagedSize != size || (long)state.StagedHeld > size)
                        throw DockLinkErrors.Malformed(MessageType.FirmwareState, $"the device stages {state.StagedHeld} of {state.StagedSize} bytes, not of this {size}-byte image");
                    held = (long)state.StagedHeld;
                    next = held;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(used);
                }
            }
            return sent;
        }
        finally
        {
            await abandon.CancelAsync().ConfigureAwait(false);
            await DrainAsync(inFlight).ConfigureAwait(false);
        }
    }

    private static async Task DrainAsync(Queue<(long End, byte[] Buffer, Task<FirmwareWritten> Write)> inFlight)
    {
        while (inFlight.TryDequeue(out var left))
        {
            try
            {
                await left.Write.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or DockLinkException)
            {
                // Abandoned or refused behind an earlier failure: not the error we report.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
    }

    /// <summary>Asks the device to check and install the staged image. It answers, then ends the session and reboots into the image on trial.</summary>
    public Task<FirmwareInstalling> InstallFirmwareAsync(byte[] sha256, CancellationToken cancellationToken) =>
        RequestAsync<FirmwareInstalling>(new FirmwareInstall(sha256), _options.RequestTimeout, cancellationToken);

    /// <summary>Keeps the trial image (the health check passed).</summary>
    public Task<FirmwareConfirmed> ConfirmFirmwareAsync(byte[] sha256, CancellationToken cancellationToken) =>
        RequestAsync<FirmwareConfirmed>(new FirmwareConfirm(sha256), _options.RequestTimeout, cancellationToken);
}
