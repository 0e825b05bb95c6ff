using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// The cloud copy must be the cloud: a folder target that is missing (an unmounted share) stays missing until a person
/// acts, nothing is released to it, and the alert clears once it works; a vault copy deleted before its upload is
/// reported and pulled again from the recorder.
/// </summary>
public sealed class CloudTargetTests
{
    private static Task WaitForAsync(DockHarness harness, Func<CatalogStores, Task<bool>> condition, string what) =>
        harness.WaitForCatalogAsync(condition, what);

    [Fact]
    public async Task FolderTargetMissing_NeverCreated_NothingReleased_AlertClearsOnceAPersonCreatesIt()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 300_000 });
        var share = Path.Combine(harness.DataDirectory, "nas-mount", "evidence"); // The share is not mounted: its folder is not there.
        var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", $"file:{share}"), ("Dock:Cloud:TargetRecheckInterval", "00:00:00.500"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await WaitForAsync(harness, async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Kind == "cloud-target" && a.IsOpen),
                "the cloud-target alert");
            // Long enough for several target checks and upload attempts: none may make the folder or release anything.
            await Task.Delay(2000);
            Assert.False(Directory.Exists(share));
            Assert.Equal(2, fleet.Endpoints[0].Recorder.Clips.Count);
            Assert.DoesNotContain(await EnrolmentTests.EventsAsync(await harness.CatalogAsync()), e => e.Kind is CustodyEventKind.CloudVerified
                or CustodyEventKind.ReleaseRequested or CustodyEventKind.Released);

            Directory.CreateDirectory(share); // A person mounts the share.
            await harness.RecordersEmptyAsync();
            await WaitForAsync(harness, async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).All(a => a.Kind != "cloud-target" || !a.IsOpen),
                "the cloud-target alert resolved");
            await host.StopAsync();
        }
        var alert = Assert.Single(await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "cloud-target");
        Assert.NotNull(alert.ResolvedAt);
        Assert.Contains("works again", alert.Resolution, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetFiles(share, "*.mp4", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task VaultCopyDeletedBeforeItsUpload_MissingInCustody_PulledAgainFromTheDockedRecorder_ThenReleased()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 300_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        var share = Path.Combine(harness.DataDirectory, "share");
        var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", $"file:{share}"), ("Dock:Cloud:TargetRecheckInterval", "00:00:00.500"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 2 && a.Bays.All(b => b.Finished), CancellationToken.None).WaitAsync(DockHarness.Limit);
            var victim = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None))[0];
            File.Delete(Path.Combine(harness.DataDirectory, victim.VaultPath!)); // Someone tidies the vault by hand.

            Directory.CreateDirectory(share);
            await harness.RecordersEmptyAsync();
            await host.StopAsync();

            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            var clip = events.Where(e => e.ClipId == victim.ClipId).ToList();
            var missing = Assert.Single(clip, e => e.Kind == CustodyEventKind.Missing);
            Assert.Contains("is gone (deleted outside the dock) before its cloud copy was verified", missing.Detail, StringComparison.Ordinal);
            Assert.Equal(2, clip.Count(e => e.Kind == CustodyEventKind.Acquired)); // Pulled again, after the missing entry.
            Assert.True(clip.Last(e => e.Kind == CustodyEventKind.Acquired).Index > missing.Index);
            Assert.True(clip.Single(e => e.Kind == CustodyEventKind.CloudVerified).Index < clip.Single(e => e.Kind == CustodyEventKind.Released).Index);
            var catalog = await harness.CatalogAsync();
            Assert.Contains(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "vault-copy-missing" && a.ClipId == victim.ClipId);
            Assert.All(await catalog.Clips.ListClipsAsync(null, CancellationToken.None), r => Assert.Equal(ClipState.Released, r.State));
            Assert.True(File.Exists(Path.Combine(harness.DataDirectory, victim.VaultPath!)));
        }
        Assert.Empty(recorder.Clips);
    }
}
