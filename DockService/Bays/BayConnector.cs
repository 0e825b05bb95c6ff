using System.Net;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Transport;
using Dock.Service.Configuration;

namespace Dock.Service.Bays;

/// <summary>Opens the transport for a bay's endpoint. "Nothing there" is ConnectionLost: the bay is empty.</summary>
public static class BayConnector
{
    public static async Task<IDockLinkTransport> ConnectAsync(BayEndpoint endpoint, CancellationToken cancellationToken)
    {
        switch (endpoint.Transport)
        {
            case BayTransport.Tcp:
                EndPoint target = IPAddress.TryParse(endpoint.Host, out var ip)
                    ? new IPEndPoint(ip, endpoint.Port)
                    : new DnsEndPoint(endpoint.Host, endpoint.Port);
                return await TcpTransport.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            case BayTransport.Serial:
                if (!File.Exists(endpoint.DevicePath) && !OperatingSystem.IsWindows())
                    throw DockLinkErrors.ConnectionLost($"no device at {endpoint.DevicePath}");
                return SerialTransport.Open(endpoint.DevicePath, endpoint.BaudRate);
            default:
                throw new ArgumentOutOfRangeException(nameof(endpoint));
        }
    }
}
