using Dock.EndToEnd.Tests.Support;

namespace Dock.EndToEnd.Tests;

/// <summary>`dock bays learn` as an installer uses it: dock one camera at a time (over a fake sysfs tree).</summary>
public sealed class BaysCommandTests
{
    private static void Plug(string sysfs, string port, string serial, string tty)
    {
        var dir = Path.Combine(sysfs, "bus", "usb", "devices", port);
        Directory.CreateDirectory(Path.Combine(dir, $"{port}:1.1", "tty", tty));
        File.WriteAllText(Path.Combine(dir, $"{port}:1.1", "bInterfaceClass"), "0a\n");
        File.WriteAllText(Path.Combine(dir, "idVendor"), "2e8a\n");
        File.WriteAllText(Path.Combine(dir, "idProduct"), "000a\n");
        File.WriteAllText(Path.Combine(dir, "serial"), serial + "\n");
    }

    [Fact]
    public async Task Learn_EachNewPortBecomesTheNextBay_PortsInUseIgnored()
    {
        var sysfs = Directory.CreateTempSubdirectory("dock-sysfs-").FullName;
        try
        {
            Plug(sysfs, "1-1.1", "KEYBOARD", "ttyACM9"); // already there: not a bay
            using var learn = DockHarness.StartDockProcess(["bays", "learn", "--sysfs", sysfs, "--count", "2"]);
            var output = learn.StandardOutput.ReadToEndAsync();
            await Task.Delay(700);
            Plug(sysfs, "1-1.3", "DSJ0001", "ttyACM0");
            await Task.Delay(700);
            Plug(sysfs, "1-1.4", "DSJ0002", "ttyACM1");
            await learn.WaitForExitAsync().WaitAsync(DockHarness.Limit);
            var text = await output;
            Assert.Equal(0, learn.ExitCode);
            Assert.Contains("--Dock:Bays:0:Id=1 --Dock:Bays:0:UsbPort=1-1.3", text, StringComparison.Ordinal);
            Assert.Contains("--Dock:Bays:1:Id=2 --Dock:Bays:1:UsbPort=1-1.4", text, StringComparison.Ordinal);
            Assert.DoesNotContain("UsbPort=1-1.1", text, StringComparison.Ordinal);

            var (code, scan, _) = await DockHarness.RunDockAsync("bays", "scan", "--sysfs", sysfs);
            Assert.Equal(0, code);
            Assert.Contains("1-1.3      2e8a:000a serial DSJ0001 Serial /dev/ttyACM0", scan, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(sysfs, recursive: true);
        }
    }
}

/// <summary>A bay bound to a USB port path: the recorder found there (a pty standing in for its ttyACM) is ingested.</summary>
public sealed class UsbPortBayTests
{
    [Fact]
    public async Task BayByUsbPort_RecorderFoundThroughSysfs_IngestedOverItsTty()
    {
        if (!OperatingSystem.IsLinux()) return;
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new Dock.Simulator.Hosting.FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000, Transport = Dock.Simulator.Hosting.SimulatedTransport.Serial,
        });
        var pts = fleet.Endpoints[0].Address["serial://".Length..];
        var sysfs = Directory.CreateTempSubdirectory("dock-sysfs-").FullName;
        var dev = Directory.CreateTempSubdirectory("dock-dev-").FullName;
        try
        {
            // The port the camera sits in, as the kernel would show it, and its device node.
            var port = Path.Combine(sysfs, "bus", "usb", "devices", "1-1.3");
            Directory.CreateDirectory(Path.Combine(port, "1-1.3:1.1", "tty", "ttyACM0"));
            File.WriteAllText(Path.Combine(port, "idVendor"), "2e8a\n");
            File.WriteAllText(Path.Combine(port, "idProduct"), "000a\n");
            File.WriteAllText(Path.Combine(port, "serial"), "DSJ0001\n");
            File.CreateSymbolicLink(Path.Combine(dev, "ttyACM0"), pts);

            var activity = new Dock.Service.Ingest.DockActivity();
            using var host = Dock.Service.DockHost.Build([], new Dictionary<string, string?>
            {
                ["Dock:DataDirectory"] = harness.DataDirectory, ["Dock:ReconnectInterval"] = "00:00:00.200",
                ["Dock:Bays:0:Id"] = "1", ["Dock:Bays:0:UsbPort"] = "1-1.3", ["Dock:SysfsRoot"] = sysfs, ["Dock:DeviceRoot"] = dev,
            }, activity, minimumLevel: Microsoft.Extensions.Logging.LogLevel.Warning);
            await host.StartAsync();
            await harness.RecordersEmptyAsync();
            await host.StopAsync();
            Assert.Equal(2, harness.VaultClips().Count);
        }
        finally
        {
            Directory.Delete(sysfs, recursive: true);
            Directory.Delete(dev, recursive: true);
        }
    }

    [Fact]
    public async Task BayByUsbPort_CameraDockedAfterStart_NoticedByNetlinkHotplug_NotByTheNextPoll()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new Dock.Simulator.Hosting.FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 100_000, MaxClipSize = 100_000, Transport = Dock.Simulator.Hosting.SimulatedTransport.Serial,
        });
        var pts = fleet.Endpoints[0].Address["serial://".Length..];
        var sysfs = Directory.CreateTempSubdirectory("dock-sysfs-").FullName;
        var dev = Directory.CreateTempSubdirectory("dock-dev-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(sysfs, "bus", "usb", "devices"));
            var activity = new Dock.Service.Ingest.DockActivity();
            // A poll every 10 minutes: only a hotplug event can find the camera within the test's limit.
            using var host = Dock.Service.DockHost.Build([], new Dictionary<string, string?>
            {
                ["Dock:DataDirectory"] = harness.DataDirectory, ["Dock:ReconnectInterval"] = "00:10:00",
                ["Dock:Bays:0:Id"] = "1", ["Dock:Bays:0:UsbPort"] = "1-1.3", ["Dock:SysfsRoot"] = sysfs, ["Dock:DeviceRoot"] = dev,
            }, activity, minimumLevel: Microsoft.Extensions.Logging.LogLevel.Warning);
            await host.StartAsync();
            await activity.WaitUntilAsync(a => a.Bays.Count == 1, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await Task.Delay(500); // the bay looked, found nothing, and is waiting

            var port = Path.Combine(sysfs, "bus", "usb", "devices", "1-1.3");
            Directory.CreateDirectory(Path.Combine(port, "1-1.3:1.1", "tty", "ttyACM0"));
            File.WriteAllText(Path.Combine(port, "idVendor"), "2e8a\n");
            File.WriteAllText(Path.Combine(port, "idProduct"), "000a\n");
            File.CreateSymbolicLink(Path.Combine(dev, "ttyACM0"), pts);
            // The fake tree gets no kernel event of its own; ask the kernel for a real one (as root, like the dock's CI).
            File.WriteAllText("/sys/class/net/lo/uevent", "change");

            await harness.RecordersEmptyAsync();
            await host.StopAsync();
            Assert.Single(harness.VaultClips());
        }
        finally
        {
            Directory.Delete(sysfs, recursive: true);
            Directory.Delete(dev, recursive: true);
        }
    }

    [Fact]
    public async Task MassStorageBayByUsbPort_TtyIsTheCommandChannel_DiskFoundThroughTheMountTable()
    {
        await using var harness = DockHarness.Create();
        await using var fleet = await Dock.Simulator.MassStorage.MassStorageFleet.StartAsync(1, 2, 100_000, 300_000);
        var recorder = fleet.Recorders[0];
        await Dock.Service.Identity.DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(recorder.Serial, [])], "test", CancellationToken.None);
        var sysfs = Directory.CreateTempSubdirectory("dock-sysfs-").FullName;
        var dev = Directory.CreateTempSubdirectory("dock-dev-").FullName;
        try
        {
            // A composite device: CDC-ACM command interface and a USB disk (sdz) on the same port.
            var port = Path.Combine(sysfs, "bus", "usb", "devices", "2-1.4");
            Directory.CreateDirectory(Path.Combine(port, "2-1.4:1.0", "tty", "ttyACM3"));
            Directory.CreateDirectory(Path.Combine(port, "2-1.4:1.2", "host6", "target6:0:0", "6:0:0:0", "block", "sdz"));
            File.WriteAllText(Path.Combine(port, "idVendor"), "1234\n");
            File.WriteAllText(Path.Combine(port, "idProduct"), "5678\n");
            File.CreateSymbolicLink(Path.Combine(dev, "ttyACM3"), recorder.CommandPath);
            var mounts = Path.Combine(dev, "mounts");
            File.WriteAllText(mounts, $"/dev/sda1 / ext4 rw 0 0\n/dev/sdz1 {recorder.Volume.Replace(" ", "\\040", StringComparison.Ordinal)} vfat rw 0 0\n");

            var activity = new Dock.Service.Ingest.DockActivity();
            using var host = Dock.Service.DockHost.Build([], new Dictionary<string, string?>
            {
                ["Dock:DataDirectory"] = harness.DataDirectory, ["Dock:ReconnectInterval"] = "00:00:00.200", ["Dock:ReleasePolicy"] = "AfterLocalVerify",
                ["Dock:Bays:0:Id"] = "1", ["Dock:Bays:0:UsbPort"] = "2-1.4", ["Dock:Bays:0:Driver"] = "MassStorage",
                ["Dock:SysfsRoot"] = sysfs, ["Dock:DeviceRoot"] = dev, ["Dock:MassStorage:MountsFile"] = mounts,
            }, activity, minimumLevel: Microsoft.Extensions.Logging.LogLevel.Warning);
            await host.StartAsync();
            await activity.WaitUntilAsync(a => a.ClipsReleased >= 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
            Assert.Equal(2, harness.VaultClips().Count);
            Assert.Empty(recorder.Files);
        }
        finally
        {
            Directory.Delete(sysfs, recursive: true);
            Directory.Delete(dev, recursive: true);
        }
    }

    [Fact]
    public async Task NetworkCardRecorder_ReachedAtTheGatewayOfItsInterface_OverRealTcp()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new Dock.Simulator.Hosting.FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000 });
        var tcpPort = new Uri(fleet.Endpoints[0].Address).Port;
        var sysfs = Directory.CreateTempSubdirectory("dock-sysfs-").FullName;
        try
        {
            // An RNDIS/ECM camera at port 1-1.2 whose interface usb0 routes to it as the gateway (here: loopback, where the simulator listens).
            var port = Path.Combine(sysfs, "bus", "usb", "devices", "1-1.2");
            Directory.CreateDirectory(Path.Combine(port, "1-1.2:1.0", "net", "usb0"));
            File.WriteAllText(Path.Combine(port, "idVendor"), "0525\n");
            File.WriteAllText(Path.Combine(port, "idProduct"), "a4a2\n");
            var proc = Directory.CreateDirectory(Path.Combine(sysfs, "proc", "net")).FullName;
            File.WriteAllText(Path.Combine(proc, "route"), "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n" +
                "usb0\t00000000\t0100007F\t0003\t0\t0\t0\t00000000\n");

            var activity = new Dock.Service.Ingest.DockActivity();
            using var host = Dock.Service.DockHost.Build([], new Dictionary<string, string?>
            {
                ["Dock:DataDirectory"] = harness.DataDirectory, ["Dock:ReconnectInterval"] = "00:00:00.200",
                ["Dock:Bays:0:Id"] = "1", ["Dock:Bays:0:UsbPort"] = "1-1.2", ["Dock:SysfsRoot"] = sysfs,
                ["Dock:ProcRoot"] = Path.Combine(sysfs, "proc"), ["Dock:Link:TcpPort"] = tcpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, activity, minimumLevel: Microsoft.Extensions.Logging.LogLevel.Warning);
            await host.StartAsync();
            await harness.RecordersEmptyAsync();
            await host.StopAsync();
            Assert.Equal(2, harness.VaultClips().Count);
        }
        finally
        {
            Directory.Delete(sysfs, recursive: true);
        }
    }

    [Fact]
    public async Task UsbBulkBay_NoSuchDeviceOnThisBus_BayWaitsEmpty_NoError()
    {
        await using var harness = DockHarness.Create();
        var activity = new Dock.Service.Ingest.DockActivity();
        using var host = Dock.Service.DockHost.Build([], new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = harness.DataDirectory, ["Dock:ReconnectInterval"] = "00:00:00.100",
            ["Dock:Bays:0:Id"] = "1", ["Dock:Bays:0:Endpoint"] = "usb://1-1.3?vid=2e8a&pid=000a",
        }, activity, minimumLevel: Microsoft.Extensions.Logging.LogLevel.Warning);
        await host.StartAsync();
        await Task.Delay(1000); // several looks through the real libusb at a bus with no such device
        var bay = Assert.Single(activity.Bays);
        await host.StopAsync();
        Assert.Equal(Dock.Service.Ingest.BayPhase.Empty, bay.Phase);
        Assert.Null(bay.Message);
    }
}
