using System.Net;
using System.Net.Sockets;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Transport;
using Dock.Simulator.Recorders;

namespace Dock.Simulator.Hosting;

/// <summary>A recorder reachable over TCP, as one that presents a USB network card would be.</summary>
public sealed class TcpRecorderEndpoint : RecorderEndpoint
{
    private readonly TcpListener _listener;

    public TcpRecorderEndpoint(SimulatedRecorder recorder, IPEndPoint bind, DeviceSessionOptions? sessionOptions = null, TimeProvider? time = null)
        : base(recorder, sessionOptions, time ?? TimeProvider.System)
    {
        _listener = new TcpListener(bind);
        _listener.Start(backlog: 1);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndpoint;
    }

    public IPEndPoint LocalEndPoint { get; }

    public override string Address => $"tcp://{LocalEndPoint}";

    protected override async Task<IDockLinkTransport?> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            var socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
            return TcpTransport.FromSocket(socket);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    protected override ValueTask OnStoppingAsync()
    {
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
