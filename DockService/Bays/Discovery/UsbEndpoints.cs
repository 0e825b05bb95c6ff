using Dock.Service.Configuration;

namespace Dock.Service.Bays.Discovery;

/// <summary>The endpoints of whatever sits at a USB port now.</summary>
public static class UsbEndpoints
{
    /// <summary>
    /// How to reach what sits at a USB port, in this order: a CDC-ACM tty (DockLink, or a mass-storage recorder's
    /// command channel) at /dev/ttyXXX; a USB network card, at the recorder's address on that interface
    /// (<see cref="NetworkPeer"/>) and <paramref name="tcpPort"/>; a vendor interface's bulk endpoints through
    /// libusb. An empty port, or a network card whose peer has no address yet, yields none.
    /// </summary>
    public static BayEndpoint? ForPort(SysfsUsbScanner scanner, string port, string deviceRoot = "/dev", string procRoot = "/proc", int tcpPort = 7001)
    {
        var device = scanner.Scan().FirstOrDefault(d => d.PortPath == port);
        if (device is null) return null;
        string? uri = device.Tty is { } tty ? $"serial://{Path.Combine(deviceRoot, tty)}"
            : device.NetInterface is { } net ? NetworkPeer.Find(procRoot, net) is { } peer ? $"tcp://{peer}:{tcpPort}" : null
            : device.VendorBulk is { } bulk
                ? $"usb://{port}?vid={device.VendorId}&pid={device.ProductId}&interface={bulk.Number}&in={bulk.BulkIn:x2}&out={bulk.BulkOut:x2}"
            : null;
        return uri is not null && BayEndpoint.TryParse(uri, out var endpoint, out _) ? endpoint : null;
    }

    /// <summary>Where the disk of the recorder at <paramref name="port"/> is mounted; null if it has none (yet) or it is not mounted.</summary>
    public static string? VolumeForPort(SysfsUsbScanner scanner, string port, string mountsFile)
    {
        var device = scanner.Scan().FirstOrDefault(d => d.PortPath == port);
        return device?.BlockDevice is { } block && Recorders.MassStorage.MountTable.FindMountPoint(mountsFile, block) is { } mounted
            && Directory.Exists(mounted) ? mounted : null;
    }
}
