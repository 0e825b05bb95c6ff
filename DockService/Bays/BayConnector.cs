using System.Net;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Transport;
using Dock.DeviceProtocol.Transport.Usb;
using Dock.Service.Configuration;

namespace Dock.Service.Bays;

/// <summary>Opens the transport for a bay's endpoint. "Nothing there" is ConnectionLost: the bay is empty.</summary>
public static class BayConnector
{
    // One libusb context for the process; pipes need it alive, and it is cheap to keep.
    private static readonly Lazy<UsbBus> Usb = new(UsbBus.Open, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The transport, or null when nothing is there (the bay is empty). Set-up problems (no libusb,
    /// no permission) are thrown, so the bay shows them.</summary>
    /// <remarks><paramref name="absent"/> receives why the bay is empty (nothing answers, no device), for the bay and its log.</remarks>
    public static async Task<IDockLinkTransport?> TryConnectAsync(BayEndpoint endpoint, TimeSpan connectTimeout, Action<string>? absent,
        CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectAsync(endpoint, connectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.ConnectionLost)
        {
            // Not an error for a bay: it is how an empty bay looks ("nothing at …", "no answer from …").
            const string Prefix = "DockLink connection lost: ";
            absent?.Invoke(ex.Message.StartsWith(Prefix, StringComparison.Ordinal) ? ex.Message[Prefix.Length..].TrimEnd('.') : ex.Message);
            return null;
        }
    }

    public static Task<IDockLinkTransport?> TryConnectAsync(BayEndpoint endpoint, CancellationToken cancellationToken) =>
        TryConnectAsync(endpoint, TcpTransport.DefaultConnectTimeout, null, cancellationToken);

    public static Task<IDockLinkTransport> ConnectAsync(BayEndpoint endpoint, CancellationToken cancellationToken) =>
        ConnectAsync(endpoint, TcpTransport.DefaultConnectTimeout, cancellationToken);

    public static async Task<IDockLinkTransport> ConnectAsync(BayEndpoint endpoint, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        switch (endpoint.Transport)
        {
            case BayTransport.Tcp:
                EndPoint target = IPAddress.TryParse(endpoint.Host, out var ip)
                    ? new IPEndPoint(ip, endpoint.Port)
                    : new DnsEndPoint(endpoint.Host, endpoint.Port);
                return await TcpTransport.ConnectAsync(target, connectTimeout, cancellationToken).ConfigureAwait(false);
            case BayTransport.Serial:
                if (!OperatingSystem.IsWindows() && !File.Exists(endpoint.SerialPortName))
                    throw DockLinkErrors.ConnectionLost($"no device at {endpoint.SerialPortName}");
                return SerialTransport.Open(endpoint.SerialPortName, endpoint.BaudRate);
            case BayTransport.UsbBulk:
                var a = endpoint.Usb!;
                try
                {
                    return new UsbBulkTransport(Usb.Value.OpenBulk(a.PortPath, a.VendorId, a.ProductId, a.Interface, a.InEndpoint, a.OutEndpoint));
                }
                catch (UsbException ex) when (ex.Error is UsbError.NotFound || ex.DeviceGone)
                {
                    throw DockLinkErrors.ConnectionLost($"nothing at {endpoint}", ex);
                }
                catch (UsbException ex)
                {
                    // No libusb, no permission: not an empty bay but a set-up problem the bay must show.
                    throw DockLinkErrors.InvalidState($"{endpoint}: {ex.Message}");
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(endpoint));
        }
    }
}
