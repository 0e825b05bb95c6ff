using Dock.Service.Bays.Discovery;

namespace Dock.Service.Tests;

/// <summary>Bay discovery over a fake sysfs tree in a temporary folder (the only fake: no USB devices exist here).</summary>
public sealed class BayDiscoveryTests : IDisposable
{
    private readonly string _sysfs = Directory.CreateTempSubdirectory("dock-sysfs-").FullName;
    private string Devices => Path.Combine(_sysfs, "bus", "usb", "devices");

    public void Dispose() => Directory.Delete(_sysfs, recursive: true);

    /// <summary>A recorder at <paramref name="port"/>: a CDC-ACM pair (comm + data with a tty), as such cameras present.</summary>
    private void Plug(string port, string serial, string vid = "2e8a", string pid = "000a", string? tty = "ttyACM0", string? net = null, string? block = null,
        int dataClass = 0x0a)
    {
        var dir = Path.Combine(Devices, port);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "idVendor"), vid + "\n");
        File.WriteAllText(Path.Combine(dir, "idProduct"), pid + "\n");
        File.WriteAllText(Path.Combine(dir, "serial"), serial + "\n");
        File.WriteAllText(Path.Combine(dir, "product"), "DSJ body camera\n");
        var comm = Directory.CreateDirectory(Path.Combine(dir, $"{port}:1.0")).FullName;
        File.WriteAllText(Path.Combine(comm, "bInterfaceClass"), "02\n");
        var data = Directory.CreateDirectory(Path.Combine(dir, $"{port}:1.1")).FullName;
        File.WriteAllText(Path.Combine(data, "bInterfaceClass"), $"{dataClass:x2}\n");
        if (tty is not null) Directory.CreateDirectory(Path.Combine(data, "tty", tty));
        if (net is not null) Directory.CreateDirectory(Path.Combine(data, "net", net));
        if (block is not null) Directory.CreateDirectory(Path.Combine(data, "host3", "target3:0:0", "3:0:0:0", "block", block));
    }

    private void Unplug(string port) => Directory.Delete(Path.Combine(Devices, port), recursive: true);

    private BayDiscovery Discovery() => new(new Dictionary<string, string> { ["1-1.3"] = "1", ["1-1.4"] = "2" }, new SysfsUsbScanner(_sysfs));

    [Fact]
    public void RecorderAppears_DockedInItsBay_WithItsTty()
    {
        Directory.CreateDirectory(Path.Combine(Devices, "usb1")); // a root hub: not a port
        var discovery = Discovery();
        Assert.Empty(discovery.Poll());
        Plug("1-1.3", "DSJ0001");
        var change = Assert.Single(discovery.Poll());
        Assert.Equal(("1", BayChangeKind.Docked, "DSJ0001", "ttyACM0", UsbPresentation.Serial),
            (change.BayId, change.Kind, change.Device.Serial, change.Device.Tty, change.Device.Presentation));
        Assert.Empty(discovery.Poll()); // nothing new
    }

    [Fact]
    public void RecorderMovedToAnotherBay_RemovedFromOneDockedInTheOther()
    {
        var discovery = Discovery();
        Plug("1-1.3", "DSJ0001");
        discovery.Poll();
        Unplug("1-1.3");
        Plug("1-1.4", "DSJ0001", tty: "ttyACM1");
        var changes = discovery.Poll();
        Assert.Contains(changes, c => c is { BayId: "1", Kind: BayChangeKind.Removed });
        Assert.Contains(changes, c => c is { BayId: "2", Kind: BayChangeKind.Docked } && c.Device.Tty == "ttyACM1");
    }

    [Fact]
    public void RecorderVanishesMidTransfer_Removed()
    {
        var discovery = Discovery();
        Plug("1-1.3", "DSJ0001");
        discovery.Poll();
        Unplug("1-1.3");
        Assert.Equal(BayChangeKind.Removed, Assert.Single(discovery.Poll()).Kind);
        Assert.Empty(discovery.Current);
    }

    [Fact]
    public void TwoIdenticalModelsInTwoBays_ToldApartByPort()
    {
        var discovery = Discovery();
        Plug("1-1.3", "DSJ0001", tty: "ttyACM0");
        Plug("1-1.4", "DSJ0002", tty: "ttyACM1");
        Plug("1-1.9", "DSJ0003", tty: "ttyACM2"); // a port no bay is bound to
        var changes = discovery.Poll();
        Assert.Equal(2, changes.Count);
        Assert.Equal("DSJ0001", discovery.Current["1"].Serial);
        Assert.Equal("ttyACM1", discovery.Current["2"].Tty);
        // Swapping the two cameras between bays is two removals and two dockings.
        Unplug("1-1.3");
        Unplug("1-1.4");
        Plug("1-1.3", "DSJ0002");
        Plug("1-1.4", "DSJ0001");
        Assert.Equal(4, discovery.Poll().Count);
    }

    [Fact]
    public void Presentations_NetworkDiskVendorBulk()
    {
        Plug("1-1.3", "A", tty: null, net: "usb0");
        Plug("1-1.4", "B", tty: null, block: "sdb", dataClass: 0x08);
        Plug("1-1.5", "C", tty: null, dataClass: 0xff);
        var devices = new SysfsUsbScanner(_sysfs).Scan().ToDictionary(d => d.PortPath);
        Assert.Equal(UsbPresentation.Network, devices["1-1.3"].Presentation);
        Assert.Equal("usb0", devices["1-1.3"].NetInterface);
        Assert.Equal(UsbPresentation.MassStorage, devices["1-1.4"].Presentation);
        Assert.Equal("sdb", devices["1-1.4"].BlockDevice);
        Assert.Equal(UsbPresentation.VendorBulk, devices["1-1.5"].Presentation);
    }

    [Fact]
    public void EndpointForPort_NetworkCardAtItsGateway_VendorBulkThroughLibusb_NothingWithoutAnAddress()
    {
        Plug("1-1.3", "A", tty: null, net: "usb0");
        Plug("1-1.4", "B", tty: null, net: "usb1");
        Plug("1-1.5", "C", tty: null, dataClass: 0xff, vid: "1d6b", pid: "0104");
        var bulk = Path.Combine(Devices, "1-1.5", "1-1.5:1.1");
        File.WriteAllText(Path.Combine(bulk, "bInterfaceNumber"), "01\n");
        foreach (var (ep, direction) in new[] { ("ep_83", "in"), ("ep_02", "out"), ("ep_84", "in") })
        {
            Directory.CreateDirectory(Path.Combine(bulk, ep));
            File.WriteAllText(Path.Combine(bulk, ep, "type"), "Bulk\n");
            File.WriteAllText(Path.Combine(bulk, ep, "direction"), direction + "\n");
        }
        var proc = Directory.CreateDirectory(Path.Combine(_sysfs, "proc", "net")).FullName;
        File.WriteAllText(Path.Combine(proc, "route"),
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
            "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
            "usb0\t002AA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
            "usb0\t00000000\t012AA8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n");
        File.WriteAllText(Path.Combine(proc, "arp"),
            "IP address       HW type     Flags       HW address            Mask     Device\n" +
            "192.168.43.9     0x1         0x0         00:00:00:00:00:00     *        usb1\n");
        var scanner = new SysfsUsbScanner(_sysfs);
        var procRoot = Path.Combine(_sysfs, "proc");

        Assert.Equal("tcp://192.168.42.1:7001", UsbEndpoints.ForPort(scanner, "1-1.3", procRoot: procRoot)!.ToString());
        Assert.Null(UsbEndpoints.ForPort(scanner, "1-1.4", procRoot: procRoot)); // an incomplete neighbour is no address
        File.AppendAllText(Path.Combine(proc, "arp"), "192.168.43.7     0x1         0x2         02:11:22:33:44:55     *        usb1\n");
        Assert.Equal("tcp://192.168.43.7:9000", UsbEndpoints.ForPort(scanner, "1-1.4", procRoot: procRoot, tcpPort: 9000)!.ToString());
        var usb = UsbEndpoints.ForPort(scanner, "1-1.5", procRoot: procRoot)!;
        Assert.Equal(Dock.Service.Configuration.BayTransport.UsbBulk, usb.Transport);
        Assert.Equal(new Dock.Service.Configuration.UsbBulkAddress("1-1.5", 0x1d6b, 0x0104, 1, 0x83, 0x02), usb.Usb);
        Assert.Null(UsbEndpoints.ForPort(scanner, "1-1.9", procRoot: procRoot));
    }
}

