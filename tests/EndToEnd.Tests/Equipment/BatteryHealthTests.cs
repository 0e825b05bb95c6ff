using System.Text.Json;
using Dock.DeviceProtocol.Messages;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Equipment;
using Dock.Simulator.Recorders;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Equipment;

/// <summary>The battery-health judgement against known truth: simulated packs that age and fail in known ways go through twelve days of
/// shifts and dockings on a simulated clock, their samples written to a real catalog as the dock writes them; the judgement must flag exactly
/// the bad ones, each for its own reason, although every camera reports the same health figure.</summary>
public sealed class BatteryHealthTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheCurvesFindTheAgedTheResistiveAndTheStalledPacks_AndNoHealthyOne()
    {
        await using var harness = DockHarness.Create();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 6, 0, 0, TimeSpan.Zero));
        Directory.CreateDirectory(harness.DataDirectory);
        var catalog = await CatalogStores.OpenAsync(harness.Paths.Catalog, clock, CancellationToken.None);
        // What each pack truly is; every one reports 90 % health, as a battery-management chip that never learns its pack does.
        var packs = new (string Serial, Battery Battery, string? Truth)[]
        {
            ("DSJ-OK-1", new Battery(clock, 60, 3, 100, 90), null),
            ("DSJ-OK-2", new Battery(clock, 40, 3, 300, 90), null),
            ("DSJ-OK-3", new Battery(clock, 80, 3, 20, 90), null),
            ("DSJ-AGED", new Battery(clock, 60, 3, 1200, 90), "capacity"),
            ("DSJ-RESIST", new Battery(clock, 60, 3, 0, 90, new BatteryAgeing { ResistanceGrowthPerCycle = 0.3 }), "charge-rate"),
            ("DSJ-STALL", new Battery(clock, 60, 3, 50, 90, new BatteryAgeing { StallsAt = 88 }), "not-full"),
        };
        await catalog.Docking.UpsertBayAsync("1", "tcp://127.0.0.1:1", CancellationToken.None);
        foreach (var (serial, _, _) in packs)
            await catalog.Recorders.UpsertRecorderAsync(new Info(serial, "DSJ-V7", "3.2.1", "", 0, 0, 0, 0), [], CancellationToken.None);

        // Twelve days: docked 18 h (a sample every 30 min, as the dock's battery poll would), then out for a 6 h shift.
        for (int day = 0; day < 12; day++)
        {
            var sessions = new Dictionary<string, long>();
            foreach (var (serial, battery, _) in packs)
            {
                sessions[serial] = await catalog.Docking.StartSessionAsync("1", serial, CancellationToken.None);
                battery.SetCharging(true);
                await catalog.Docking.AddBatterySampleAsync(sessions[serial], serial, battery.Sample(), CancellationToken.None);
            }
            for (int step = 0; step < 36; step++)
            {
                clock.Advance(TimeSpan.FromMinutes(30));
                foreach (var (serial, battery, _) in packs)
                    await catalog.Docking.AddBatterySampleAsync(sessions[serial], serial, battery.Sample(), CancellationToken.None);
            }
            foreach (var (serial, battery, _) in packs)
            {
                await catalog.Docking.EndSessionAsync(sessions[serial], "recorder removed", CancellationToken.None);
                battery.SetCharging(false);
            }
            clock.Advance(TimeSpan.FromHours(6));
        }

        var options = new DockOptions();
        var verdicts = (await new EquipmentReports(catalog.Database, options, clock).BatteriesAsync(CancellationToken.None)).ToDictionary(v => v.Serial);
        foreach (var (serial, battery, truth) in packs)
        {
            var verdict = verdicts[serial];
            output.WriteLine($"{serial}: truth {truth ?? "healthy"} (capacity {battery.Capacity:P0}, runtime {battery.RuntimeHours:0.0} h, {battery.Cycles:0} cycles); " +
                $"judged {(verdict.Replace ? "REPLACE" : "ok")}: rate {verdict.EarliestRate:0.0} → {verdict.LatestRate:0.0} %/h, runtime {verdict.RuntimeHours:0.0} h, " +
                $"not full {verdict.FailedToFill}; {string.Join("; ", verdict.Findings.Select(f => $"{f.Kind}: {f.Evidence}"))}");
            Assert.Equal(12, verdict.Sessions);
            Assert.Equal(90, verdict.ReportedHealth);
            if (truth is null) Assert.False(verdict.Replace, serial);
            else
            {
                Assert.True(verdict.Replace, serial);
                Assert.Equal(truth, Assert.Single(verdict.Findings).Kind);
            }
        }
        // The judged runtime of the aged pack is close to its truth.
        Assert.InRange(verdicts["DSJ-AGED"].RuntimeHours!.Value, packs[3].Battery.RuntimeHours * 0.9, packs[3].Battery.RuntimeHours * 1.1);
        // Each docking's charging summary: a healthy pack reaches full within hours, the stalled one never.
        var healthy = (await catalog.Docking.ChargeSessionsAsync("DSJ-OK-1", 1, CancellationToken.None)).Single();
        Assert.InRange(healthy.TimeToFull!.Value.TotalHours, 0.5, 4);
        Assert.True(healthy.Delivered >= 40);
        Assert.Null((await catalog.Docking.ChargeSessionsAsync("DSJ-STALL", 1, CancellationToken.None)).Single().FullAt);

        // The report from the shell, with a chart per camera.
        var charts = Path.Combine(harness.DataDirectory, "charts");
        var (code, json, err) = await DockHarness.RunDockAsync("report", "batteries", "--json", "--charts", charts, "--data", harness.DataDirectory);
        Assert.True(code == 0, err);
        var flagged = JsonDocument.Parse(json).RootElement.EnumerateArray().Where(v => v.GetProperty("replace").GetBoolean())
            .Select(v => v.GetProperty("serial").GetString()).Order().ToList();
        Assert.Equal(["DSJ-AGED", "DSJ-RESIST", "DSJ-STALL"], flagged);
        Assert.Equal(6, Directory.GetFiles(charts, "*.svg").Length);
        // Named as the vault names a camera's folder (SafeName): a camera's serial never names a file of its own choosing.
        var svg = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(charts, "*DSJ-STALL.svg")));
        Assert.Contains("<svg", svg, StringComparison.Ordinal);
        Assert.Contains("DSJ-STALL", svg, StringComparison.Ordinal);
        (code, var table, err) = await DockHarness.RunDockAsync("report", "batteries", "--data", harness.DataDirectory);
        Assert.True(code == 0, err);
        output.WriteLine(table);
        Assert.Contains("3 of 6 battery(ies) to replace", table, StringComparison.Ordinal);
    }
}
