using System.Diagnostics;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Service.Vault;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// The outside harness, inside the suite: `dock run` killed with SIGKILL at random moments while it pulls, uploads and
/// releases, again and again, then a last clean run. What is counted comes from outside the dock: each recorder's own
/// record of the clips it still holds and of every release it answered (dock-sim --state-dir), the bytes in the vault
/// and in the cloud folder. Checked after every kill and at the end: no clip lost, none released before its cloud copy
/// verified, none twice in the cloud; every clip gone from a recorder has its custody entry; the log verifies.
/// </summary>
public sealed class CrashConsistencyTests(ITestOutputHelper output)
{
    private sealed record Original(string Serial, string ClipId, long Size, string Sha256, string CloudKey);

    [Fact]
    public async Task RepeatedSigkillDuringPullsUploadsAndReleases_NothingLostNothingEarlyCustodyComplete()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("DOCK_CRASH_SEED"), out var fixedSeed) ? fixedSeed : Environment.TickCount;
        output.WriteLine($"seed {seed} (DOCK_CRASH_SEED={seed} repeats this run's kill times)");
        var random = new Random(seed);
        await using var harness = DockHarness.Create();
        var state = Path.Combine(harness.DataDirectory, "recorder-state");
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 3, ClipsPerRecorder = 4, MinClipSize = 1_000_000, MaxClipSize = 9_000_000, ThrottleMBps = 15, StateDirectory = state,
            // A recorder that takes a moment between deleting and answering widens the window the custody gap hid in.
            Faults = f => f.ReleaseDelay = TimeSpan.FromMilliseconds(150),
        });
        var originals = fleet.Endpoints.SelectMany(e => e.Recorder.Clips.Select(c => new Original(e.Recorder.Serial, c.ClipId, c.Size,
            Sha256.ToHex(c.Sha256), ObjectLayout.Clip("", c.Start, e.Recorder.Serial, c.ClipId)))).ToList();
        var cloud = Path.Combine(harness.DataDirectory, "cloud");
        // Uploads as slow as the recorders, so kills land in uploads as well as in pulls.
        var args = harness.RunArguments(("Dock:Cloud:MaxMBps", "15"), ("Dock:CheckpointBytes", "1MiB"));

        const int Kills = 8;
        int duringPulls = 0, duringUploads = 0, duringReleases = 0;
        for (int kill = 0; kill < Kills; kill++)
        {
            using var dock = DockHarness.StartDockProcess(args, redirect: false);
            await Task.Delay(random.Next(700, 2500));
            dock.Kill(entireProcessTree: true);
            await dock.WaitForExitAsync();
            var held = HeldByRecorders(state);
            var inCloud = CloudCopies(cloud, originals);
            var inVault = originals.Where(o => File.Exists(Path.Combine(harness.DataDirectory, ClipVault.RelativeFinalPath(o.Serial, o.ClipId)))).ToList();
            // What was going on when it died: clips not yet in the vault (pulls), in the vault not yet in the cloud (uploads),
            // in the cloud but still on a recorder (releases).
            if (inVault.Count < originals.Count) duringPulls++;
            if (inVault.Any(o => !inCloud.Contains((o.Serial, o.ClipId)))) duringUploads++;
            if (originals.Any(o => inCloud.Contains((o.Serial, o.ClipId)) && held.Contains((o.Serial, o.ClipId)))) duringReleases++;
            AssertNothingLostNothingEarly(originals, held, harness.DataDirectory, cloud, $"after kill {kill + 1} (seed {seed})");
        }

        using (var dock = DockHarness.StartDockProcess(args, redirect: true))
        {
            var dockOut = dock.StandardOutput.ReadToEndAsync();
            var dockErr = dock.StandardError.ReadToEndAsync();
            await harness.WaitUntilRunningAsync(dock);
            await harness.RecordersEmptyAsync();
            var clock = Stopwatch.StartNew();
            // The last release answers are settled as the recorders are re-listed; wait for the custody record of every one.
            while ((await EnrolmentTests.EventsAsync(await harness.CatalogAsync())).Count(e => e.Kind == CustodyEventKind.Released) < originals.Count)
            {
                Assert.True(clock.Elapsed < DockHarness.Limit, "not every release was recorded");
                await Task.Delay(200);
            }
            await DockHarness.TerminateAsync(dock);
            Assert.True(dock.ExitCode == 0, $"exit {dock.ExitCode}: {(await dockOut)[^Math.Min(4000, (await dockOut).Length)..]}{await dockErr}");
        }

        var heldAtEnd = HeldByRecorders(state);
        Assert.Empty(heldAtEnd);
        AssertNothingLostNothingEarly(originals, heldAtEnd, harness.DataDirectory, cloud, "at the end");
        Assert.Equal(originals.Count, CloudCopies(cloud, originals).Count);
        // No clip object is left half-written. A checkpoint put cut by a kill can leave its temporary file under custody/: the
        // uploader puts the newest checkpoint only, so that size is never put again (the complete newer one supersedes it).
        Assert.DoesNotContain(Directory.GetFiles(cloud, "*" + FileTarget.TemporarySuffix, SearchOption.AllDirectories),
            f => !Path.GetRelativePath(cloud, f).StartsWith("custody" + Path.DirectorySeparatorChar, StringComparison.Ordinal));

        // Custody, from the log alone: every clip gone from its recorder has its released entry (once), after its cloud-verified one;
        // every deletion the recorders report was asked for first.
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        var releases = RecorderStateFiles.ReadReleases(Path.Combine(state, "releases.jsonl"));
        foreach (var clip in originals)
        {
            var mine = events.Where(e => e.RecorderSerial == clip.Serial && e.ClipId == clip.ClipId).ToList();
            var released = Assert.Single(mine, e => e.Kind == CustodyEventKind.Released);
            Assert.Contains(mine, e => e.Kind == CustodyEventKind.CloudVerified && e.Index < released.Index);
            var deleted = Assert.Single(releases, r => r.Serial == clip.Serial && r.Clip == clip.ClipId && r.Outcome == "deleted");
            Assert.Contains(mine, e => e.Kind == CustodyEventKind.ReleaseRequested && e.At <= deleted.At);
            Assert.DoesNotContain(mine, e => e.Kind == CustodyEventKind.Missing);
        }
        var (code, verify, _) = await DockHarness.RunDockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(code == 0, verify);

        output.WriteLine($"{Kills} SIGKILLs: {duringPulls} with pulls under way, {duringUploads} with uploads under way, {duringReleases} with releases due; " +
            $"{originals.Count} clips ({originals.Sum(o => o.Size):N0} bytes); {releases.Count} release answers by the recorders " +
            $"({releases.Count(r => r.Outcome == "deleted")} deleted, {releases.Count(r => r.Outcome == "no-such-clip")} already gone); " +
            $"{events.Count} custody entries; 0 lost, 0 released early, 0 duplicates, every release in custody.");
    }

    /// <summary>(serial, clip) of every clip the recorders say they still hold (their own files, written before they answer).</summary>
    private static HashSet<(string, string)> HeldByRecorders(string stateDirectory) =>
        Directory.GetFiles(stateDirectory, "*.json").SelectMany(f => RecorderStateFiles.Read(f) is var s ? s.Clips.Select(c => (s.Serial, c.Id)) : [])
            .ToHashSet();

    /// <summary>Clips whose cloud object holds exactly their bytes.</summary>
    private static HashSet<(string, string)> CloudCopies(string cloud, IEnumerable<Original> originals)
    {
        var copies = new HashSet<(string, string)>();
        foreach (var clip in originals)
        {
            var path = FileTarget.PathOf(cloud, clip.CloudKey);
            if (File.Exists(path) && new FileInfo(path).Length == clip.Size && Sha256.ToHex(Sha256.Hash(File.ReadAllBytes(path))) == clip.Sha256)
                copies.Add((clip.Serial, clip.ClipId));
        }
        return copies;
    }

    /// <summary>
    /// Every clip is somewhere: still on its recorder, or (when the recorder no longer holds it) verified in the cloud: a
    /// recorder deletes only on the dock's release, and the dock releases only after the cloud copy verified.
    /// </summary>
    private static void AssertNothingLostNothingEarly(IReadOnlyList<Original> originals, HashSet<(string, string)> held, string data, string cloud,
        string when)
    {
        var inCloud = CloudCopies(cloud, originals);
        foreach (var clip in originals)
        {
            if (held.Contains((clip.Serial, clip.ClipId))) continue;
            Assert.True(inCloud.Contains((clip.Serial, clip.ClipId)), $"{when}: {clip.Serial}/{clip.ClipId} left its recorder without a verified cloud copy");
            var vault = Path.Combine(data, ClipVault.RelativeFinalPath(clip.Serial, clip.ClipId));
            Assert.True(File.Exists(vault), $"{when}: {clip.Serial}/{clip.ClipId} left its recorder and is not in the vault");
        }
        // No clip twice in the cloud: every object under clips/ is one of the originals.
        var clipObjects = Directory.Exists(Path.Combine(cloud, "clips"))
            ? Directory.GetFiles(Path.Combine(cloud, "clips"), "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(FileTarget.MetaSuffix, StringComparison.Ordinal)
                && !f.EndsWith(FileTarget.TemporarySuffix, StringComparison.Ordinal)).ToList()
            : [];
        var expected = originals.Select(o => FileTarget.PathOf(cloud, o.CloudKey)).ToHashSet();
        Assert.All(clipObjects, f => Assert.Contains(f, expected));
    }
}
