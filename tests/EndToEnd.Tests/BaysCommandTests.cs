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
public sealed class UsbPortBayTests : IDisposable
{
    // The only fakes: the kernel's view of the USB bus (sysfs), its device nodes and tables. What sits behind them is real.
    private readonly string _sysfs = Directory.CreateTempSubdirectory("dock-sysfs-").FullName;
    private readonly string _dev = Directory.CreateTempSubdirectory("dock-dev-").FullName;

    public void Dispose()
    {
        Directory.Delete(_sysfs, recursive: true);
        Directory.Delete(_dev, recursive: true);
    }

    /// <summary>A device at <paramref name="port"/> with ids and interface folders (relative paths under "PORT:1.N").</summary>
    private string Port(string port, string vid, string pid, params string[] interfaceFolders)
    {
        var dir = Path.Combine(_sysfs, "bus", "usb", "devices", port);
        Directory.CreateDirectory(dir);
        foreach (var folder in interfaceFolders) Directory.CreateDirectory(Path.Combine(dir, folder));
        File.WriteAllText(Path.Combine(dir, "idVendor"), vid + "\n");
        File.WriteAllText(Path.Combine(dir, "idProduct"), pid + "\n");
        return dir;
    }

    private async Task<(Microsoft.Extensions.Hosting.IHost Host, Dock.Service.Ingest.DockActivity Activity)> StartDockAsync(DockHarness harness,
        string reconnect, params (string Key, string Value)[] settings)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = harness.DataDirectory, ["Dock:ReconnectInterval"] = reconnect, ["Dock:Bays:0:Id"] = "1",
            ["Dock:SysfsRoot"] = _sysfs, ["Dock:DeviceRoot"] = _dev,
        };
        foreach (var (key, value) in settings) overrides[key] = value;
        var activity = new Dock.Service.Ingest.DockActivity();
        var host = Dock.Service.DockHost.Build([], overrides, activity, minimumLevel: Microsoft.Extensions.Logging.LogLevel.Warning);
        await host.StartAsync();
        return (host, activity);
    }

    private static Task<Dock.Simulator.Hosting.SimulatedFleet> SerialFleetAsync(DockHarness harness, int clips) =>
        harness.StartFleetAsync(new Dock.Simulator.Hosting.FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = clips, MinClipSize = 100_000, MaxClipSize = 200_000, Transport = Dock.Simulator.Hosting.SimulatedTransport.Serial,
        });

    [Fact]
    public async Task BayByUsbPort_RecorderFoundThroughSysfs_IngestedOverItsTty()
    {
        await using var harness = DockHarness.Create();
        var fleet = await SerialFleetAsync(harness, 2);
        // The port the camera sits in, as the kernel would show it, and its device node.
        File.WriteAllText(Path.Combine(Port("1-1.3", "2e8a", "000a", "1-1.3:1.1/tty/ttyACM0"), "serial"), "DSJ0001\n");
        File.CreateSymbolicLink(Path.Combine(_dev, "ttyACM0"), fleet.Endpoints[0].Address["serial://".Length..]);

        var (host, _) = await StartDockAsync(harness, "00:00:00.200", ("Dock:Bays:0:UsbPort", "1-1.3"));
        using (host)
        {
            await harness.RecordersEmptyAsync();
            await host.StopAsync();
        }
        Assert.Equal(2, harness.VaultClips().Count);
    }

    [Fact]
    public async Task BayByUsbPort_CameraDockedAfterStart_NoticedByNetlinkHotplug_NotByTheNextPoll()
    {
        await using var harness = DockHarness.Create();
        var fleet = await SerialFleetAsync(harness, 1);
        Directory.CreateDirectory(Path.Combine(_sysfs, "bus", "usb", "devices"));
        // A poll every 10 minutes: only a hotplug event can find the camera within the test's limit.
        var (host, activity) = await StartDockAsync(harness, "00:10:00", ("Dock:Bays:0:UsbPort", "1-1.3"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.Bays.Count == 1, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await Task.Delay(500); // the bay looked, found nothing, and is waiting

            Port("1-1.3", "2e8a", "000a", "1-1.3:1.1/tty/ttyACM0");
            File.CreateSymbolicLink(Path.Combine(_dev, "ttyACM0"), fleet.Endpoints[0].Address["serial://".Length..]);
            // The fake tree gets no kernel event of its own; ask the kernel for a real one (as root, like the dock's CI).
            File.WriteAllText("/sys/class/net/lo/uevent", "change");

            await harness.RecordersEmptyAsync();
            await host.StopAsync();
        }
        Assert.Single(harness.VaultClips());
    }

    [Fact]
    public async Task MassStorageBayByUsbPort_TtyIsTheCommandChannel_DiskFoundThroughTheMountTable()
    {
        await using var harness = DockHarness.Create();
        await using var fleet = await Dock.Simulator.MassStorage.MassStorageFleet.StartAsync(1, 2, 100_000, 300_000);
        var recorder = fleet.Recorders[0];
        await Dock.Service.Identity.DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(recorder.Serial, [])], "test", CancellationToken.None);
        // A composite device: CDC-ACM command interface and a USB disk (sdz) on the same port.
        Port("2-1.4", "1234", "5678", "2-1.4:1.0/tty/ttyACM3", "2-1.4:1.2/host6/target6:0:0/6:0:0:0/block/sdz");
        File.CreateSymbolicLink(Path.Combine(_dev, "ttyACM3"), recorder.CommandPath);
        var mounts = Path.Combine(_dev, "mounts");
        File.WriteAllText(mounts, $"/dev/sda1 / ext4 rw 0 0\n/dev/sdz1 {recorder.Volume.Replace(" ", "\\040", StringComparison.Ordinal)} vfat rw 0 0\n");

        var (host, activity) = await StartDockAsync(harness, "00:00:00.200", ("Dock:Bays:0:UsbPort", "2-1.4"), ("Dock:Bays:0:Driver", "MassStorage"),
            ("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:MassStorage:MountsFile", mounts));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsReleased >= 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        Assert.Equal(2, harness.VaultClips().Count);
        Assert.Empty(recorder.ClipFiles);
    }

    [Fact]
    public async Task NetworkCardRecorder_ReachedAtTheGatewayOfItsInterface_OverRealTcp()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new Dock.Simulator.Hosting.FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000 });
        var tcpPort = new Uri(fleet.Endpoints[0].Address).Port;
        // An RNDIS/ECM camera at port 1-1.2 whose interface usb0 routes to it as the gateway (here: loopback, where the simulator listens).
        Port("1-1.2", "0525", "a4a2", "1-1.2:1.0/net/usb0");
        var proc = Directory.CreateDirectory(Path.Combine(_dev, "proc", "net")).FullName;
        File.WriteAllText(Path.Combine(proc, "route"), "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n" +
            "usb0\t00000000\t0100007F\t0003\t0\t0\t0\t00000000\n");

        var (host, _) = await StartDockAsync(harness, "00:00:00.200", ("Dock:Bays:0:UsbPort", "1-1.2"), ("Dock:ProcRoot", Path.Combine(_dev, "proc")),
            ("Dock:Link:TcpPort", tcpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using (host)
        {
            await harness.RecordersEmptyAsync();
            await host.StopAsync();
        }
        Assert.Equal(2, harness.VaultClips().Count);
    }

    [Fact]
    public async Task UsbBulkBay_NoSuchDeviceOnThisBus_BayWaitsEmpty_NoError()
    {
        await using var harness = DockHarness.Create();
        var (host, activity) = await StartDockAsync(harness, "00:00:00.100", ("Dock:Bays:0:Endpoint", "usb://1-1.3?vid=2e8a&pid=000a"));
        using (host)
        {
            await Task.Delay(1000); // several looks through the real libusb at a bus with no such device
            var bay = Assert.Single(activity.Bays);
            await host.StopAsync();
            Assert.Equal(Dock.Service.Ingest.BayPhase.Empty, bay.Phase);
            Assert.StartsWith("nothing at usb://1-1.3", bay.Message, StringComparison.Ordinal); // Why it is empty, not an error.
        }
    }
}
