using System.CommandLine;
using System.Text.Json;
using Dock.Service.Bays.Discovery;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock bays scan|learn</c>: what sits on the dock's USB ports, and an installer's helper that maps
/// physical ports to bays by docking one camera at a time.
/// </summary>
public static class BaysCommand
{
    public static Command Create()
    {
        var bays = new Command("bays", "The dock's bays and the USB ports they are wired to (Linux sysfs).");

        var sysfs = SysfsOption();
        var json = CliOptions.Json();
        var scan = new Command("scan", "List the USB devices by physical port path, with what each presents (serial tty, network, disk, vendor bulk).")
        {
            sysfs, json,
        };
        scan.SetAction(parse =>
        {
            var devices = new SysfsUsbScanner(parse.GetValue(sysfs)!).Scan();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(devices.Select(d => new
                {
                    d.PortPath, d.VendorId, d.ProductId, d.Serial, d.Product, Presentation = d.Presentation.ToString(), d.Tty, d.NetInterface, d.BlockDevice,
                }), StatusCommand.Json));
                return ExitCodes.Ok;
            }
            if (devices.Count == 0) Console.WriteLine($"No USB devices under {parse.GetValue(sysfs)}/bus/usb/devices.");
            foreach (var d in devices) Console.WriteLine(Describe(d));
            return ExitCodes.Ok;
        });

        var sysfs2 = SysfsOption();
        var count = new Option<int>("--count") { Description = "Stop after this many bays (default: until Ctrl+C).", DefaultValueFactory = _ => int.MaxValue };
        var first = new Option<int>("--first-bay") { Description = "Number of the first bay to assign.", DefaultValueFactory = _ => 1 };
        var learn = new Command("learn", "Dock one camera at a time, bay 1 first: each new port becomes the next bay. Prints the configuration lines.")
        {
            sysfs2, count, first,
        };
        learn.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(count) < 1 || parse.GetValue(first) < 1) return ExitCodes.UsageError("bays", "--count and --first-bay must be at least 1.");
            var scanner = new SysfsUsbScanner(parse.GetValue(sysfs2)!);
            var known = scanner.Scan().Select(d => d.PortPath).ToHashSet(StringComparer.Ordinal);
            int bay = parse.GetValue(first), learned = 0;
            Console.WriteLine($"Dock a camera in bay {bay} (ports already in use are ignored: {(known.Count == 0 ? "none" : string.Join(", ", known))}).");
            try
            {
                while (learned < parse.GetValue(count))
                {
                    await Task.Delay(300, cancellationToken);
                    foreach (var device in scanner.Scan().Where(d => !known.Contains(d.PortPath)))
                    {
                        known.Add(device.PortPath);
                        int index = bay - 1;
                        Console.WriteLine($"bay {bay}: port {device.PortPath} ({Describe(device)})");
                        Console.WriteLine($"  --Dock:Bays:{index}:Id={bay} --Dock:Bays:{index}:UsbPort={device.PortPath}");
                        bay++;
                        if (++learned >= parse.GetValue(count)) break;
                        Console.WriteLine($"Dock a camera in bay {bay}.");
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: what was learned is printed.
            }
            return ExitCodes.Ok;
        });

        bays.Subcommands.Add(scan);
        bays.Subcommands.Add(learn);
        return bays;
    }

    private static Option<string> SysfsOption() => new("--sysfs")
    {
        Description = "The sysfs root (tests and diagnostics point it elsewhere).",
        DefaultValueFactory = _ => "/sys",
    };

    private static string Describe(UsbDevice d) =>
        $"{d.PortPath,-10} {d.VendorId}:{d.ProductId} serial {d.Serial ?? "-"} {d.Presentation}" +
        // Everything it presents: a mass-storage recorder shows its command tty and its disk together.
        (d.Tty is { } tty ? $" /dev/{tty}" : "") + (d.NetInterface is { } net ? $" {net}" : "") + (d.BlockDevice is { } block ? $" /dev/{block}" : "") +
        (d.VendorBulk is { } bulk ? $" bulk interface {bulk.Number} in {bulk.BulkIn:x2} out {bulk.BulkOut:x2}" : "");
}
