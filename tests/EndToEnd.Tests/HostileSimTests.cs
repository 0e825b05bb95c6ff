using System.Diagnostics;
using Dock.EndToEnd.Tests.Support;
using Dock.Simulator.Recorders;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// `dock run` with a hostile recorder (`dock-sim --hostile`: well-formed, absurd answers) in one bay and an honest one in the
/// other: the dock stays under 200 MB, ingests the honest recorder in full meanwhile, and writes nothing outside its vault.
/// </summary>
public sealed class HostileSimTests(ITestOutputHelper output)
{
    private static async Task<string> BaysAsync(Process sim)
    {
        string? bays = null;
        while (await sim.StandardOutput.ReadLineAsync().WaitAsync(DockHarness.Limit) is { } line)
        {
            if (line.Contains("--Dock:Bays:0:Endpoint=", StringComparison.Ordinal)) bays = line.Trim();
            if (line.StartsWith("Serving", StringComparison.Ordinal)) break;
        }
        return bays ?? throw new InvalidOperationException($"dock-sim printed no bays: {await sim.StandardError.ReadToEndAsync()}");
    }

    [Fact]
    public async Task HostileRecorderBesideAnHonestOne_DockStaysBounded_HonestOneIngested_NothingOutsideTheVault()
    {
        await using var harness = DockHarness.Create();
        var work = Directory.CreateTempSubdirectory("dock-hostile-sim-").FullName;
        var agency = Path.Combine(work, "agency.key");
        var state = Path.Combine(work, "state");
        using var honest = DockSimTests.StartSim("--recorders", "1", "--clips", "6", "--clip-size", "1MB-3MB", "--agency-key", agency,
            "--enrolment-file", Path.Combine(work, "honest.txt"), "--state-dir", state);
        // Started after the honest one has made the agency key both trust.
        var honestBay = await BaysAsync(honest);
        using var hostile = DockSimTests.StartSim("--recorders", "1", "--clips", "6", "--clip-size", "1MB", "--agency-key", agency,
            "--enrolment-file", Path.Combine(work, "hostile.txt"), "--hostile", "--first-serial", "2", "--seed", "11");
        Process? dock = null;
        try
        {
            var hostileBay = (await BaysAsync(hostile)).Replace("Bays:0:", "Bays:1:", StringComparison.Ordinal).Replace("Id=1", "Id=2", StringComparison.Ordinal);
            Assert.Equal(0, (await DockHarness.RunDockAsync("keys", "endorse", "--agency-key", agency, "--data", harness.DataDirectory)).ExitCode);
            foreach (var file in new[] { "honest.txt", "hostile.txt" })
                Assert.Equal(0, (await DockHarness.RunDockAsync("recorders", "enroll", "--file", Path.Combine(work, file), "--data", harness.DataDirectory)).ExitCode);

            string[] run = ["run", "--data", harness.DataDirectory, "--Dock:ReleasePolicy=AfterLocalVerify", "--Dock:Cloud:Target=none",
                "--Dock:ReconnectInterval=00:00:00.200", .. honestBay.Split(' '), .. hostileBay.Split(' ')];
            dock = DockHarness.StartDockProcess(run, redirect: true);
            var logs = dock.StandardOutput.ReadToEndAsync();
            var errors = dock.StandardError.ReadToEndAsync();
            var serial = RecorderStateFiles.Read(Directory.GetFiles(state, "*.json").Single()).Serial;
            var clock = Stopwatch.StartNew();
            TimeSpan? honestDone = null;
            long peakKb = 0;
            // The honest recorder empties while the hostile one is served; then the hostile bay keeps going for a while longer.
            while (clock.Elapsed < TimeSpan.FromSeconds(25) || honestDone is null)
            {
                Assert.True(clock.Elapsed < DockHarness.Limit, "the honest recorder was not ingested beside the hostile one");
                Assert.False(dock.HasExited, $"dock exited {(dock.HasExited ? dock.ExitCode : 0)}");
                peakKb = Math.Max(peakKb, Dock.Tools.Bench.IngestBenchmark.ReadPeakRss(dock.Id) / 1024);
                if (honestDone is null && RecorderStateFiles.Read(Path.Combine(state, serial + ".json")).Clips.Count == 0) honestDone = clock.Elapsed;
                await Task.Delay(250);
            }
            peakKb = Math.Max(peakKb, Dock.Tools.Bench.IngestBenchmark.ReadPeakRss(dock.Id) / 1024);
            dock.Refresh();
            double cpu = dock.TotalProcessorTime.TotalSeconds;
            await DockHarness.TerminateAsync(dock);
            var log = await logs + await errors;
            output.WriteLine($"honest recorder (6 clips) emptied after {honestDone!.Value.TotalSeconds:0.0} s beside the hostile one; dock over " +
                $"{clock.Elapsed.TotalSeconds:0} s: peak RSS {peakKb / 1024.0:0} MB, {cpu:0.0} CPU-s ({cpu / clock.Elapsed.TotalSeconds:0.00} of a core)");
            // What the hostile recorder made the dock say, one line per kind of message.
            foreach (var said in log.Split('\n').Where(l => l.Contains("ALERT", StringComparison.Ordinal) || l.Contains("broke", StringComparison.Ordinal))
                .Select(l => l.Length > 160 ? l[..160] : l).GroupBy(l => l.Length > 60 ? l[..60] : l).Take(20))
                output.WriteLine($"  {said.Count()} × {said.First().Trim()}");
            Assert.True(dock.ExitCode == 0, $"exit {dock.ExitCode}: {log[^Math.Min(3000, log.Length)..]}");
            Assert.True(peakKb < 200 * 1024, $"peak RSS {peakKb / 1024} MB");
            Assert.DoesNotContain("crit", log, StringComparison.OrdinalIgnoreCase);

            // Nothing a recorder named landed outside vault/: every other file in the data folder is one the dock names itself.
            string[] dockOwned = ["catalog.db", "catalog.db-wal", "catalog.db-shm", "dock.lock", "dock.lock.owner", "endorsement.json"];
            foreach (var file in Directory.EnumerateFiles(harness.DataDirectory, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(harness.DataDirectory, file).Replace('\\', '/');
                bool ok = relative.StartsWith("vault/", StringComparison.Ordinal) || relative.StartsWith("custody/", StringComparison.Ordinal)
                    || relative.StartsWith("keys/", StringComparison.Ordinal) || dockOwned.Contains(relative);
                Assert.True(ok, $"unexpected file {relative}");
            }
            var vault = Path.Combine(harness.DataDirectory, "vault");
            foreach (var file in Directory.EnumerateFiles(vault, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(vault, file).Replace('\\', '/');
                Assert.True(relative == "LAYOUT" || relative.StartsWith("clips/", StringComparison.Ordinal) || relative.StartsWith("manifests/", StringComparison.Ordinal)
                    || relative.StartsWith("partial/", StringComparison.Ordinal) || relative.StartsWith("quarantine/", StringComparison.Ordinal), $"unexpected vault file {relative}");
            }
        }
        finally
        {
            if (dock is { HasExited: false }) dock.Kill(entireProcessTree: true);
            foreach (var sim in new[] { honest, hostile })
            {
                sim.Kill(entireProcessTree: true);
                await sim.WaitForExitAsync();
            }
            Directory.Delete(work, recursive: true);
        }
    }
}
