using Dock.EndToEnd.Tests.Support;
using Dock.Service.Board;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Dock.EndToEnd.Tests;

/// <summary>The dock board (simulated GPIO pins behind the real driver's interface) through a whole docking.</summary>
public sealed class BoardTests
{
    private const int Red = 5, Green = 6, Blue = 13, Charge = 19;

    [Fact]
    public async Task FullDocking_LightsGoEmptyTransferringDoneEmpty_ChargerOnOnlyWhileDocked()
    {
        await using var harness = DockHarness.Create();
        // Slow enough (2 × 4 MB at 8 MB/s) that the transfer light blinks a few times.
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 4_000_000, MaxClipSize = 4_000_000, ThrottleMBps = 8 });
        var (host, activity) = await harness.StartDockAsync(("Dock:Board:Driver", "Simulated"), ("Dock:Board:Bays:0:BayId", "1"),
            ("Dock:Board:Bays:0:RedPin", $"{Red}"), ("Dock:Board:Bays:0:GreenPin", $"{Green}"), ("Dock:Board:Bays:0:BluePin", $"{Blue}"),
            ("Dock:Board:Bays:0:ChargePin", $"{Charge}"));
        using (host)
        {
            var board = host.Services.GetRequiredService<DockBoard>();
            var pins = host.Services.GetRequiredService<SimulatedBoardPins>();
            await DockHarness.ReleasedAsync(activity, 2);
            await WaitForLightAsync(board, BayLight.Done);
            Assert.True(pins.Level(Green) && !pins.Level(Red) && !pins.Level(Blue), "steady green: safe to remove");
            Assert.True(pins.Level(Charge), "charging while docked");

            // The officer takes the recorder out.
            await fleet.Endpoints[0].DisposeAsync();
            await WaitForLightAsync(board, BayLight.Empty);
            Assert.False(pins.Level(Red) || pins.Level(Green) || pins.Level(Blue), "dark when empty");
            Assert.False(pins.Level(Charge), "charger off when empty");

            var lights = Collapse(board.History.Where(h => h.BayId == "1").Select(h => h.Light));
            // The recorder may already be identifying when the board first looks (both start with the dock).
            Assert.Contains(lights[0], new[] { BayLight.Empty, BayLight.Charging });
            Assert.Equal([BayLight.Transferring, BayLight.Done, BayLight.Empty], lights.SkipWhile(l => l is BayLight.Empty or BayLight.Charging));
            // Transferring blinks blue at 2 Hz: several on/off edges, and the charger came on before the transfer.
            var changes = pins.Changes;
            Assert.True(changes.Count(c => c.Pin == Blue) >= 3, $"blue changed {changes.Count(c => c.Pin == Blue)} times: {string.Join(", ", changes.Select(c => $"{c.At:ss.fff} {c.Pin}={c.High}"))}");
            var chargeOn = changes.First(c => c.Pin == Charge && c.High).At;
            Assert.True(chargeOn <= changes.First(c => c.Pin == Blue && c.High).At);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task WornBattery_FootageSafeAndReleased_ButTheBayAsksForAPerson()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000,
            BatteryHealthPercent = 41 });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Board:Driver", "Simulated"),
            ("Dock:Board:Bays:0:BayId", "1"), ("Dock:Board:Bays:0:RedPin", $"{Red}"), ("Dock:Board:Bays:0:GreenPin", $"{Green}"),
            ("Dock:Board:Bays:0:BluePin", $"{Blue}"), ("Dock:Board:Bays:0:ChargePin", $"{Charge}"));
        using (host)
        {
            await harness.RecordersEmptyAsync();
            var board = host.Services.GetRequiredService<DockBoard>();
            await WaitForLightAsync(board, BayLight.Attention);
            var bay = Assert.Single(activity.Bays);
            Assert.Contains("battery health 41 %", bay.Message, StringComparison.Ordinal);
            await host.StopAsync();
        }
        var alerts = await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None);
        Assert.Contains(alerts, a => a.Kind == "battery" && a.RecorderSerial == fleet.Endpoints[0].Recorder.Serial);
        Assert.Equal(2, harness.VaultClips().Count);
    }

    private static List<BayLight> Collapse(IEnumerable<BayLight> lights)
    {
        var collapsed = new List<BayLight>();
        foreach (var light in lights)
            if (collapsed.Count == 0 || collapsed[^1] != light) collapsed.Add(light);
        return collapsed;
    }

    private static async Task WaitForLightAsync(DockBoard board, BayLight light)
    {
        var deadline = DateTime.UtcNow + DockHarness.Limit;
        while (board.History.LastOrDefault(h => h.BayId == "1").Light != light || board.History.Count == 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"bay 1 never showed {light}: {string.Join(", ", board.History.Select(h => h.Light))}");
            await Task.Delay(50);
        }
    }
}