/// <summary>Netlink hotplug, against the real kernel: writing "change" to a sysfs uevent file makes the kernel send one.</summary>
public sealed class UeventMonitorTests
{
    [Fact]
    public async Task KernelUevent_Received_WithActionAndSubsystem()
    {
        using var monitor = Dock.Service.Bays.Discovery.UeventMonitor.TryOpen(["net"], out var why);
        Assert.True(monitor is not null, why);
        var next = monitor.Next;
        await File.WriteAllTextAsync("/sys/class/net/lo/uevent", "change");
        var uevent = await next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("change", uevent.Action);
        Assert.Equal("net", uevent.Subsystem);
        Assert.EndsWith("/net/lo", uevent.DevPath, StringComparison.Ordinal);
        Assert.Equal("lo", uevent.Properties["INTERFACE"]);
    }

    [Fact]
    public void Parse_KernelDatagram_AndRejectsOthers()
    {
        var kernel = "add@/devices/pci0000:00/usb1/1-1/1-1.3\0ACTION=add\0DEVPATH=/devices/pci0000:00/usb1/1-1/1-1.3\0SUBSYSTEM=usb\0PRODUCT=2e8a/a/100\0"u8;
        var parsed = Dock.Service.Bays.Discovery.Uevent.Parse(kernel);
        Assert.NotNull(parsed);
        Assert.Equal(("add", "usb"), (parsed.Action, parsed.Subsystem));
        Assert.Null(Dock.Service.Bays.Discovery.Uevent.Parse("libudev\0\0\0\0garbage"u8));
        Assert.Null(Dock.Service.Bays.Discovery.Uevent.Parse(""u8));
    }
}
