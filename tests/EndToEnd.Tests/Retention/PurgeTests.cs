using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Exports;
using Dock.Service.Hosting;
using Dock.Service.Metadata;
using Dock.Service.Retention;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Service.Vault;
using Dock.Simulator.Hosting;
using Dock.Tools.Bench;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Retention;

/// <summary>Retention and purge on a real dock's data: clips pulled, verified and uploaded by the dock, then swept by the one owner of
/// deletions (<see cref="VaultPurge"/>) at later times (a fake clock), with real holds and tags in the catalog and custody log.</summary>
public sealed class PurgeTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    /// <summary>A dock run until its recorders are empty: every clip pulled, verified, in the cloud folder (file:cloud) and released.</summary>
    private static async Task<List<ClipRecord>> DockedAsync(DockHarness harness, int clips, params (string, string)[] extra)
    {
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = clips, MinClipSize = 40_000, MaxClipSize = 90_000 });
        var (host, activity) = await harness.StartDockAsync(extra);
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, clips);
            await host.StopAsync();
        }
        return [.. (await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None)).OrderBy(c => c.DeviceStart).ThenBy(c => c.Id)];
    }

    private sealed record Sweeper(DataFolder Folder, VaultPurge Purge, FakeTimeProvider Time, ClipTagging Tagging, LegalHolds Holds) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            Folder.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<Sweeper> SweeperAsync(DockHarness harness, ICloudTarget cloud, CloudTargetUri uri, RetentionOptions retention,
        Func<long>? freeBytes = null)
    {
        var folder = await DataFolder.OpenAsync(harness.DataDirectory, CancellationToken.None);
        var options = new DockOptions { DataDirectory = harness.DataDirectory, Retention = retention };
        var time = new FakeTimeProvider(Now);
        var purge = new VaultPurge(folder.Catalog, new ClipVault(harness.DataDirectory), folder.Log, cloud, uri, options, time, freeBytes);
        return new Sweeper(folder, purge, time, new ClipTagging(folder.Catalog.Clips, new TagStore(folder.Catalog.Database), folder.Log, options.Metadata),
            new LegalHolds(new HoldStore(folder.Catalog.Database), folder.Catalog.Clips, folder.Log));
    }

    /// <summary>The clip files in the vault (purged ones are gone; their manifests stay).</summary>
    private static string[] ClipFiles(DockHarness harness) =>
        Directory.GetFiles(Path.Combine(harness.DataDirectory, "vault", "clips"), "*", SearchOption.AllDirectories);

    private static string[] Names(PurgeReport report) => [.. report.Purged.Select(p => p.ClipId).Order(StringComparer.Ordinal)];

    private static string[] Ids(params ClipRecord[] clips) => [.. clips.Select(c => c.ClipId).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Retention_LongestCategoryKeeps_HoldsOnClipAndCaseBlock_LiftNeedsTheRole_PurgedEntriesAndManifestsStay()
    {
        await using var harness = DockHarness.Create();
        var c = await DockedAsync(harness, 6);
        CloudTargetUri.TryParse("file:cloud", out var uri, out _);
        await using var cloud = CloudTargets.Create(uri, harness.DataDirectory)!;
        await using var s = await SweeperAsync(harness, cloud, uri, new RetentionOptions { AlertWhenFreeBelow = 0, PurgeWhenFreeBelow = 0 });
        var ct = CancellationToken.None;

        async Task Tag(ClipRecord clip, TagField field, string value) =>
            await s.Tagging.TagAsync("test", TagSource.Cli, clip, new Dictionary<TagField, string?> { [field] = value }, null, ct);
        await Tag(c[0], TagField.Category, "traffic");                 // 180 days
        await Tag(c[1], TagField.Category, "criminal, traffic");       // the longer of the two: 10 years
        // c[2]: no category — Dock:Retention:Uncategorised, 180 days
        await Tag(c[3], TagField.Category, "traffic");
        await Tag(c[4], TagField.Category, "traffic");
        await Tag(c[4], TagField.CaseNumber, "A-2026-17");
        await Tag(c[5], TagField.Category, "complaint");               // 365 days
        Assert.Equal("traffic,criminal", (await s.Tagging.ReadAsync(c[1], ct))[TagField.Category]); // in the configured order
        var clipHold = await s.Holds.PlaceOnClipAsync("sam@api", c[3].RecorderSerial, c[3].ClipId, "complaint under review", ct);
        var caseHold = await s.Holds.PlaceOnCaseAsync("sam@api", "A-2026-17", "court order 17", ct);
        await Assert.ThrowsAsync<HoldException>(() => s.Holds.PlaceOnCaseAsync("sam@api", "A-2026-17", "  ", ct)); // a reason is required

        // Tomorrow nothing is due: every retention is counted from the cloud copy's verification.
        s.Time.SetUtcNow(Now + TimeSpan.FromDays(1));
        var early = await s.Purge.SweepAsync("test", dryRun: false, ct);
        Assert.Empty(early.Purged);
        Assert.Equal((2, 4), (early.Held, early.NotYetDue));

        // After 181 days: the 180-day clips go, unless held; the dry run says so first and deletes nothing.
        s.Time.SetUtcNow(Now + TimeSpan.FromDays(181));
        var dry = await s.Purge.SweepAsync("test", dryRun: true, ct);
        Assert.Equal(Ids(c[0], c[2]), Names(dry));
        Assert.Equal(6, ClipFiles(harness).Length);
        var first = await s.Purge.SweepAsync("test", dryRun: false, ct);
        Assert.Equal(Ids(c[0], c[2]), Names(first));
        Assert.All(first.Purged, p => Assert.Equal(PurgeReason.RetentionPassed, p.Reason));
        Assert.Contains("category traffic keeps 180 days", first.Purged.Single(p => p.ClipId == c[0].ClipId).Detail, StringComparison.Ordinal);
        Assert.Contains("uncategorised keeps 180 days", first.Purged.Single(p => p.ClipId == c[2].ClipId).Detail, StringComparison.Ordinal);
        Assert.Equal((2, 2), (first.Held, first.NotYetDue));
        Assert.Equal(4, ClipFiles(harness).Length);

        // The person's role decides who lifts: an officer may not, a supervisor may (the shell's operator acts as the host's).
        var refused = await Assert.ThrowsAsync<HoldException>(() => s.Holds.LiftAsync("olga@api", ["officer"], clipHold.Id, "review closed", ct));
        Assert.True(refused.Forbidden);
        await Assert.ThrowsAsync<HoldException>(() => s.Holds.LiftAsync("sam@api", ["supervisor"], clipHold.Id, "", ct));
        await s.Holds.LiftAsync("sam@api", ["supervisor"], clipHold.Id, "review closed", ct);
        Assert.Equal([c[3].ClipId], Names(await s.Purge.SweepAsync("test", dryRun: false, ct)));

        // A case hold covers clips tagged with the case later too: c[1] joins case A-2026-17, and in eleven years only c[5] goes.
        await Tag(c[1], TagField.CaseNumber, "A-2026-17");
        s.Time.SetUtcNow(Now + TimeSpan.FromDays(11 * 365));
        var later = await s.Purge.SweepAsync("test", dryRun: false, ct);
        Assert.Equal([c[5].ClipId], Names(later));
        Assert.Equal(2, later.Held);

        // The case closes; but c[1]'s cloud copy has meanwhile gone from the store: its vault copy stays, and a person is told.
        var key = (await s.Folder.Catalog.Uploads.GetUploadForClipAsync(c[1].Id, ct))!.ObjectKey;
        File.Delete(FileTarget.PathOf(cloud.Description["file:".Length..], key));
        await s.Holds.LiftAsync(DataFolder.Actor, null, caseHold.Id, "case A-2026-17 closed", ct);
        var last = await s.Purge.SweepAsync("test", dryRun: false, ct);
        Assert.Equal([c[4].ClipId], Names(last));
        var kept = Assert.Single(last.Skipped);
        Assert.Equal(c[1].ClipId, kept.ClipId);
        Assert.Contains("no longer holds the verified copy", kept.Why, StringComparison.Ordinal);
        Assert.Contains(await s.Folder.Catalog.Alerts.ListAlertsAsync(ct), a => a.Kind == "cloud-copy-changed" && a.ClipId == c[1].ClipId && a.IsOpen);

        // What stays: c[1]'s vault copy; every manifest and signature; a purged entry per purge, naming the clip, its hash and size,
        // after its cloud-verified entry; the holds' entries; and the log still verifies.
        var left = Assert.Single(ClipFiles(harness));
        Assert.EndsWith(SafeName.Encode(c[1].ClipId), left, StringComparison.Ordinal);
        var manifests = Directory.GetFiles(Path.Combine(harness.DataDirectory, "vault", "manifests"), "*", SearchOption.AllDirectories);
        Assert.Equal(6, manifests.Count(m => m.EndsWith(".manifest.json", StringComparison.Ordinal)));
        Assert.Equal(6, manifests.Count(m => m.EndsWith(".manifest.json.sig", StringComparison.Ordinal)));
        var events = await EnrolmentTests.EventsAsync(s.Folder.Catalog);
        foreach (var clip in new[] { c[0], c[2], c[3], c[4], c[5] })
        {
            var purged = Assert.Single(events, e => e.Kind == CustodyEventKind.Purged && e.ClipId == clip.ClipId);
            Assert.Equal((clip.DeviceSha256, clip.Size, "test"), (purged.Sha256, purged.Size, purged.Actor));
            Assert.Contains(events, e => e.Kind == CustodyEventKind.CloudVerified && e.ClipId == clip.ClipId && e.Index < purged.Index);
            var row = (await s.Folder.Catalog.Clips.GetClipAsync(clip.Id, ct))!;
            Assert.Equal(purged.Index, row.PurgedIndex);
            Assert.False(row.InVault);
        }
        Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.Purged && e.ClipId == c[1].ClipId);
        Assert.Equal(2, events.Count(e => e.Kind == CustodyEventKind.HoldPlaced));
        var lifts = events.Where(e => e.Kind == CustodyEventKind.HoldLifted).ToList();
        Assert.Equal(["sam@api", DataFolder.Actor], lifts.Select(e => e.Actor));
        Assert.Equal($"hold {caseHold.Id} on case A-2026-17 lifted: case A-2026-17 closed", lifts[1].Detail);

        // A purged clip is not exported from the vault; the message says where it is.
        var export = await Assert.ThrowsAsync<ExportException>(() => new ClipExports(s.Folder.Catalog.Clips, s.Folder.Log, s.Folder.Vault())
            .ExportAsync(c[0].RecorderSerial, c[0].ClipId, Path.Combine(harness.DataDirectory, "out"), "test", "test", ct));
        Assert.Contains("purged", export.Message, StringComparison.Ordinal);
        await s.Folder.Log.CheckpointAsync(ct);
        var (code, verify, _) = await DockHarness.RunDockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(code == 0, verify);
    }

    [Fact]
    public async Task SpacePressure_AlertsFirst_ThenPurgesOldestCloudVerifiedFirst_UntilTheAlertLevel_NeverHeldOnes()
    {
        await using var harness = DockHarness.Create();
        var c = await DockedAsync(harness, 6);
        CloudTargetUri.TryParse("file:cloud", out var uri, out _);
        await using var cloud = CloudTargets.Create(uri, harness.DataDirectory)!;
        // The disk as the purge sees it: a fixed floor plus what it has freed (this sandbox's disk cannot be made small).
        long start = ClipFiles(harness).Sum(f => new FileInfo(f).Length);
        const long Floor = 1_000_000;
        long Free() => Floor + start - ClipFiles(harness).Sum(f => new FileInfo(f).Length);
        // Purge below Floor + 1; stop once c[0], c[2] and c[3] are gone (c[1] is held): the alert level is just above the first two and c[3].
        var retention = new RetentionOptions
        {
            PurgeWhenFreeBelow = Floor + 1,
            AlertWhenFreeBelow = Floor + c[0].Size + c[2].Size + 1,
        };
        await using var s = await SweeperAsync(harness, cloud, uri, retention, Free);
        await s.Holds.PlaceOnClipAsync("sam@api", c[1].RecorderSerial, c[1].ClipId, "kept for a complaint", CancellationToken.None);

        var report = await s.Purge.SweepAsync("dock-test", dryRun: false, CancellationToken.None);
        Assert.True(report.SpacePressure);
        Assert.Equal([c[0].ClipId, c[2].ClipId, c[3].ClipId], report.Purged.Select(p => p.ClipId)); // oldest recordings first, the held one skipped
        Assert.All(report.Purged, p => Assert.Equal(PurgeReason.SpaceNeeded, p.Reason));
        Assert.Equal(3, ClipFiles(harness).Length);
        Assert.True(report.FreeAfter >= retention.AlertWhenFreeBelow, $"{report.FreeAfter} free after the purge");
        var alert = Assert.Single(await s.Folder.Catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "vault-space-low");
        var events = await EnrolmentTests.EventsAsync(s.Folder.Catalog);
        Assert.True(alert.At <= events.First(e => e.Kind == CustodyEventKind.Purged).At, "the alert comes before the first purge");
        Assert.NotNull(alert.ResolvedAt); // the purge brought the disk back to the alert level
        output.WriteLine($"free {report.FreeBefore:N0} -> {report.FreeAfter:N0}; alert: {alert.Message}");
    }

    [Fact]
    public async Task CloudDown_NoClipIsEverPurged_EvenUnderSpacePressure_ThenOnceVerifiedTheyGo()
    {
        await using var s3 = await StorageEmulator.StartS3Async("evidence");
        await s3.KillAsync();
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 4, MinClipSize = 40_000, MaxClipSize = 90_000 });
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = s3.Endpoint, ["AWS_ACCESS_KEY_ID"] = "S3RVER", ["AWS_SECRET_ACCESS_KEY"] = "S3RVER", ["AWS_REGION"] = "us-east-1",
        };
        // The vault's disk always "short" (levels far above any disk): purging wanted at every look, once a second.
        (string, string)[] pressure = [("Dock:Cloud:Target", "s3://evidence/unit-7"), ("Dock:ReleasePolicy", "AfterLocalVerify"),
            ("Dock:Retention:AlertWhenFreeBelow", "1000000000000000000"), ("Dock:Retention:PurgeWhenFreeBelow", "1000000000000000000"),
            ("Dock:Retention:SpaceCheckInterval", "00:00:01")];
        using (var dock = DockHarness.StartDockProcess(harness.RunArguments(pressure), redirect: false, environment))
        {
            await harness.RecordersEmptyAsync(); // released after the local verify; the store is down
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None))
                .Any(a => a.Kind == "vault-space-low" && a.Message.Contains("none can go", StringComparison.Ordinal)), "the space alert saying none can go");
            await Task.Delay(TimeSpan.FromSeconds(3)); // three more sweeps
            await DockHarness.TerminateAsync(dock);
        }
        var catalog = await harness.CatalogAsync();
        Assert.Equal(4, ClipFiles(harness).Length);
        Assert.DoesNotContain(await EnrolmentTests.EventsAsync(catalog), e => e.Kind == CustodyEventKind.Purged);
        Assert.All(await catalog.Clips.ListClipsAsync(null, CancellationToken.None), r => Assert.True(r.InVault));
        Assert.All(await catalog.Uploads.ListUploadsAsync(CancellationToken.None), u => Assert.NotEqual(UploadState.Verified, u.State));

        // The store is back: each clip goes up, is verified, and only then is purged (the disk is still "short").
        await s3.RestartAsync();
        using (var dock = DockHarness.StartDockProcess(harness.RunArguments(pressure), redirect: false, environment))
        {
            await harness.WaitForCatalogAsync(async c => (await c.Clips.ListClipsAsync(null, CancellationToken.None)).All(r => r.PurgedAt is not null),
                "every clip purged once cloud-verified");
            await DockHarness.TerminateAsync(dock);
        }
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        foreach (var clip in await catalog.Clips.ListClipsAsync(null, CancellationToken.None))
        {
            var purged = Assert.Single(events, e => e.Kind == CustodyEventKind.Purged && e.ClipId == clip.ClipId);
            Assert.Contains(events, e => e.Kind == CustodyEventKind.CloudVerified && e.ClipId == clip.ClipId && e.Index < purged.Index);
            Assert.Contains("space:", purged.Detail, StringComparison.Ordinal);
        }
        Assert.Empty(ClipFiles(harness));
    }
}
