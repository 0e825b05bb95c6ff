using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Service.Ingest;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// Links of any speed finish without tuning, a stuck one is alerted, concurrent pulls cannot fill the vault's disk
/// together, and a bay that waits says what for.
/// </summary>
public sealed class LinkAndSpaceTests
{
    [Fact]
    public async Task SerialLineAt115200Baud_DefaultSettings_ClipFinishes()
    {
        await using var harness = DockHarness.Create();
        // 11.52 KB/s: a 150 KB clip is 13 s of line time. With fixed 256 KiB reads one read took longer than the 10 s timeout.
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 150_000, MaxClipSize = 150_000, ThrottleMBps = 0.01152 });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }
        var row = Assert.Single(await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None));
        Assert.Equal(row.DeviceSha256, row.StoredSha256);
        Assert.Empty(fleet.Endpoints[0].Recorder.Clips);
    }

    [Fact]
    public async Task RecorderStallsMidPull_StalledPullAlerted_LinkDroppedAndResumed_AlertResolved()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 3_000_000, MaxClipSize = 3_000_000, ThrottleMBps = 4,
            Faults = f => f.StallAfter(1_000_000),
        });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"),
            ("Dock:Link:RequestTimeout", "00:00:01"), ("Dock:StalledPullAlertAfter", "00:00:01"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var alert = Assert.Single(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "stalled-pull");
        Assert.Contains("no byte of", alert.Message, StringComparison.Ordinal);
        Assert.NotNull(alert.ResolvedAt);
        var row = Assert.Single(await catalog.Clips.ListClipsAsync(null, CancellationToken.None));
        Assert.Equal(ClipState.Released, row.State);
        Assert.Equal(row.DeviceSha256, row.StoredSha256);
        // It resumed where the stall left it: the dock wrote each byte about once (the recorder's answers lost in the stall aside).
        Assert.True(activity.BytesPulled < 3_500_000, $"{activity.BytesPulled} bytes pulled");
        Assert.Empty(fleet.Endpoints[0].Recorder.Clips);
    }

    [Fact]
    public async Task TwoConcurrentPullsThatFitOnlyAlone_OneWaitsForRoom_VaultFullAlert_ThenPulledOnceThereIsRoom()
    {
        const long Size = 64L << 20;
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 1, MinClipSize = Size, MaxClipSize = Size, ThrottleMBps = 40 });
        // Room for one clip and a half above the reserve: each clip alone fits, both together do not.
        long reserve = new DriveInfo(harness.DataDirectory).AvailableFreeSpace - Size * 3 / 2;
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"),
            ("Dock:VaultReserveBytes", reserve.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsReleased == 1 && a.Bays.Count == 2 && a.Bays.All(b => b.Finished), CancellationToken.None)
                .WaitAsync(DockHarness.Limit);
            var waiting = Assert.Single(activity.Bays, b => b.Phase == BayPhase.Error);
            Assert.Contains("the vault's disk is full", waiting.Message, StringComparison.Ordinal);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var rows = await catalog.Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Single(rows, r => r.State == ClipState.Released);
        var left = Assert.Single(rows, r => r.State == ClipState.Announced);
        Assert.Contains("pulls under way will still write", left.LastError, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(harness.DataDirectory, "vault", "partial"), "*", SearchOption.AllDirectories));
        Assert.Contains(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "vault-full" && a.IsOpen);
        Assert.Single(fleet.Endpoints, e => e.Recorder.Clips.Count == 1);

        // Room again (here: the default reserve): the clip left on its recorder is pulled, and the alert resolved.
        (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }
        Assert.All(fleet.Endpoints, e => Assert.Empty(e.Recorder.Clips));
        Assert.DoesNotContain(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "vault-full" && a.IsOpen);
    }

    [Fact]
    public async Task MorePullsThanSlots_TheWaitingBaySaysItWaitsForASlot()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 1, MinClipSize = 4_000_000, MaxClipSize = 4_000_000, ThrottleMBps = 8 });
        var (host, activity) = await harness.StartDockAsync(("Dock:MaxConcurrentPulls", "1"), ("Dock:ReleasePolicy", "AfterLocalVerify"),
            ("Dock:Cloud:Target", "none"));
        using (host)
        {
            // The bay that pulled first may wait too (for its release, on a loaded machine at the same moment): look for the one that
            // says it waits for a slot, not for any waiting bay.
            await activity.WaitUntilAsync(a => a.Bays.Any(b => b.Phase == BayPhase.Waiting && b.Message?.Contains("waiting for a free pull slot",
                StringComparison.Ordinal) == true), CancellationToken.None).WaitAsync(DockHarness.Limit);
            await DockHarness.ReleasedAsync(activity, 2);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task ACameraDockingNearlyFull_IsAlertedWithItsStorage_AndTheAlertResolvesWhenItDocksWithRoom()
    {
        await using var harness = DockHarness.Create();
        // Three clips of 1 MB on a 3.2 MB card: about 6 % free when it docks.
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 3, MinClipSize = 1_000_000, MaxClipSize = 1_000_000, StorageBytes = 3_200_000,
        });
        var accounts = new Dock.Service.Users.UserAccounts(new Dock.Service.Users.UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "ida", "correct horse battery", [Dock.Service.Users.Roles.EquipmentManager], null, CancellationToken.None);
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 3);
            // The equipment manager's Recorders page shows it too.
            using var console = new HttpClient { BaseAddress = new Uri(DockHarness.HttpAddress(host)) };
            (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(console, "/api/v1/login", new { name = "ida", password = "correct horse battery" }))
                .EnsureSuccessStatusCode();
            var page = await console.GetStringAsync("/recorders");
            var cell = System.Text.RegularExpressions.Regex.Match(page, "data-field=\"storage\">([^<]*)<strong>([^<]*)</strong>");
            Assert.True(cell.Success, page);
            Assert.Equal(("6 % free (195.3 KiB of 3.1 MiB) ", "nearly full"), (cell.Groups[1].Value, cell.Groups[2].Value));
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var alert = Assert.Single(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "storage-nearly-full");
        Assert.True(alert.IsOpen);
        Assert.Contains("6.3 % of its storage free (200,000 of 3,200,000 bytes)", alert.Message, StringComparison.Ordinal);
        var serial = fleet.Endpoints[0].Recorder.Serial;
        var first = Assert.Single(await catalog.Docking.StorageHistoryAsync(serial, 10, CancellationToken.None));
        Assert.Equal((3_200_000L, 200_000L), (first.Total, first.Free));

        // Docked again, empty now: the storage is recorded per docking, and the alert is resolved.
        (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await harness.WaitForCatalogAsync(async c => (await c.Docking.StorageHistoryAsync(serial, 10, CancellationToken.None)).Count == 2, "a second docking");
            await host.StopAsync();
        }
        var history = await catalog.Docking.StorageHistoryAsync(serial, 10, CancellationToken.None);
        Assert.Equal(3_200_000L, history[0].Free);
        Assert.NotNull(Assert.Single(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "storage-nearly-full").ResolvedAt);
    }
}
