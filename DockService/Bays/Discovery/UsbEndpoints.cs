using Dock.Service.Configuration;

namespace Dock.Service.Bays.Discovery;

/// <summary>The endpoints of whatever sits at a USB port now.</summary>
public static class UsbEndpoints
{
    /// <summary>
    /// A CDC-ACM recorder (DockLink, or a mass-storage recorder's command channel) is reached at /dev/ttyXXX.
    /// An empty port yields none.
    /// </summary>
    public static BayEndpoint? ForPort(SysfsUsbScanner scanner, string port, string deviceRoot = "/dev")
    {
        var device = scanner.Scan().FirstOrDefault(d => d.PortPath == port);
        if (device?.Tty is not { } tty) return null;
        return BayEndpoint.TryParse($"serial://{Path.Combine(deviceRoot, tty)}", out var endpoint, out _) ? endpoint : null;
    }

    /// <summary>Where the disk of the recorder at <paramref name="port"/> is mounted; null if it has none (yet) or it is not mounted.</summary>
    public static string? VolumeForPort(SysfsUsbScanner scanner, string port, string mountsFile)
    {
        var device = scanner.Scan().FirstOrDefault(d => d.PortPath == port);
        return device?.BlockDevice is { } block && Recorders.MassStorage.MountTable.FindMountPoint(mountsFile, block) is { } mounted
            && Directory.Exists(mounted) ? mounted : null;
    }
}
