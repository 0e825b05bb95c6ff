using System.Net;
using System.Net.Sockets;
using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Transport;

/// <summary>TCP: recorders that present as a USB network card, and the simulator.</summary>
public static class TcpTransport
{
    /// <summary>Connects to a recorder. A refused or unreachable endpoint is ConnectionLost (not docked).</summary>
    public static async Task<IDockLinkTransport> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw DockLinkErrors.ConnectionLost($"cannot connect to tcp://{endpoint} ({ex.SocketErrorCode})", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return FromSocket(socket);
    }

    /// <summary>Wraps an accepted or connected socket.</summary>
    public static IDockLinkTransport FromSocket(Socket socket)
    {
        // Small request frames must not wait for Nagle: reads are pipelined, latency matters.
        socket.NoDelay = true;
        var endpoint = $"tcp://{socket.RemoteEndPoint}";
        return new StreamTransport(new NetworkStream(socket, ownsSocket: true), endpoint);
    }
}
