using System.Net;

namespace Dock.Service.Configuration;

public enum BayTransport
{
    Tcp,
    Serial,
}

/// <summary>A parsed bay endpoint. Parsing is strict so a typo is a start-up error, not a silent empty bay.</summary>
public sealed record BayEndpoint(BayTransport Transport, string Host, int Port, string DevicePath, int BaudRate)
{
    public static bool TryParse(string? text, out BayEndpoint endpoint, out string error)
    {
        endpoint = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            error = $"'{text}' is not an endpoint URI; use tcp://HOST:PORT or serial:///dev/ttyACM0";
            return false;
        }
        switch (uri.Scheme)
        {
            case "tcp":
                if (uri.Port is <= 0 or > 65535 || string.IsNullOrEmpty(uri.Host) || uri.AbsolutePath is not ("/" or ""))
                {
                    error = $"'{text}' needs a host and a port 1-65535, e.g. tcp://127.0.0.1:7001";
                    return false;
                }
                endpoint = new BayEndpoint(BayTransport.Tcp, uri.Host.Trim('[', ']'), uri.Port, "", 0);
                return true;
            case "serial":
                var path = Uri.UnescapeDataString(uri.AbsolutePath);
                int baud = 115200;
                var query = uri.Query.TrimStart('?');
                if (query.Length > 0)
                {
                    if (!query.StartsWith("baud=", StringComparison.Ordinal) || !int.TryParse(query[5..], out baud) || baud is < 300 or > 12_000_000)
                    {
                        error = $"'{text}': the only serial option is baud=300..12000000";
                        return false;
                    }
                }
                if (path.Length < 2 || (!path.StartsWith('/') && !OperatingSystem.IsWindows()))
                {
                    error = $"'{text}' needs a device path, e.g. serial:///dev/ttyACM0";
                    return false;
                }
                endpoint = new BayEndpoint(BayTransport.Serial, "", 0, path, baud);
                return true;
            default:
                error = $"'{text}': unknown scheme '{uri.Scheme}'; use tcp:// or serial://";
                return false;
        }
    }

    public override string ToString() => Transport == BayTransport.Tcp
        ? $"tcp://{(IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Host}]" : Host)}:{Port}"
        : $"serial://{DevicePath}";
}
