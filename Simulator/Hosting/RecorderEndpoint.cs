using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Transport;
using Dock.Simulator.Links;
using Dock.Simulator.Recorders;

namespace Dock.Simulator.Hosting;

/// <summary>
/// Where a simulated recorder can be reached, like a real recorder's USB port: one link at a time,
/// each served by a DockLink <see cref="DeviceSession"/> until it ends, then the next.
/// </summary>
public abstract class RecorderEndpoint : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    protected RecorderEndpoint(SimulatedRecorder recorder, DeviceSessionOptions? sessionOptions, TimeProvider time)
    {
        Recorder = recorder;
        SessionOptions = sessionOptions ?? new DeviceSessionOptions();
        Time = time;
    }

    public SimulatedRecorder Recorder { get; }

    /// <summary>What a dock puts in its bay configuration: <c>tcp://host:port</c> or <c>serial:///dev/pts/N</c>.</summary>
    public abstract string Address { get; }

    protected DeviceSessionOptions SessionOptions { get; }
    protected TimeProvider Time { get; }

    public void Start() => _loop = Task.Run(() => ServeAsync(_stop.Token));

    /// <summary>Waits for the next link and returns it; null when the endpoint is stopping.</summary>
    protected abstract Task<IDockLinkTransport?> AcceptAsync(CancellationToken cancellationToken);

    private async Task ServeAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            IDockLinkTransport? transport;
            try
            {
                transport = await AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (transport is null) return;
            var link = new SimulatedLink(transport, Recorder.Faults, Recorder.Options.ThrottleMBps, Time);
            var session = new DeviceSession(link, Recorder, SessionOptions, Time);
            try
            {
                await session.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One broken session must not take the recorder off the air: like firmware, serve the next link.
                LastSessionError = ex;
            }
        }
    }

    private int _disposed;

    /// <summary>The last exception that ended a session abnormally (for tests and diagnostics).</summary>
    public Exception? LastSessionError { get; private set; }

    /// <summary>Takes the recorder off the air (out of its bay). Safe to call more than once.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await OnStoppingAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping is what we asked for.
        }
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Release OS resources so a pending accept returns.</summary>
    protected abstract ValueTask OnStoppingAsync();
}
