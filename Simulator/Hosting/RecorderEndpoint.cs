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
            if (_takenOut)
            {
                // Out of its bay: the port is there, nothing answers on it.
                await transport.DisposeAsync().ConfigureAwait(false);
                continue;
            }
            var link = new SimulatedLink(transport, Recorder.Faults, Recorder.Options.ThrottleMBps, Time);
            var session = new DeviceSession(link, Recorder, SessionOptions, Time);
            using var taken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _session = taken;
            try
            {
                if (_takenOut) await taken.CancelAsync().ConfigureAwait(false);
                await session.RunAsync(taken.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Taken out of the bay mid-session: the link drops, as a yanked cable does.
                await link.DisposeAsync().ConfigureAwait(false);
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
            finally
            {
                _session = null;
            }
        }
    }

    private int _disposed;
    private volatile bool _takenOut;
    private volatile CancellationTokenSource? _session;

    /// <summary>Whether the camera is out of its bay (<see cref="TakeOut"/>): an officer took it for a shift.</summary>
    public bool TakenOut => _takenOut;

    /// <summary>An officer takes the camera out of its bay: its link drops and nothing answers on its port until <see cref="PutBack"/>.</summary>
    public void TakeOut()
    {
        _takenOut = true;
        try
        {
            _session?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That session ended on its own just now.
        }
    }

    /// <summary>The camera is docked again: the next link is served.</summary>
    public void PutBack() => _takenOut = false;

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
