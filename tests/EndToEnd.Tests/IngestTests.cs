using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>The whole path — simulated recorder → DockLink → dock → vault + catalog — on real sockets, files and SQLite.</summary>
public sealed class IngestTests
{
    [Fact]
    public async Task VaultDiskTooFullForAClip_NotPulled_BaySaysSo_RecorderKeepsEverything()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000 });
        // A reserve larger than this disk's free space: the same as a recorder claiming a clip bigger than the disk.
        long reserve = new DriveInfo(harness.DataDirectory).AvailableFreeSpace + (1L << 30);
        var (host, activity) = await harness.StartDockAsync(("Dock:VaultReserveBytes", reserve.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.Bays.Any(b => b.Phase == Dock.Service.Ingest.BayPhase.Error && b.Message is not null), CancellationToken.None)
                .WaitAsync(DockHarness.Limit);
            Assert.Contains("not pulled: the vault's disk has", Assert.Single(activity.Bays).Message, StringComparison.Ordinal);
            await host.StopAsync();
        }
        Assert.Equal(2, fleet.Endpoints[0].Recorder.Clips.Count);
        Assert.Equal([Path.Combine(harness.DataDirectory, "vault", "LAYOUT")], Directory.GetFiles(Path.Combine(harness.DataDirectory, "vault"), "*", SearchOption.AllDirectories));
        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Contains(rows, r => r.LastError?.Contains("stays on the recorder", StringComparison.Ordinal) == true);
        Assert.All(rows, r => Assert.Equal(ClipState.Announced, r.State));
    }

    [Fact]
    public async Task Ingest_FourRecordersOverTcp_EveryClipStoredVerifiedAndReleased()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 4, ClipsPerRecorder = 5, MinClipSize = 100_000, MaxClipSize = 3_000_000 });
        var expected = fleet.Endpoints.SelectMany(e => e.Recorder.Clips.Select(c => (e.Recorder.Serial, c.ClipId, Sha: Sha256.ToHex(c.Sha256), c.Size))).ToList();

        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 20);
            await host.StopAsync();
        }

        var catalog = await harness.CatalogAsync();
        var rows = await catalog.Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(expected.Count, rows.Count);
        foreach (var (serial, clipId, sha, size) in expected)
        {
            var row = Assert.Single(rows, r => r.RecorderSerial == serial && r.ClipId == clipId);
            Assert.Equal(ClipState.Released, row.State);
            Assert.Equal(sha, row.DeviceSha256);
            Assert.Equal(sha, row.StoredSha256);
            var path = Path.Combine(harness.DataDirectory, row.VaultPath!);
            Assert.Equal(size, new FileInfo(path).Length);
            Assert.Equal(sha, Sha256.ToHex(await Sha256.HashFileAsync(path)));
        }
        Assert.Equal(20, activity.ClipsReleased);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(harness.DataDirectory, "vault", "partial"), "*", SearchOption.AllDirectories));
        var sessions = await catalog.Docking.ListSessionsAsync(CancellationToken.None);
        Assert.Equal(4, sessions.Count);
        Assert.All(sessions, s => Assert.NotNull(s.ClockOffsetMs));
        Assert.True((await catalog.Docking.ListBatterySamplesAsync(CancellationToken.None)).Count >= 4);
    }

    [Fact]
    public async Task Ingest_LinkCutAtRandomByte_ResumesFromDurableOffsetWithOneCorrectCopy()
    {
        const long Size = 32L << 20;
        int seed = Environment.TickCount;
        long cutAt = new Random(seed).NextInt64(12L << 20, 28L << 20);
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = Size, MaxClipSize = Size });
        var recorder = fleet.Endpoints[0].Recorder;
        var clip = recorder.Clips[0];
        recorder.Faults.DisconnectAfter(cutAt);

        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }

        var catalog = await harness.CatalogAsync();
        var row = Assert.Single(await catalog.Clips.ListClipsAsync(null, CancellationToken.None));
        Assert.Equal(ClipState.Released, row.State);
        Assert.Equal(Sha256.ToHex(clip.Sha256), Sha256.ToHex(await Sha256.HashFileAsync(Path.Combine(harness.DataDirectory, row.VaultPath!))));
        Assert.Single(harness.VaultClips());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(harness.DataDirectory, "vault", "partial"), "*", SearchOption.AllDirectories));
        // The cut link and the resumed one are one docking with an interruption (a flapping recorder writes no row per reconnect).
        var session = Assert.Single(await catalog.Docking.ListSessionsAsync(CancellationToken.None));
        Assert.Contains("rejoined after: ended by error", session.EndReason, StringComparison.Ordinal);
        // Resumed, not restarted: at most the read window (8 × 256 KiB) and one chunk were served twice.
        long reserved = recorder.BytesServed - Size;
        Assert.True(reserved <= (9 * 256 * 1024), $"seed {seed}: cut at {cutAt}, {reserved} bytes served twice");
    }

    [Fact]
    public async Task Ingest_RecorderSendsCorruptBytes_BadCopyQuarantinedAndClipPulledAgain()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 2_000_000, MaxClipSize = 2_000_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        var expected = recorder.Clips.ToDictionary(c => c.ClipId, c => Sha256.ToHex(c.Sha256));
        recorder.Faults.CorruptDataAfter(1_000_000); // Valid frame CRCs, wrong bytes: only SHA-256 can tell.

        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await host.StopAsync();
        }

        Assert.Equal(1, activity.HashMismatches);
        var catalog = await harness.CatalogAsync();
        var rows = await catalog.Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.All(rows, r =>
        {
            Assert.Equal(ClipState.Released, r.State);
            Assert.Equal(expected[r.ClipId], r.StoredSha256);
        });
        var bad = Assert.Single(Directory.EnumerateFiles(Path.Combine(harness.DataDirectory, "vault", "quarantine"), "*.bad", SearchOption.AllDirectories));
        Assert.NotEqual(expected.Values.First(), Sha256.ToHex(await Sha256.HashFileAsync(bad)));
        var retried = Assert.Single(rows, r => r.Attempts == 1);
        var history = await catalog.Clips.ClipHistoryAsync(retried.Id, CancellationToken.None);
        Assert.Contains(history, e => e.Detail?.Contains("quarantined copy", StringComparison.Ordinal) == true);
        Assert.Equal(ClipState.Released, history[^1].State);
    }

    [Fact]
    public async Task Ingest_EveryPullCorrupt_QuarantinedAfterTheLastAttempt_AlertRaised_ClipStaysOnTheRecorder()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 600_000, MaxClipSize = 600_000, Faults = f => f.CorruptEvery(500_000),
        });
        var (host, activity) = await harness.StartDockAsync(("Dock:MaxPullAttempts", "2"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.Bays.Any(b => b.Finished), CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        Assert.Equal(2, activity.HashMismatches);
        var catalog = await harness.CatalogAsync();
        var row = Assert.Single(await catalog.Clips.ListClipsAsync(null, CancellationToken.None));
        Assert.Equal(ClipState.Quarantined, row.State);
        var alert = Assert.Single(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "quarantined");
        Assert.Equal(row.ClipId, alert.ClipId);
        Assert.Contains("none of 2 pulls", alert.Message, StringComparison.Ordinal);
        Assert.Single(fleet.Endpoints[0].Recorder.Clips);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(harness.DataDirectory, "vault", "quarantine"), "*.bad", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Ingest_ReleasePolicyNever_ClipsVerifiedButLeftOnRecorder()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 400_000 });

        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.Bays.Count == 2 && a.Bays.All(b => b.Finished), CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }

        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(ClipState.Verified, r.State));
        Assert.All(fleet.Endpoints, e => Assert.Equal(2, e.Recorder.Clips.Count));
    }

    [Fact]
    public async Task Ingest_SerialRecordersOverPty_EveryClipVerifiedAndReleased()
    {
        if (!OperatingSystem.IsLinux()) return; // Pseudo-terminals are the Linux stand-in for CDC-ACM ports.
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 300_000, Transport = SimulatedTransport.Serial,
        });
        Assert.All(fleet.Endpoints, e => Assert.StartsWith("serial:///dev/pts/", e.Address, StringComparison.Ordinal));

        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 4);
            await host.StopAsync();
        }

        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.DeviceSha256, r.StoredSha256));
    }
}
