using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Transport;
using Dock.Simulator.Hosting.Pty;
using Dock.Simulator.Recorders;

namespace Dock.Simulator.Hosting;

/// <summary>
/// A recorder behind a pseudo-terminal: the dock opens <see cref="Address"/> as a serial port.
/// A serial line has no "connect": the device serves the line continuously, and a new HELLO from
/// the host restarts the session (docklink-v1.md §8).
/// </summary>
public sealed class PtyRecorderEndpoint : RecorderEndpoint
{
    private readonly PseudoTerminal _pty = PseudoTerminal.Open();

    public PtyRecorderEndpoint(SimulatedRecorder recorder, DeviceSessionOptions? sessionOptions = null, TimeProvider? time = null)
        : base(recorder, sessionOptions ?? new DeviceSessionOptions { HelloTimeout = Timeout.InfiniteTimeSpan, IdleTimeout = Timeout.InfiniteTimeSpan },
            time ?? TimeProvider.System)
    {
    }

    public string DevicePath => _pty.SlavePath;

    public override string Address => $"serial://{_pty.SlavePath}";

    protected override Task<IDockLinkTransport?> AcceptAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IDockLinkTransport?>(cancellationToken.IsCancellationRequested ? null : new PtyTransport(_pty));

    protected override ValueTask OnStoppingAsync()
    {
        _pty.Dispose();
        return ValueTask.CompletedTask;
    }
}
