using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// Released means gone from the recorder, and every clip that leaves a recorder has its custody entry saying when the
/// dock learnt it and why (custody-log-v1.md §1.1): a recorder that keeps a released clip, a dock killed between the
/// deletion and its record of the answer, and a camera that deletes footage by itself.
/// </summary>
public sealed class ReleaseSettlementTests
{
    private static readonly (string, string)[] LocalRelease = [("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none")];

    private static async Task<List<CustodyEvent>> EventsAsync(DockHarness harness) => await EnrolmentTests.EventsAsync(await harness.CatalogAsync());

    private static Task WaitForCatalogAsync(DockHarness harness, Func<IReadOnlyList<ClipRecord>, bool> condition, string what) =>
        harness.WaitForCatalogAsync(async c => condition(await c.Clips.ListClipsAsync(null, CancellationToken.None)), what);

    [Fact]
    public async Task RecorderAcknowledgesButKeeps_ClipStaysVerified_RealDeletionLaterIsLogged()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000, Faults = f => f.KeepOnRelease = true,
        });
        var recorder = fleet.Endpoints[0].Recorder;

        var (host, _) = await harness.StartDockAsync(LocalRelease);
        using (host)
        {
            await WaitForCatalogAsync(harness, rows => rows.Count == 2 && rows.All(r => r.LastError?.Contains("keeps the clip", StringComparison.Ordinal) == true),
                "both releases answered with 'kept'");
            await host.StopAsync();
        }
        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.All(rows, r =>
        {
            Assert.Equal(ClipState.Verified, r.State); // Still on the camera: not released.
            Assert.NotNull(r.ReleaseRequestedAt);
            Assert.Null(r.LeftRecorderAt);
        });
        Assert.Equal(2, recorder.Clips.Count);
        var events = await EventsAsync(harness);
        Assert.Equal(2, events.Count(e => e.Kind == CustodyEventKind.ReleaseRequested));
        Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.Released);

        // Between dockings the camera deletes one clip by itself (its keep policy ran out); the other it now deletes on release.
        var deletedByCamera = recorder.Clips[0].ClipId;
        Assert.True(recorder.RemoveClip(deletedByCamera));
        recorder.Faults.KeepOnRelease = false;
        (host, var activity) = await harness.StartDockAsync(LocalRelease);
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await host.StopAsync();
        }
        Assert.Empty(recorder.Clips);
        events = await EventsAsync(harness);
        var released = events.Where(e => e.Kind == CustodyEventKind.Released).ToList();
        Assert.Equal(2, released.Count);
        Assert.Contains(released, e => e.ClipId == deletedByCamera && e.Detail!.Contains("deleted after the dock's release request", StringComparison.Ordinal));
        Assert.Contains(released, e => e.ClipId != deletedByCamera && e.Detail!.StartsWith("the recorder deleted it", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.Missing);
        Assert.All(await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None), r => Assert.Equal(ClipState.Released, r.State));
    }

    [Fact]
    public async Task DockKilledAfterTheRecorderDeletedButBeforeItRecordedTheAnswer_NextDockingLogsReleased()
    {
        await using var harness = DockHarness.Create();
        var state = Path.Combine(harness.DataDirectory, "recorder-state");
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 200_000, MaxClipSize = 200_000, StateDirectory = state,
            Faults = f => f.ReleaseDelay = TimeSpan.FromSeconds(5),
        });
        var recorder = fleet.Endpoints[0].Recorder;
        var clipId = recorder.Clips[0].ClipId;

        using (var dock = DockHarness.StartDockProcess(harness.RunArguments(LocalRelease), redirect: false))
        {
            // The recorder has deleted the clip and sits on its answer: the dock has not heard it yet.
            await recorder.WaitUntilAsync(r => r.Clips.Count == 0, CancellationToken.None).WaitAsync(DockHarness.Limit);
            dock.Kill(entireProcessTree: true);
            await dock.WaitForExitAsync();
        }
        var release = Assert.Single(RecorderStateFiles.ReadReleases(Path.Combine(state, "releases.jsonl")));
        Assert.Equal("deleted", release.Outcome);
        Assert.Empty(RecorderStateFiles.Read(Path.Combine(state, recorder.Serial + ".json")).Clips);
        var events = await EventsAsync(harness);
        Assert.Contains(events, e => e.Kind == CustodyEventKind.ReleaseRequested && e.ClipId == clipId);
        Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.Released); // The gap this test is about.

        recorder.Faults.ReleaseDelay = TimeSpan.Zero;
        var (host, _) = await harness.StartDockAsync(LocalRelease);
        using (host)
        {
            await WaitForCatalogAsync(harness, rows => rows.All(r => r.State == ClipState.Released), "the release settled at the next docking");
            await host.StopAsync();
        }
        events = await EventsAsync(harness);
        var released = Assert.Single(events, e => e.Kind == CustodyEventKind.Released);
        Assert.Equal(clipId, released.ClipId);
        Assert.Contains("deleted after the dock's release request", released.Detail, StringComparison.Ordinal);
        Assert.True(released.Index > events.Single(e => e.Kind == CustodyEventKind.ReleaseRequested).Index);
    }

    [Fact]
    public async Task DockStoppedCleanlyWhileTheRecorderSitsOnItsReleaseAnswer_WaitsForItAndLogsReleased()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 100_000, MaxClipSize = 100_000,
            Faults = f => f.ReleaseDelay = TimeSpan.FromSeconds(1),
        });
        var recorder = fleet.Endpoints[0].Recorder;
        var clipId = recorder.Clips[0].ClipId;
        var (host, activity) = await harness.StartDockAsync(LocalRelease);
        using (host)
        {
            // The recorder has deleted the clip and holds its answer for a second; the dock is asked to stop meanwhile.
            await harness.RecordersEmptyAsync();
            Assert.Equal(0, activity.ClipsReleased);
            await host.StopAsync();
        }
        var events = await EventsAsync(harness);
        var released = Assert.Single(events, e => e.Kind == CustodyEventKind.Released);
        Assert.Equal(clipId, released.ClipId);
        Assert.StartsWith("the recorder deleted it", released.Detail, StringComparison.Ordinal);
        Assert.Equal(ClipState.Released, Assert.Single(await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None)).State);
    }

    [Fact]
    public async Task CameraDeletesUnreleasedFootage_MissingEventAndAlertOnce_VaultCopyKept()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 3, MinClipSize = 100_000, MaxClipSize = 100_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        (string, string)[] never = [("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none")];
        var (host, activity) = await harness.StartDockAsync(never);
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 3, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        var gone = recorder.Clips[1].ClipId;
        recorder.RemoveClip(gone);

        for (int docking = 0; docking < 2; docking++)
        {
            (host, activity) = await harness.StartDockAsync(never);
            using (host)
            {
                await activity.WaitUntilAsync(a => a.Bays.Any(b => b.Finished), CancellationToken.None).WaitAsync(DockHarness.Limit);
                await host.StopAsync();
            }
        }
        var missing = Assert.Single(await EventsAsync(harness), e => e.Kind == CustodyEventKind.Missing); // Once, not per docking.
        Assert.Equal(gone, missing.ClipId);
        Assert.Contains("the dock never allowed its deletion; the vault holds a verified copy", missing.Detail, StringComparison.Ordinal);
        var catalog = await harness.CatalogAsync();
        var row = Assert.Single(await catalog.Clips.ListClipsAsync(null, CancellationToken.None), r => r.ClipId == gone);
        Assert.Equal(ClipState.Verified, row.State);
        Assert.NotNull(row.LeftRecorderAt);
        Assert.True(File.Exists(Path.Combine(harness.DataDirectory, row.VaultPath!)));
        var alert = Assert.Single(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "clip-missing");
        Assert.True(alert.IsOpen);
        Assert.Equal(gone, alert.ClipId);
    }
}
