using System.Net;
using System.Net.Sockets;
using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Transport;

/// <summary>TCP: recorders that present as a USB network card, and the simulator.</summary>
public static class TcpTransport
{
    /// <summary>Default for <see cref="ConnectAsync(EndPoint, TimeSpan, CancellationToken)"/>: a recorder on a USB network card
    /// answers in milliseconds; without a limit the OS retries a SYN that gets no answer for about two minutes.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Connects to a recorder. A refused, unreachable or silent endpoint is ConnectionLost (not docked); a host name
    /// that does not resolve is InvalidState (a configuration problem the bay must show).</summary>
    public static Task<IDockLinkTransport> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken) =>
        ConnectAsync(endpoint, DefaultConnectTimeout, cancellationToken);

    public static async Task<IDockLinkTransport> ConnectAsync(EndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A DnsEndPoint has no address family yet: a dual-mode socket takes whichever the name resolves to.
        var socket = endpoint.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw DockLinkErrors.ConnectionLost($"no answer from tcp://{endpoint} within {timeout.TotalSeconds:0.#} s");
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain)
        {
            socket.Dispose();
            throw DockLinkErrors.InvalidState($"the host name in tcp://{endpoint} does not resolve ({ex.SocketErrorCode}); check the bay's endpoint");
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
