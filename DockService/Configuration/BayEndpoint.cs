using System.Net;

namespace Dock.Service.Configuration;

public enum BayTransport
{
    Tcp,
    Serial,
    /// <summary>DockLink over a vendor interface's bulk endpoints (libusb).</summary>
    UsbBulk,
}

/// <summary>Which USB device and interface carries DockLink over bulk endpoints.</summary>
public sealed record UsbBulkAddress(string PortPath, ushort VendorId, ushort ProductId, int Interface, byte InEndpoint, byte OutEndpoint);

/// <summary>A parsed bay endpoint. Parsing is strict so a typo is a start-up error, not a silent empty bay.</summary>
public sealed partial record BayEndpoint(BayTransport Transport, string Host, int Port, string DevicePath, int BaudRate)
{
    /// <summary>Set for <see cref="BayTransport.UsbBulk"/>.</summary>
    public UsbBulkAddress? Usb { get; init; }

    public static bool TryParse(string? text, out BayEndpoint endpoint, out string error)
    {
        endpoint = null!;
        error = "";
        // serial://COM7 (Windows): the port is in the host part of the URI, which Uri would lower-case; SerialPort wants "COM7".
        if (text is not null && ComPort().Match(text) is { Success: true } com)
            return TrySerial(text, com.Groups[1].Value.ToUpperInvariant(), com.Groups[2].Value, out endpoint, out error);
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            error = $"'{text}' is not an endpoint URI; use tcp://HOST:PORT, serial:///dev/ttyACM0 or usb://PORT?vid=VVVV&pid=PPPP";
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
                if (path.Length < 2 || !path.StartsWith('/') || uri.Host.Length > 0)
                {
                    error = $"'{text}' needs a device path, e.g. serial:///dev/ttyACM0 (or serial://COM7 on Windows)";
                    return false;
                }
                return TrySerial(text, path, uri.Query, out endpoint, out error);
            case "usb":
                return TryParseUsb(text, uri, out endpoint, out error);
            default:
                error = $"'{text}': unknown scheme '{uri.Scheme}'; use tcp://, serial:// or usb://";
                return false;
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^serial://(com[1-9][0-9]{0,2})(\?.*)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex ComPort();

    private static bool TrySerial(string text, string device, string query, out BayEndpoint endpoint, out string error)
    {
        endpoint = null!;
        error = "";
        int baud = 115200;
        query = query.TrimStart('?');
        if (query.Length > 0 && (!query.StartsWith("baud=", StringComparison.Ordinal) || !int.TryParse(query[5..], out baud) || baud is < 300 or > 12_000_000))
        {
            error = $"'{text}': the only serial option is baud=300..12000000";
            return false;
        }
        endpoint = new BayEndpoint(BayTransport.Serial, "", 0, device, baud);
        return true;
    }

    /// <summary>usb://PORT?vid=VVVV&amp;pid=PPPP[&amp;interface=N&amp;in=81&amp;out=01] (hex ids and endpoint addresses).</summary>
    private static bool TryParseUsb(string text, Uri uri, out BayEndpoint endpoint, out string error)
    {
        endpoint = null!;
        error = $"'{text}' needs a USB port path and ids, e.g. usb://1-1.3?vid=2e8a&pid=000a[&interface=0&in=81&out=01]";
        if (!System.Text.RegularExpressions.Regex.IsMatch(uri.Host, @"^\d+-\d+(\.\d+)*$") || uri.AbsolutePath is not ("/" or "")) return false;
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv.Length != 2 || kv[0] is not ("vid" or "pid" or "interface" or "in" or "out") || !query.TryAdd(kv[0], kv[1])) return false;
        }
        static bool Hex16(string? s, out ushort v) { v = 0; return s is not null && ushort.TryParse(s, System.Globalization.NumberStyles.HexNumber, null, out v); }
        static bool Hex8(string? s, byte fallback, out byte v)
        {
            v = fallback;
            return s is null || byte.TryParse(s, System.Globalization.NumberStyles.HexNumber, null, out v);
        }
        if (!Hex16(query.GetValueOrDefault("vid"), out var vid) || !Hex16(query.GetValueOrDefault("pid"), out var pid)) return false;
        int number = 0;
        if (query.TryGetValue("interface", out var n) && (!int.TryParse(n, out number) || number is < 0 or > 255)) return false;
        if (!Hex8(query.GetValueOrDefault("in"), 0x81, out var inEp) || !Hex8(query.GetValueOrDefault("out"), 0x01, out var outEp)
            || (inEp & 0x80) == 0 || (outEp & 0x80) != 0) return false;
        endpoint = new BayEndpoint(BayTransport.UsbBulk, "", 0, uri.Host, 0) { Usb = new UsbBulkAddress(uri.Host, vid, pid, number, inEp, outEp) };
        error = "";
        return true;
    }

    public override string ToString() => Transport == BayTransport.UsbBulk && Usb is { } u
        ? $"usb://{u.PortPath}?vid={u.VendorId:x4}&pid={u.ProductId:x4}&interface={u.Interface}&in={u.InEndpoint:x2}&out={u.OutEndpoint:x2}"
        : Transport == BayTransport.Tcp
        ? $"tcp://{(IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Host}]" : Host)}:{Port}"
        : $"serial://{DevicePath}";

    /// <summary>The name System.IO.Ports opens: the device path (/dev/ttyACM0), or the COM port name (COM7).</summary>
    public string SerialPortName => DevicePath;
}
