using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Fleet;
using Dock.Service.Hosting;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Dock.EndToEnd.Tests.Fleet;

/// <summary>
/// DockLink v1.4 at docking: the applied bundle's recorder profile is written to each camera once its footage is safe, read back, and recorded;
/// a camera that answers another hash (it lies, or failed to write) and one that refuses the profile are alerted and stay not ready for
/// checkout; the next docking of a camera that runs the profile writes nothing.
/// </summary>
public sealed class RecorderConfigurationTests
{
    [Fact]
    public async Task Profile_WrittenAfterTheFootageIsSafe_ReadBack_AndALiarOrARefusalStaysStaleAndAlerted()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 3, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 300_000 });
        var honest = fleet.Endpoints[0].Recorder;
        var liar = fleet.Endpoints[1].Recorder;
        var refuser = fleet.Endpoints[2].Recorder;
        liar.Faults.LieAboutConfig = true;
        refuser.Faults.RefuseConfig = true;

        // Version 7 carries a profile for the simulator's model; applied from a file as an air-gapped site would.
        var profile = new JsonObject
        {
            ["model"] = honest.Options.Model, ["resolution"] = "1920x1080", ["codec"] = "h265", ["preRecordSeconds"] = 30, ["postRecordSeconds"] = 60,
            ["gps"] = true, ["audio"] = true, ["timeZone"] = "Asia/Shanghai", ["officerMayChange"] = new JsonArray("resolution"),
        };
        var bundle = new JsonObject
        {
            ["format"] = FleetBundle.Format, ["version"] = 7, ["created"] = "2026-12-04T08:00:00Z",
            ["recorderProfiles"] = new JsonArray(profile),
        };
        var file = Path.Combine(harness.DataDirectory, "v7.note");
        using (var agency = KeyFile.Load(Path.Combine(harness.DataDirectory, "keys", "demo-agency.key")))
            await File.WriteAllTextAsync(file, BundleNote.Sign(bundle.ToJsonString(), agency));
        var (code, _, stderr) = await DockHarness.RunDockAsync("fleet", "apply", file, "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        var wanted = Convert.FromHexString(BundleNote.Peek(await File.ReadAllTextAsync(file)).RecorderProfiles.Single().Sha256);

        var (host, _) = await harness.StartDockAsync(("Dock:Fleet:PollInterval", "00:00:00.300"));
        try
        {
            await harness.RecordersEmptyAsync();
            await harness.WaitForCatalogAsync(async catalog =>
                (await EnrolmentTests.EventsAsync(catalog)).Any(e => e.Kind == CustodyEventKind.RecorderConfigured)
                && (await catalog.Alerts.ListAlertsAsync(CancellationToken.None)).Count(a => a.Kind == RecorderConfiguration.MismatchAlert && a.IsOpen) == 2,
                "the profile written to the honest camera and the other two alerted");

            // The honest camera runs the profile, byte for byte, with the bundle's version; one custody entry says so.
            Assert.Equal(7UL, honest.Config.Version);
            Assert.Equal(wanted, honest.Config.Sha256);
            Assert.Equal(Encoding.UTF8.GetBytes(profile.ToJsonString()), honest.Config.Profile);
            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            var configured = Assert.Single(events, e => e.Kind == CustodyEventKind.RecorderConfigured);
            Assert.Equal(honest.Serial, configured.RecorderSerial);
            Assert.Equal(Convert.ToHexStringLower(wanted), configured.Sha256);
            Assert.Contains("from fleet bundle version 7; was factory settings", configured.Detail, StringComparison.Ordinal);
            // Written only once its footage was safe: after the last of its clips was verified.
            var lastVerified = events.Last(e => e.Kind == CustodyEventKind.HashVerified && e.RecorderSerial == honest.Serial);
            Assert.True(configured.Index > lastVerified.Index);

            // The liar answered the hash it ran before; the refuser refused: both alerted, neither recorded as running the profile.
            var alerts = (await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None)).Where(a => a.Kind == RecorderConfiguration.MismatchAlert && a.IsOpen).ToList();
            Assert.Contains(alerts, a => a.RecorderSerial == liar.Serial && a.Message.Contains("answers that it runs 000000000000", StringComparison.Ordinal));
            Assert.Contains(alerts, a => a.RecorderSerial == refuser.Serial && a.Message.Contains("refused the profile", StringComparison.Ordinal));
            var core = host.Services.GetRequiredService<DockCore>();
            var known = await core.RecorderConfiguration.ListAsync(CancellationToken.None);
            Assert.Equal(Convert.ToHexStringLower(wanted), known[honest.Serial].Sha256);
            Assert.NotEqual(Convert.ToHexStringLower(wanted), known[liar.Serial].Sha256);
            Assert.Equal(new string('0', 64), known[refuser.Serial].Sha256);

            // Stale cameras are not ready for checkout; the honest one is not held back by its configuration.
            var stale = await core.RecorderConfiguration.StaleAsync(fleet.Endpoints.Select(e => (e.Recorder.Serial, e.Recorder.Options.Model)), CancellationToken.None);
            Assert.Equal(new[] { liar.Serial, refuser.Serial }.Order(), stale.Order());
            var facts = await host.Services.GetRequiredService<Dock.Service.Equipment.Checkouts>().LiveFactsAsync([], CancellationToken.None);
            Assert.DoesNotContain(facts, f => f.Serial == honest.Serial && f.StaleConfiguration);

            // The dock's signed status object says the same: each camera's hash and version, the stale ones marked.
            var statusFile = Path.Combine(harness.DataDirectory, "cloud", "fleet", "docks", core.Identity.DockId, "status.json");
            DockStatus? status = null;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (status is null || status.Recorders.Count(r => r.Stale) != 2 || status.Recorders.Count(r => r.ConfigSha256 is not null) != 3)
            {
                Assert.True(clock.Elapsed < DockHarness.Limit, "the status object never showed the cameras' configurations");
                await Task.Delay(100);
                try
                {
                    if (File.Exists(statusFile)) DockStatus.TryOpen(await File.ReadAllBytesAsync(statusFile), null, out status, out _);
                }
                catch (IOException)
                {
                    // Being replaced: read it again.
                }
            }
            var shown = status.Recorders.Single(r => r.Serial == honest.Serial);
            Assert.Equal((Convert.ToHexStringLower(wanted), 7L, false), (shown.ConfigSha256, shown.ConfigVersion, shown.Stale));
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }

        // Docked again, the honest camera already runs the profile: the dock looks (GET_CONFIG), finds it current, and writes nothing.
        var restarted = DateTimeOffset.UtcNow;
        var (again, _) = await harness.StartDockAsync();
        try
        {
            var configuration = again.Services.GetRequiredService<DockCore>().RecorderConfiguration;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while ((await configuration.ListAsync(CancellationToken.None))[honest.Serial].CheckedAt < restarted)
            {
                Assert.True(clock.Elapsed < DockHarness.Limit, "the honest camera's configuration was not looked at again");
                await Task.Delay(100);
            }
            Assert.Single(await EnrolmentTests.EventsAsync(await harness.CatalogAsync()), e => e.Kind == CustodyEventKind.RecorderConfigured);
            Assert.Equal(wanted, honest.Config.Sha256);
        }
        finally
        {
            await again.StopAsync();
            again.Dispose();
        }
    }
}
