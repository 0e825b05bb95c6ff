using System.Text.RegularExpressions;

namespace Dock.Service.Bays.Discovery;

/// <summary>How a docked recorder presents itself over USB.</summary>
public enum UsbPresentation
{
    Unknown,
    /// <summary>CDC-ACM serial (/dev/ttyACM*): DockLink over serial.</summary>
    Serial,
    /// <summary>A USB network card (CDC-ECM/NCM, RNDIS): DockLink over TCP.</summary>
    Network,
    /// <summary>A USB disk (mass storage): GA/T 947.4-style recorders.</summary>
    MassStorage,
    /// <summary>Vendor-specific bulk endpoints (libusb).</summary>
    VendorBulk,
}

/// <summary>One interface of a USB device and what the kernel bound to it; for vendor interfaces, its bulk endpoint addresses.</summary>
public sealed record UsbInterface(string Name, int Class, string? Tty, string? NetInterface, string? BlockDevice)
{
    public int Number { get; init; }
    public byte? BulkIn { get; init; }
    public byte? BulkOut { get; init; }
}

/// <summary>A USB device at a physical port path such as "1-1.3" (stable across re-plugs into the same socket).</summary>
public sealed record UsbDevice(string PortPath, string VendorId, string ProductId, string? Serial, string? Product, IReadOnlyList<UsbInterface> Interfaces)
{
    /// <summary>The most useful way to talk to it: serial first (DockLink), then network, disk, vendor bulk.</summary>
    public UsbPresentation Presentation =>
        Interfaces.Any(i => i.Tty is not null) ? UsbPresentation.Serial
        : Interfaces.Any(i => i.NetInterface is not null) ? UsbPresentation.Network
        : Interfaces.Any(i => i.BlockDevice is not null || i.Class == 0x08) ? UsbPresentation.MassStorage
        : Interfaces.Any(i => i.Class == 0xFF) ? UsbPresentation.VendorBulk
        : UsbPresentation.Unknown;

    public string? Tty => Interfaces.Select(i => i.Tty).FirstOrDefault(t => t is not null);
    public string? NetInterface => Interfaces.Select(i => i.NetInterface).FirstOrDefault(n => n is not null);
    public string? BlockDevice => Interfaces.Select(i => i.BlockDevice).FirstOrDefault(b => b is not null);

    /// <summary>The first vendor-specific interface with a bulk IN and OUT endpoint (DockLink over USB bulk).</summary>
    public UsbInterface? VendorBulk => Interfaces.FirstOrDefault(i => i.Class == 0xFF && i.BulkIn is not null && i.BulkOut is not null);
}

/// <summary>
/// Reads the USB devices the kernel knows from sysfs (/sys/bus/usb/devices): for each physical port
/// path, the vendor and product ids, the serial, and what each interface became (tty, network
/// interface, block device). Linux only; tests point it at a fake sysfs tree in a temporary folder.
/// </summary>
public sealed partial class SysfsUsbScanner(string sysfsRoot = "/sys")
{
    private const int MaxDepth = 6;

    public string Root => sysfsRoot;

    public IReadOnlyList<UsbDevice> Scan()
    {
        var devices = Path.Combine(sysfsRoot, "bus", "usb", "devices");
        if (!Directory.Exists(devices)) return [];
        var found = new List<UsbDevice>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(devices))
        {
            var name = Path.GetFileName(entry);
            if (!PortPath().IsMatch(name)) continue; // "usb1" root hubs and "1-1.3:1.0" interfaces are not ports
            var vendor = Read(entry, "idVendor");
            var product = Read(entry, "idProduct");
            if (vendor is null || product is null) continue; // Unplugged while we looked.
            var interfaces = new List<UsbInterface>();
            foreach (var intf in Directory.EnumerateDirectories(entry, name + ":*"))
            {
                int cls = int.TryParse(Read(intf, "bInterfaceClass"), System.Globalization.NumberStyles.HexNumber, null, out var c) ? c : -1;
                var (bulkIn, bulkOut) = BulkEndpoints(intf);
                interfaces.Add(new UsbInterface(Path.GetFileName(intf), cls, Child(intf, "tty"), Child(intf, "net"), FindBlock(intf, 0))
                {
                    Number = int.TryParse(Read(intf, "bInterfaceNumber"), System.Globalization.NumberStyles.HexNumber, null, out var n) ? n : -1,
                    BulkIn = bulkIn,
                    BulkOut = bulkOut,
                });
            }
            found.Add(new UsbDevice(name, vendor, product, Read(entry, "serial"), Read(entry, "product"), [.. interfaces.OrderBy(i => i.Name, StringComparer.Ordinal)]));
        }
        return [.. found.OrderBy(d => d.PortPath, StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"^\d+-\d+(\.\d+)*$")]
    private static partial Regex PortPath();

    private static string? Read(string dir, string file)
    {
        try
        {
            var path = Path.Combine(dir, file);
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null; // The device went away mid-read.
        }
    }

    /// <summary>The single entry of a class folder, e.g. "tty/ttyACM0" → "ttyACM0".</summary>
    private static string? Child(string dir, string folder)
    {
        var path = Path.Combine(dir, folder);
        return Directory.Exists(path) ? Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault() : null;
    }

    /// <summary>The interface's first bulk IN and OUT endpoints: ep_XX folders with type "Bulk" and a direction.</summary>
    private static (byte? In, byte? Out) BulkEndpoints(string intf)
    {
        byte? bulkIn = null, bulkOut = null;
        foreach (var ep in Directory.EnumerateDirectories(intf, "ep_*").Order(StringComparer.Ordinal))
        {
            if (Read(ep, "type") != "Bulk" || !byte.TryParse(Path.GetFileName(ep)[3..], System.Globalization.NumberStyles.HexNumber, null, out var address)) continue;
            if (Read(ep, "direction") == "in") bulkIn ??= address;
            else if (Read(ep, "direction") == "out") bulkOut ??= address;
        }
        return (bulkIn, bulkOut);
    }

    /// <summary>Mass storage: host*/target*/*/block/sdX, a few levels down.</summary>
    private static string? FindBlock(string dir, int depth)
    {
        if (depth > MaxDepth || !Directory.Exists(dir)) return null;
        if (Path.GetFileName(dir) == "block") return Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).FirstOrDefault();
        foreach (var sub in Directory.EnumerateDirectories(dir))
        {
            var name = Path.GetFileName(sub);
            if (name is "block" || name.StartsWith("host", StringComparison.Ordinal) || name.StartsWith("target", StringComparison.Ordinal)
                || char.IsAsciiDigit(name[0]))
                if (FindBlock(sub, depth + 1) is { } block) return block;
        }
        return null;
    }
}
