using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Tools.Bench;
using Dock.Service.Catalog;
using Dock.Service.Upload;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// Simulator → dock (its own process) → a real storage emulator: s3rver or Azurite on 127.0.0.1. Every
/// object is read back with the plain SDK and its SHA-256 compared; nothing is released before the
/// cloud copy verified; crashes of the store or the dock resume without duplicates.
/// </summary>
public sealed class CloudTests
{
    private const string Prefix = "unit-7";

    private static Dictionary<string, string> S3Environment(StorageEmulator s3, string key = "S3RVER", string secret = "S3RVER") => new()
    {
        ["AWS_ENDPOINT_URL"] = s3.Endpoint, ["AWS_ACCESS_KEY_ID"] = key, ["AWS_SECRET_ACCESS_KEY"] = secret, ["AWS_REGION"] = "us-east-1",
    };

    private static AmazonS3Client S3Client(StorageEmulator s3) => new(new BasicAWSCredentials("S3RVER", "S3RVER"),
        new AmazonS3Config { ServiceURL = s3.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    /// <summary>Small parts so a few MB already go up in several resumable parts.</summary>
    private static readonly (string, string)[] SmallParts = [("Dock:Cloud:MultipartThreshold", "5242880"), ("Dock:Cloud:PartSize", "5242880")];

    /// <summary>What must be in the store: every clip, exact, with its manifest and signature, and nothing twice.</summary>
    private static Dictionary<string, (long Size, string Sha)> Expected(SimulatedFleet fleet)
    {
        var expected = new Dictionary<string, (long, string)>(StringComparer.Ordinal);
        foreach (var endpoint in fleet.Endpoints)
            foreach (var clip in endpoint.Recorder.Clips)
                expected[ObjectLayout.Clip(Prefix, clip.Start, endpoint.Recorder.Serial, clip.ClipId)] = (clip.Size, Sha256.ToHex(clip.Sha256));
        return expected;
    }

    private static async Task AssertS3HoldsExactlyAsync(StorageEmulator s3, string bucket, Dictionary<string, (long Size, string Sha)> expected)
    {
        using var client = S3Client(s3);
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = Prefix + "/", ContinuationToken = token });
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        var clipKeys = keys.Where(k => k.StartsWith($"{Prefix}/clips/", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Keys.Order(), clipKeys.Order()); // No duplicate, no stray object.
        foreach (var (key, (size, sha)) in expected)
        {
            using var get = await client.GetObjectAsync(bucket, key);
            Assert.Equal(sha, get.Metadata["sha256"]);
            var (hash, total) = await Sha256.HashStreamAsync(get.ResponseStream);
            Assert.Equal(size, total);
            Assert.Equal(sha, Sha256.ToHex(hash));
            Assert.Contains(ObjectLayout.Manifest(Prefix, key), keys);
            Assert.Contains(ObjectLayout.ManifestSignature(Prefix, key), keys);
        }
        Assert.Contains(keys, k => k.StartsWith($"{Prefix}/custody/", StringComparison.Ordinal));
    }

    /// <summary>Each released clip was cloud-verified first, in the custody log.</summary>
    private static async Task AssertReleasedOnlyAfterCloudVerifyAsync(DockHarness harness, int clips)
    {
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        var released = events.Where(e => e.Kind == CustodyEventKind.Released).ToList();
        Assert.Equal(clips, released.Count);
        foreach (var release in released)
        {
            var verified = events.Where(e => e.Kind == CustodyEventKind.CloudVerified && e.RecorderSerial == release.RecorderSerial && e.ClipId == release.ClipId);
            Assert.Contains(verified, v => v.Index < release.Index);
        }
    }

    private static Task WaitForAsync(DockHarness harness, Func<CatalogStores, Task<bool>> condition, string what) =>
        harness.WaitForCatalogAsync(condition, what);

    [Fact]
    public async Task S3_EveryClipReadBackExact_ReleasedOnlyAfterCloudVerify()
    {
        await using var s3 = await StorageEmulator.StartS3Async("evidence");
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 3, MinClipSize = 200_000, MaxClipSize = 14_000_000 });
        var expected = Expected(fleet);

        using (var dock = DockHarness.StartDockProcess(harness.RunArguments([("Dock:Cloud:Target", $"s3://evidence/{Prefix}"), .. SmallParts]),
            redirect: false, S3Environment(s3)))
        {
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(dock);
        }

