using System.Diagnostics;
using Dock.EndToEnd.Tests.Support;
using Dock.Simulator.Recorders;

namespace Dock.EndToEnd.Tests;

/// <summary>The `dock-sim` executable: its fault flags and its state files, as an outside tester uses them.</summary>
public sealed class DockSimTests
{
    internal static Process StartSim(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dock-sim.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start dock-sim");
    }

    [Fact]
    public async Task Help_ListsEveryFaultFlag()
    {
        using var sim = StartSim("--help");
        var help = await sim.StandardOutput.ReadToEndAsync();
        await sim.WaitForExitAsync().WaitAsync(DockHarness.Limit);
        foreach (var flag in new[] { "--disconnect-after", "--corrupt-every", "--stall-after", "--link-rate", "--release-delay", "--keep-on-release", "--hostile",
            "--bad-hash", "--bad-signature", "--time-offset", "--state-dir" })
            Assert.Contains(flag, help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--corrupt-every", "lots")]
    [InlineData("--link-rate", "0")]
    [InlineData("--release-delay", "-5")]
    [InlineData("--bad-hash", "-1")]
    public async Task BadFaultValue_ExitsTwoWithAMessage(string flag, string value)
    {
        using var sim = StartSim(flag, value, "--recorders", "1", "--clips", "1");
        var stderr = await sim.StandardError.ReadToEndAsync();
        await sim.WaitForExitAsync().WaitAsync(DockHarness.Limit);
        Assert.Equal(2, sim.ExitCode);
        Assert.Contains(flag, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepOnReleaseWithStateDir_TheDockReleasesNothing_AndTheStateFilesSayWhatTheRecorderDid()
    {
        await using var harness = DockHarness.Create();
        var work = Path.Combine(harness.DataDirectory, "sim");
        Directory.CreateDirectory(work);
        var state = Path.Combine(work, "state");
        using var sim = StartSim("--recorders", "1", "--clips", "2", "--clip-size", "200KB", "--agency-key", Path.Combine(work, "agency.key"),
            "--enrolment-file", Path.Combine(work, "recorders.txt"), "--keep-on-release", "--time-offset", "-3600", "--bad-hash", "1", "--state-dir", state);
        try
        {
            // The simulator prints its bays once it serves them.
            string? bays = null;
            while (await sim.StandardOutput.ReadLineAsync().WaitAsync(DockHarness.Limit) is { } line)
            {
                if (line.Contains("--Dock:Bays:0:Endpoint=", StringComparison.Ordinal)) bays = line.Trim();
                if (line.StartsWith("Serving", StringComparison.Ordinal)) break;
            }
            Assert.NotNull(bays);
            var serial = RecorderStateFiles.Read(Directory.GetFiles(state, "*.json").Single()).Serial;
            Assert.Equal(2, RecorderStateFiles.Read(Path.Combine(state, serial + ".json")).Clips.Count);

            Assert.Equal(0, (await DockHarness.RunDockAsync("keys", "endorse", "--agency-key", Path.Combine(work, "agency.key"), "--data", harness.DataDirectory)).ExitCode);
            Assert.Equal(0, (await DockHarness.RunDockAsync("recorders", "enroll", "--file", Path.Combine(work, "recorders.txt"), "--data", harness.DataDirectory)).ExitCode);
            string[] run = ["run", "--data", harness.DataDirectory, "--Dock:ReleasePolicy=AfterLocalVerify", "--Dock:Cloud:Target=none", .. bays!.Split(' ')];
            using var dock = DockHarness.StartDockProcess(run, redirect: false);
            var clock = Stopwatch.StartNew();
            var releases = Path.Combine(state, "releases.jsonl");
            while (RecorderStateFiles.ReadReleases(releases).Count < 1)
            {
                Assert.True(clock.Elapsed < DockHarness.Limit, "no release answered");
                await Task.Delay(100);
            }
            await DockHarness.TerminateAsync(dock);

            // One clip's recorded hash was wrong (--bad-hash 1): quarantined, never released. The other was asked for and kept.
            var answered = Assert.Single(RecorderStateFiles.ReadReleases(releases));
            Assert.Equal("kept", answered.Outcome);
            Assert.Equal(2, RecorderStateFiles.Read(Path.Combine(state, serial + ".json")).Clips.Count);
            var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
            Assert.DoesNotContain(rows, r => r.State == Dock.Service.Catalog.ClipState.Released);
            var sessions = await (await harness.CatalogAsync()).Docking.ListSessionsAsync(CancellationToken.None);
            Assert.InRange(sessions[0].ClockOffsetMs!.Value, -3_610_000, -3_590_000); // --time-offset -3600
        }
        finally
        {
            sim.Kill(entireProcessTree: true);
            await sim.WaitForExitAsync();
        }
    }
}
