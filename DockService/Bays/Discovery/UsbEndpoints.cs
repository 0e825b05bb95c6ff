using Dock.Service.Configuration;

namespace Dock.Service.Bays.Discovery;

/// <summary>The DockLink endpoint of whatever sits at a USB port now.</summary>
public static class UsbEndpoints
{
    /// <summary>
    /// A CDC-ACM recorder is reached at /dev/ttyXXX. Network-card and mass-storage recorders are found
    /// but need their own drivers (not yet: docklink over USB networking needs the bay's IPv4 neighbour;
    /// mass storage has its own recorder driver), so they yield no endpoint yet; nor does an empty port.
    /// </summary>
    public static BayEndpoint? ForPort(SysfsUsbScanner scanner, string port, string deviceRoot = "/dev")
    {
        var device = scanner.Scan().FirstOrDefault(d => d.PortPath == port);
        if (device?.Tty is not { } tty) return null;
        return BayEndpoint.TryParse($"serial://{Path.Combine(deviceRoot, tty)}", out var endpoint, out _) ? endpoint : null;
    }
}