        await AssertS3HoldsExactlyAsync(s3, "evidence", expected);
        await AssertReleasedOnlyAfterCloudVerifyAsync(harness, expected.Count);
        Assert.All(await (await harness.CatalogAsync()).Uploads.ListUploadsAsync(CancellationToken.None), u => Assert.Equal(UploadState.Verified, u.State));
    }

    [Fact]
    public async Task Azure_EveryClipReadBackExact_ReleasedOnlyAfterCloudVerify()
    {
        await using var azurite = await StorageEmulator.StartAzuriteAsync();
        var container = new BlobServiceClient(azurite.AzureConnectionString).GetBlobContainerClient("evidence");
        await container.CreateAsync(); // The agency creates it; the dock never does.
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 14_000_000 });
        var expected = Expected(fleet);

        using (var dock = DockHarness.StartDockProcess(harness.RunArguments([("Dock:Cloud:Target", $"azblob://evidence/{Prefix}"), .. SmallParts]),
            redirect: false, new Dictionary<string, string> { ["AZURE_STORAGE_CONNECTION_STRING"] = azurite.AzureConnectionString }))
        {
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(dock);
        }

        var blobs = new List<string>();
        await foreach (var item in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, Prefix + "/", CancellationToken.None)) blobs.Add(item.Name);
        Assert.Equal(expected.Keys.Order(), blobs.Where(b => b.StartsWith($"{Prefix}/clips/", StringComparison.Ordinal)).Order());
        foreach (var (key, (size, sha)) in expected)
        {
            var content = (await container.GetBlobClient(key).DownloadContentAsync()).Value;
            Assert.Equal(size, content.Content.ToMemory().Length);
            Assert.Equal(sha, Sha256.ToHex(Sha256.Hash(content.Content.ToMemory().Span)));
            Assert.Equal(sha, content.Details.Metadata["sha256"]);
        }
        await AssertReleasedOnlyAfterCloudVerifyAsync(harness, expected.Count);
    }

    [Fact]
    public async Task WrongCredentials_ClearAlert_NothingReleasedOrLost_ThenRightCredentialsFinish()
    {
        await using var s3 = await StorageEmulator.StartS3Async("evidence");
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 400_000 });
        var expected = Expected(fleet);
        string[] args = harness.RunArguments(("Dock:Cloud:Target", $"s3://evidence/{Prefix}"), ("Dock:Cloud:PendingAlertAfter", "00:00:02"));

        using (var dock = DockHarness.StartDockProcess(args, redirect: true, S3Environment(s3, "WRONGKEY", "TOPSECRET-do-not-print")))
        {
            var stdout = dock.StandardOutput.ReadToEndAsync();
            var stderr = dock.StandardError.ReadToEndAsync();
            await WaitForAsync(harness, async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Message.Contains("refused the credentials", StringComparison.Ordinal))
                && (await c.Uploads.ListUploadsAsync(CancellationToken.None)).Count == 2, "the credentials alert and both clips queued");
            // R10: the backlog itself is alerted once the oldest waiting clip passes the threshold.
            await WaitForAsync(harness, async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Kind == "cloud-backlog"), "the backlog alert");
            await DockHarness.TerminateAsync(dock);
            Assert.DoesNotContain("TOPSECRET", await stdout + await stderr, StringComparison.Ordinal);
        }
        Assert.Equal(2, fleet.Endpoints[0].Recorder.Clips.Count); // nothing released
        var catalog = await harness.CatalogAsync();
        Assert.All(await catalog.Uploads.ListUploadsAsync(CancellationToken.None), u => Assert.NotEqual(UploadState.Verified, u.State));
        Assert.DoesNotContain(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Message.Contains("TOPSECRET", StringComparison.Ordinal));

        // The queue survived the restart: with the right key everything goes up and is released.
        using (var dock = DockHarness.StartDockProcess(args, redirect: false, S3Environment(s3)))
        {
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(dock);
        }
        await AssertS3HoldsExactlyAsync(s3, "evidence", expected);
    }

    [Fact]
    public async Task MissingBucket_ClearAlert_RecorderKeepsItsFootage()
    {
        await using var s3 = await StorageEmulator.StartS3Async("evidence");
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 200_000, MaxClipSize = 200_000 });
        using (var dock = DockHarness.StartDockProcess(harness.RunArguments(("Dock:Cloud:Target", "s3://no-such-bucket/x")), redirect: false, S3Environment(s3)))
        {
            await WaitForAsync(harness, async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Message.Contains("'no-such-bucket' does not exist", StringComparison.Ordinal))
                && (await c.Clips.ListClipsAsync(null, CancellationToken.None)).All(r => r.State == ClipState.Verified), "the missing-bucket alert");
            await DockHarness.TerminateAsync(dock);
        }
        Assert.Single(fleet.Endpoints[0].Recorder.Clips);
    }

    [Fact]
    public async Task StoreKilledMidMultipart_OutageAlerted_Restarted_UploadResumesAndTheObjectIsExact_AlertResolved()
    {
        await using var s3 = await StorageEmulator.StartS3Async("evidence");
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 40_000_000, MaxClipSize = 40_000_000 });
        var expected = Expected(fleet);
        // 8 parts at 8 MB/s: about 5 s of upload to cut into. An outage is alerted after 2 s here (minutes by default).
        string[] args = harness.RunArguments([("Dock:Cloud:Target", $"s3://evidence/{Prefix}"), ("Dock:Cloud:MaxMBps", "8"),
            ("Dock:Cloud:OutageAlertAfter", "00:00:02"), .. SmallParts]);
        using (var dock = DockHarness.StartDockProcess(args, redirect: false, S3Environment(s3)))
        {
            await WaitForAsync(harness, async c => await PartsAsync(c) >= 2, "two parts in the store");
            await s3.KillAsync();
            // Longer than the quick in-call retries: the attempt fails and is rescheduled from the queue.
            await WaitForAsync(harness, async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Kind == "cloud-outage" && a.IsOpen),
                "the cloud-outage alert");
            Assert.Single(fleet.Endpoints[0].Recorder.Clips); // nothing released while the store is down
            await s3.RestartAsync();
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(dock);
        }
        var outage = Assert.Single(await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "cloud-outage");
        Assert.NotNull(outage.ResolvedAt); // Resolved once the store answered again.
        await AssertS3HoldsExactlyAsync(s3, "evidence", expected);
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        Assert.True(events.Any(e => e.Kind == CustodyEventKind.Uploading && e.Detail!.Contains("resuming", StringComparison.Ordinal)),
            string.Join("\n", events.Where(e => e.Kind == CustodyEventKind.Uploading).Select(e => e.Detail)));
    }

    [Fact]
    public async Task DockKilledMidMultipart_Restarted_ResumesWithoutDuplicatesOrEarlyRelease()
    {
        await using var s3 = await StorageEmulator.StartS3Async("evidence");
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 30_000_000, MaxClipSize = 30_000_000 });
        var expected = Expected(fleet);
        string[] args = harness.RunArguments([("Dock:Cloud:Target", $"s3://evidence/{Prefix}"), ("Dock:Cloud:MaxMBps", "8"), ("Dock:Cloud:MaxConcurrentUploads", "1"), .. SmallParts]);
        using (var dock = DockHarness.StartDockProcess(args, redirect: false, S3Environment(s3)))
        {
            await WaitForAsync(harness, async c => await PartsAsync(c) >= 2, "two parts in the store");
            dock.Kill(); // SIGKILL: no goodbye, mid-part.
            await dock.WaitForExitAsync();
        }
        Assert.Equal(2, fleet.Endpoints[0].Recorder.Clips.Count); // nothing released early
        long partsBefore = await PartsAsync(await harness.CatalogAsync());

        using (var dock = DockHarness.StartDockProcess(args, redirect: false, S3Environment(s3)))
        {
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(dock);
        }
        await AssertS3HoldsExactlyAsync(s3, "evidence", expected);
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        Assert.Contains(events, e => e.Kind == CustodyEventKind.Uploading && e.Detail!.Contains($"resuming: {partsBefore} part(s)", StringComparison.Ordinal));
        await AssertReleasedOnlyAfterCloudVerifyAsync(harness, expected.Count);
    }

    [Fact]
    public async Task Injected503sAndCutConnections_RetriesSucceed_NoDuplicates()
    {
        await using var s3 = await StorageEmulator.StartS3Async("evidence");
        // Every third connection refused, every second one cut (after 200 KB): with pooled connections there may be only a handful.
        await using var proxy = new FaultProxy(s3.Port, every503: 3, everyCut: 2);
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 3, MinClipSize = 1_000_000, MaxClipSize = 12_000_000 });
        var expected = Expected(fleet);
        var environment = S3Environment(s3);
        environment["AWS_ENDPOINT_URL"] = proxy.Endpoint;

        // Retries capped at 5 s: on a loaded machine many connections fail in a row, and the default backoff (up to minutes) would
        // outlast the test's patience while proving nothing more about duplicates.
        using (var dock = DockHarness.StartDockProcess(harness.RunArguments([("Dock:Cloud:Target", $"s3://evidence/{Prefix}"),
            ("Dock:Cloud:MaxRetryDelay", "00:00:05"), .. SmallParts]), redirect: false, environment))
        {
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(dock);
        }

        Assert.True(proxy.Served503 > 0 && proxy.Cut > 0, $"faults injected: {proxy.Served503} × 503, {proxy.Cut} cut");
        await AssertS3HoldsExactlyAsync(s3, "evidence", expected);
        await AssertReleasedOnlyAfterCloudVerifyAsync(harness, expected.Count);
    }

    private static async Task<long> PartsAsync(CatalogStores catalog)
    {
        long parts = 0;
        foreach (var upload in await catalog.Uploads.ListUploadsAsync(CancellationToken.None))
            parts += (await catalog.Uploads.ListUploadPartsAsync(upload.Id, CancellationToken.None)).Count;
        return parts;
    }
}
