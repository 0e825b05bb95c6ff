using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Transport;
using Dock.Simulator.Recorders;

namespace Dock.Simulator.Links;

/// <summary>
/// What sits between a simulated recorder and its real transport: a bandwidth cap (USB 2.0 runs at
/// about 40 MB/s, a 115,200-baud line about 0.0115) and the armed "yank the cable at byte N" and "go silent at byte N" faults.
/// </summary>
public sealed class SimulatedLink(IDockLinkTransport inner, RecorderFaults faults, double? throttleMBps, TimeProvider time)
    : IDockLinkTransport
{
    private readonly double _bytesPerSecond = throttleMBps is > 0 ? throttleMBps.Value * 1_000_000 : 0;
    private readonly long _start = time.GetTimestamp();
    // When the line is free again (seconds since _start): a wire does not bank the time it sat idle.
    private double _freeAt;
    private bool _silent;

    public string Endpoint => inner.Endpoint;

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, cancellationToken);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_bytesPerSecond > 0)
        {
            // A write may not finish before its bytes would have crossed a line of that rate, starting when the line is free.
            // A writer the scheduler ran late (simulator and dock share the cores) may catch up by at most one second of line
            // time: enough to absorb that jitter (measured: with 100 ms, 8 recorders at 40 MB/s lost 7 % to it), while an idle
            // line banks no more than that (a real line banks nothing).
            double now = time.GetElapsedTime(_start).TotalSeconds;
            _freeAt = Math.Max(_freeAt, now - 1.0) + data.Length / _bytesPerSecond;
            var due = TimeSpan.FromSeconds(_freeAt - now);
            if (due > TimeSpan.FromMilliseconds(1))
                await Task.Delay(due, time, cancellationToken).ConfigureAwait(false);
        }
        // A stalled link: the recorder goes on serving requests, but nothing it sends arrives until the dock drops the link.
        if (_silent) return;
        if (faults.TakeStallBudget(data.Length) is { } quiet)
        {
            _silent = true;
            if (quiet > 0) await inner.WriteAsync(data[..(int)quiet], cancellationToken).ConfigureAwait(false);
            return;
        }
        if (faults.TakeLinkBudget(data.Length) is { } budget)
        {
            if (budget > 0) await inner.WriteAsync(data[..(int)budget], cancellationToken).ConfigureAwait(false);
            await inner.DisposeAsync().ConfigureAwait(false);
            throw DockLinkErrors.ConnectionLost("simulated cable pull");
        }
        await inner.WriteAsync(data, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
