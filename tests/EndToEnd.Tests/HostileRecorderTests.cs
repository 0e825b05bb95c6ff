using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Service.Vault;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// What a recorder chooses (clip ids, listings, times, sizes) can never reach the dock's own files or another clip's proof,
/// and a clip that cannot be taken never holds back the others (issue: hostile recorders).
/// </summary>
public sealed class HostileRecorderTests
{

    [Fact]
    public async Task ClipIdsNamedLikeDockFiles_NeverTouchAnotherClipsProof()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 50_000, MaxClipSize = 50_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        var first = recorder.Clips[0];
        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var original = (await catalog.Clips.ListClipsAsync(null, CancellationToken.None)).Single();
        var vaultCopy = Path.Combine(harness.DataDirectory, original.VaultPath!);
        var manifestBefore = await File.ReadAllBytesAsync(Path.Combine(harness.DataDirectory, original.ManifestPath!));

        // The camera now lists clips whose ids are the names of X's sidecars (and X's id in other case, and Windows names).
        string[] hostile = [first.ClipId + ".manifest.json", first.ClipId + ".manifest.json.sig", first.ClipId.ToUpperInvariant(), "CON", "nul.mp4", "x."];
        ulong seed = 7;
        foreach (var id in hostile)
            recorder.AddClip(SimulatedClip.Synthetic(id, 20_000, seed++, first.Start, first.End, ClipFlags.None));
        (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, hostile.Length);
            await harness.RecordersEmptyAsync();
            await host.StopAsync();
        }

        Assert.Equal(manifestBefore, await File.ReadAllBytesAsync(Path.Combine(harness.DataDirectory, original.ManifestPath!)));
        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(hostile.Length + 1, rows.Count);
        Assert.All(rows, r => Assert.Equal(ClipState.Released, r.State));
        Assert.Equal(hostile.Length + 1, harness.VaultClips().Count); // Every clip with its own manifest and signature.
        Assert.False(Directory.Exists(Path.Combine(harness.DataDirectory, "vault", "quarantine", SafeName.Encode(recorder.Serial))));
        var trust = await harness.TrustPemAsync();
        foreach (var row in rows)
        {
            var (code, stdout, _) = await DockHarness.RunDockAsync("verify", Path.Combine(harness.DataDirectory, row.VaultPath!), "--trust", trust);
            Assert.True(code == 0, $"{row.ClipId}: {stdout}");
        }
        // The cloud folder too: each clip object beside no dock file, each manifest where its clip says.
        var (cloudCode, cloudOut, _) = await DockHarness.RunDockAsync("verify", Service.Upload.Targets.FileTarget.PathOf(Path.Combine(harness.DataDirectory, "cloud"),
            Service.Upload.ObjectLayout.Clip("", first.Start, recorder.Serial, first.ClipId + ".manifest.json")), "--trust", trust);
        Assert.True(cloudCode == 0, cloudOut);
        Assert.True(File.Exists(vaultCopy));
    }

    [Fact]
    public async Task VaultOfLayoutOne_IsMovedAtStart_AndEveryClipStillVerifies()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 30_000, MaxClipSize = 30_000 });
        var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", "none"), ("Dock:ReleasePolicy", "AfterLocalVerify"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await host.StopAsync();
        }
        // Put the vault back as layout 1 wrote it: raw names, manifests beside their clips.
        var catalog = await harness.CatalogAsync();
        foreach (var row in await catalog.Clips.ListClipsAsync(null, CancellationToken.None))
        {
            var oldClip = Path.Combine("vault", "clips", row.RecorderSerial, row.ClipId);
            var oldManifest = oldClip + ".manifest.json";
            Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "vault", "clips", row.RecorderSerial));
            File.Move(Path.Combine(harness.DataDirectory, row.VaultPath!), Path.Combine(harness.DataDirectory, oldClip));
            File.Move(Path.Combine(harness.DataDirectory, row.ManifestPath!), Path.Combine(harness.DataDirectory, oldManifest));
            File.Move(Path.Combine(harness.DataDirectory, row.ManifestPath! + ".sig"), Path.Combine(harness.DataDirectory, oldManifest + ".sig"));
            await catalog.Clips.SetVaultPathsAsync(row.Id, oldClip, oldManifest, CancellationToken.None);
        }
        File.Delete(Path.Combine(harness.DataDirectory, "vault", "LAYOUT"));

        (host, _) = await harness.StartDockAsync(("Dock:Cloud:Target", "none"), ("Dock:ReleasePolicy", "AfterLocalVerify"));
        using (host) await host.StopAsync();

        Assert.Equal(2, harness.VaultClips().Count);
        var trust = await harness.TrustPemAsync();
        foreach (var row in await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None))
        {
            Assert.Equal(ClipVault.RelativeFinalPath(row.RecorderSerial, row.ClipId), row.VaultPath);
            Assert.Equal(ClipVault.RelativeManifestPath(row.RecorderSerial, row.ClipId), row.ManifestPath);
            var (code, stdout, _) = await DockHarness.RunDockAsync("verify", Path.Combine(harness.DataDirectory, row.VaultPath!), "--trust", trust);
            Assert.True(code == 0, stdout);
        }
        Assert.DoesNotContain(await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "unknown-vault-file");
    }

    [Fact]
    public async Task AbsurdClockSizesAndTimes_AreRefusedPerEntry_AndTheValidClipsComeIn()
    {
        await using var harness = DockHarness.Create();
        int timeSets = 0;
        var bad = new[]
        {
            new ClipSummary("year-10000.mp4", 1000, 253_402_300_800_000, 253_402_300_900_000, ClipFlags.None, new byte[32]),
            new ClipSummary("huge.mp4", long.MaxValue, 1_764_000_000_000, 1_764_000_060_000, ClipFlags.Mandatory, new byte[32]),
            new ClipSummary("backwards.mp4", 1000, 1_764_000_060_000, 1_764_000_000_000, ClipFlags.None, new byte[32]),
        };
        await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 3, MinClipSize = 20_000, MaxClipSize = 40_000,
            SessionOptions = new DeviceSessionOptions
            {
                Rewrite = (request, reply) => (request, reply) switch
                {
                    // The first TIME_SET of every docking answers with the most negative i64.
                    (SetTime, TimeSet) when Interlocked.Increment(ref timeSets) % 2 == 1 => new TimeSet(long.MinValue),
                    (ListClips { StartIndex: 0 }, ClipList page) => new ClipList(page.Total + (uint)bad.Length, [.. page.Clips, .. bad]),
                    _ => reply,
                },
            },
        });
        var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", "none"), ("Dock:ReleasePolicy", "AfterLocalVerify"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 3);
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Count(a => a.Kind == "clip-refused") == 3,
                "the three absurd entries alerted");
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var rows = await catalog.Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(ClipState.Released, r.State));
        var alerts = await catalog.Alerts.ListAlertsAsync(CancellationToken.None);
        Assert.Contains(alerts, a => a.Kind == "recorder-clock");
        Assert.Contains(alerts, a => a.Kind == "clip-refused" && a.ClipId == "huge.mp4");
        Assert.DoesNotContain(await EnrolmentTests.EventsAsync(catalog), e => e.Kind == CustodyEventKind.Missing);
        foreach (var json in new[] { false, true })
        {
            var (code, stdout, stderr) = await DockHarness.RunDockAsync(json ? ["status", "--json", "--data", harness.DataDirectory] : ["status", "--data", harness.DataDirectory]);
            Assert.True(code == 0, stdout + stderr);
        }
    }

    [Fact]
    public async Task ThousandAbsurdEntries_TenAlertsAndOneForTheRest_TheRealClipsComeIn()
    {
        await using var harness = DockHarness.Create();
        var absurd = Enumerable.Range(0, 1000).Select(i => new ClipSummary($"bad-{i}.mp4", 1000, 253_402_300_800_000, 253_402_300_900_000, ClipFlags.None,
            new byte[32])).ToArray();
        await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 20_000, MaxClipSize = 20_000,
            SessionOptions = new DeviceSessionOptions
            {
                // The absurd entries come after the real ones, 200 a page.
                Rewrite = (request, reply) => (request, reply) switch
                {
                    (ListClips list, ClipList page) => new ClipList(page.Total + (uint)absurd.Length,
                        list.StartIndex < page.Total ? page.Clips : [.. absurd.Skip((int)(list.StartIndex - page.Total)).Take(200)]),
                    _ => reply,
                },
            },
        });
        var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", "none"), ("Dock:ReleasePolicy", "AfterLocalVerify"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Kind == "clip-refused" && a.ClipId is null),
                "the summary alert");
            await host.StopAsync();
        }
        var alerts = (await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None)).Where(a => a.Kind == "clip-refused").ToList();
        Assert.Equal(11, alerts.Count);
        Assert.Contains("990 more listed entries refused", Assert.Single(alerts, a => a.ClipId is null).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClipThatFailsEveryTime_DoesNotHoldBackTheOthers_AndIsAlertedAsStuck()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 8, MinClipSize = 20_000, MaxClipSize = 40_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        // The clip the dock takes first (R11: a mandatory recording) cannot be read, ever.
        var bad = recorder.Clips.First(c => c.Flags.HasFlag(ClipFlags.Mandatory)).ClipId;
        recorder.Faults.FailReadsOf = bad;
        var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", "none"), ("Dock:ReleasePolicy", "AfterLocalVerify"),
            ("Dock:ClipRetryAfter", "00:00:00.200"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 7);
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Kind == "clip-stuck" && a.ClipId == bad),
                "the failing clip alerted as stuck");
            recorder.Faults.FailReadsOf = null; // The camera is repaired: the clip comes in at its next try.
            await DockHarness.ReleasedAsync(activity, 8);
            await host.StopAsync();
        }
        Assert.Empty(recorder.Clips);
        var alerts = await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None);
        Assert.Contains(alerts, a => a.Kind == "clip-stuck" && a.ClipId == bad && !a.IsOpen);
    }

    [Fact]
    public async Task CorruptedListingHash_IsCorrectedByTheNextListing_AndAnIdReusedAfterRelease_IsPulledAsNewFootage()
    {
        await using var harness = DockHarness.Create();
        bool corrupt = true;
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 20_000, MaxClipSize = 30_000,
            SessionOptions = new DeviceSessionOptions
            {
                // A CRC-valid CLIP_LIST entry whose sha256 is wrong (first docking only).
                Rewrite = (request, reply) => request is ListClips && reply is ClipList page && Volatile.Read(ref corrupt) && page.Clips.Count > 0
                    ? page with { Clips = [page.Clips[0] with { Sha256 = Enumerable.Repeat((byte)0x11, 32).ToArray() }, .. page.Clips.Skip(1)] }
                    : reply,
            },
        });
        var recorder = fleet.Endpoints[0].Recorder;
        (string, string)[] local = [("Dock:Cloud:Target", "none"), ("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:MaxPullAttempts", "1")];
        var (host, activity) = await harness.StartDockAsync(local);
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            // Its CLIP_INFO (genuine) contradicts the listing: that clip is refused this docking, the other comes in.
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)).Any(a => a.Kind == "clip-refused"),
                "the clip listed with a wrong hash refused");
            await host.StopAsync();
        }
        Volatile.Write(ref corrupt, false);
        (host, activity) = await harness.StartDockAsync(local);
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }
        Assert.Empty(recorder.Clips);
        var catalog = await harness.CatalogAsync();
        Assert.Contains(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "clip-hash-changed");

        // The camera's card is cleared and its numbering starts again: the same id, new footage.
        var reused = (await catalog.Clips.ListClipsAsync(null, CancellationToken.None))[0];
        recorder.AddClip(SimulatedClip.Synthetic(reused.ClipId, 25_000, 99, reused.DeviceStart.AddDays(1), reused.DeviceEnd.AddDays(1), ClipFlags.None));
        (host, activity) = await harness.StartDockAsync(local);
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }
        Assert.Empty(recorder.Clips);
        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(ClipState.Released, r.State));
        Assert.Contains(rows, r => r.ClipId == reused.ClipId + "~2" && r.DeviceClipId == reused.ClipId);
        Assert.Equal(3, harness.VaultClips().Count);
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        Assert.Single(events, e => e.Kind == CustodyEventKind.Released && e.ClipId == reused.ClipId + "~2");
    }

    /// <summary>Flags (R11 priority, overwrite protection) altered between the camera and the dock: the v1.1 record-time signature
    /// covers them, so the clips are held; a v1 signature does not, so they come in and custody says what it left unproven.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task FlagsAlteredAfterRecording_V11SignatureCatchesIt_V1SignatureIsRecordedAsCoveringLess(bool v11)
    {
        await using var harness = DockHarness.Create();
        static ClipSummary Alter(ClipSummary c) => c with { Flags = c.Flags ^ ClipFlags.Mandatory };
        await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 20_000, MaxClipSize = 20_000, SignsV11 = v11,
            SessionOptions = new DeviceSessionOptions
            {
                Rewrite = (request, reply) => reply switch
                {
                    ClipList page => page with { Clips = [.. page.Clips.Select(Alter)] },
                    ClipInfo info => info with { Clip = Alter(info.Clip) },
                    _ => reply,
                },
            },
        });
        var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", "none"), ("Dock:ReleasePolicy", "AfterLocalVerify"));
        using (host)
        {
            if (v11)
                await harness.WaitForCatalogAsync(async c => (await c.Clips.ListClipsAsync(null, CancellationToken.None)).Count(r => r.Hold == ClipHold.BadRecordSignature) == 2,
                    "both clips held for their signature");
            else await DockHarness.ReleasedAsync(activity, 2);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var events = await EnrolmentTests.EventsAsync(catalog);
        if (v11)
        {
            Assert.DoesNotContain(events, e => e.Kind is CustodyEventKind.SignatureVerified or CustodyEventKind.Released);
            Assert.All(await catalog.Clips.ListClipsAsync(null, CancellationToken.None), r => Assert.Contains("flags or officer", r.LastError ?? "", StringComparison.Ordinal));
        }
        else
        {
            var verified = events.Where(e => e.Kind == CustodyEventKind.SignatureVerified).ToList();
            Assert.Equal(2, verified.Count);
            Assert.All(verified, e => Assert.Contains("not the flags or the officer", e.Detail, StringComparison.Ordinal));
            var trust = await harness.TrustPemAsync();
            var row = (await catalog.Clips.ListClipsAsync(null, CancellationToken.None))[0];
            var (code, stdout, _) = await DockHarness.RunDockAsync("verify", Path.Combine(harness.DataDirectory, row.VaultPath!), "--trust", trust);
            Assert.True(code == 0, stdout);
            Assert.Contains("the flags and officer are not covered", stdout, StringComparison.Ordinal);
        }
    }
}
