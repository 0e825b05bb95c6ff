using System.Text.Json;
using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>The `dock` executable as a user or a service manager runs it.</summary>
public sealed class ProcessTests
{
    [Fact]
    public async Task Run_ProcessKilledDuringPull_RestartCompletesWithoutDuplicatesOrRestartFromZero()
    {
        const long Size = 48L << 20;
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = Size, MaxClipSize = Size, ThrottleMBps = 8,
        });
        var recorder = fleet.Endpoints[0].Recorder;
        var expected = recorder.Clips.ToDictionary(c => c.ClipId, c => Sha256.ToHex(c.Sha256));
        var args = new List<string> { "run", "--data", harness.DataDirectory, "--Dock:CheckpointBytes=4194304" };
        args.AddRange(harness.Overrides().Where(kv => kv.Key.StartsWith("Dock:Bays", StringComparison.Ordinal)).Select(kv => $"--{kv.Key}={kv.Value}"));

        using (var first = DockHarness.StartDockProcess(args, redirect: false))
        {
            // The first clip released (its cloud copy verified) and the second 24 MiB in, then SIGKILL: no chance to flush or say goodbye.
            // (At 8 MB/s the second clip takes 6 s: time for the first one's upload and release on a loaded machine.)
            await recorder.WaitUntilAsync(r => r.Clips.Count == 1 && r.BytesServed >= Size + (24L << 20), CancellationToken.None).WaitAsync(DockHarness.Limit);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
        Assert.Single(recorder.Clips);
        long servedBeforeRestart = recorder.BytesServed;
        Assert.True(servedBeforeRestart < 2 * Size, $"killed after the second clip was whole ({servedBeforeRestart} bytes served)");

        using (var second = DockHarness.StartDockProcess(args, redirect: false))
        {
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(second);
            Assert.Equal(0, second.ExitCode);
        }

        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(2, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(ClipState.Released, row.State);
            Assert.Equal(expected[row.ClipId], Sha256.ToHex(await Sha256.HashFileAsync(Path.Combine(harness.DataDirectory, row.VaultPath!))));
        }
        Assert.Equal(2, harness.VaultClips().Count);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(harness.DataDirectory, "vault", "partial"), "*", SearchOption.AllDirectories));
        // The second clip resumed from its last checkpoint (4 MiB apart), not from zero (24 MiB would be served again).
        long servedAgain = recorder.BytesServed - 2 * Size;
        Assert.True(servedAgain < 12L << 20, $"{servedAgain} bytes served twice; {servedBeforeRestart} before the restart");
    }

    [Theory]
    [InlineData("--Dock:Bays:0:Endpoint=ftp://nowhere", "Dock:Bays:0:Endpoint")]
    [InlineData("--Dock:Bays:0:Endpoint=tcp://127.0.0.1:99999", "Dock:Bays:0:Endpoint")]
    [InlineData("--Dock:Bays:0:Endpoint=tcp://127.0.0.1", "port 1-65535")]
    [InlineData("--Dock:MaxConcurrentPulls=0", "Dock:MaxConcurrentPulls")]
    [InlineData("--Dock:MaxConcurrentPulls=lots", "MaxConcurrentPulls")]
    [InlineData("--Dock:Link:ReadChunkSize=9999999", "Dock:Link:ReadChunkSize")]
    [InlineData("--Dock:Cloud:Target=ftp://somewhere/x", "Dock:Cloud:Target")]
    [InlineData("--Dock:Cloud:Target=s3://AKIA:hunter2@evidence/x", "credentials come from the environment")]
    [InlineData("--Dock:Cloud:Blackout:0=7-9", "Dock:Cloud:Blackout:0")]
    [InlineData("--Dock:Cloud:PartSize=1000", "Dock:Cloud:PartSize")]
    [InlineData("--Dock:Cloud:Target=none", "recorders would never be released")]
    [InlineData("--Dock:Bays:0:UsbPort=1-1.3", "has both Endpoint and UsbPort")]
    [InlineData("--Dock:MaxConcurentPulls=8", "did you mean Dock:MaxConcurrentPulls?")]
    [InlineData("--Dock:Bays:1:Id=2", "is also Dock:Bays:0's")] // with the same endpoint: --Dock:Bays:1:Endpoint below
    [InlineData("--Dock:CheckpointBytes=lots", "is not a size; use e.g. 1048576, 1MiB")]
    [InlineData("--Dock:Identity:KeyFile=.", "is a folder; it must name the key file")]
    public async Task Run_BadConfiguration_ExitsTwoNamingTheKey(string bad, string named)
    {
        var data = Path.Combine(Path.GetTempPath(), "dock-badcfg-" + Guid.NewGuid().ToString("N")[..8]);
        string[] args = ["run", "--data", data, "--Dock:Bays:0:Id=1", "--Dock:Bays:0:Endpoint=tcp://127.0.0.1:7001", bad,
            .. bad.StartsWith("--Dock:Bays:1:", StringComparison.Ordinal) ? ["--Dock:Bays:1:Endpoint=tcp://127.0.0.1:7001"] : Array.Empty<string>()];
        var (code, stdout, stderr) = await DockHarness.RunDockAsync(args);

        Assert.Equal(2, code);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal); // One message, not a host stack trace.
        Assert.DoesNotContain("Hosting failed to start", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DataFolderIsAFile_ExitsTwoSayingSo()
    {
        var file = Path.Combine(Path.GetTempPath(), "dock-datafile-" + Guid.NewGuid().ToString("N")[..8]);
        await File.WriteAllTextAsync(file, "not a folder");
        try
        {
            var (code, stdout, stderr) = await DockHarness.RunDockAsync("run", "--data", file, "--Dock:Bays:0:Id=1", "--Dock:Bays:0:Endpoint=tcp://127.0.0.1:7001");
            Assert.Equal(2, code);
            Assert.Contains("is a file, not a folder", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Run_HostThatDoesNotResolve_BaySaysSoOnce_NoStackTrace_StopsCleanly()
    {
        await using var harness = DockHarness.Create();
        using var dock = DockHarness.StartDockProcess(["run", "--data", harness.DataDirectory, "--Dock:Bays:0:Id=1",
            "--Dock:Bays:0:Endpoint=tcp://no-such-recorder.invalid:7001", "--Dock:ReconnectInterval=00:00:00.200"]);
        var stdout = dock.StandardOutput.ReadToEndAsync();
        var stderr = dock.StandardError.ReadToEndAsync();
        await Task.Delay(3000); // Many retries at 0.2 s.
        await DockHarness.TerminateAsync(dock);
        var output = await stdout + await stderr;
        Assert.Equal(0, dock.ExitCode);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("crit:", output, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(output, "does not resolve")); // Logged once, not per retry.
    }

    [Fact]
    public async Task Run_OnlyMassStorageBays_NeedsNoAgencyEndorsement()
    {
        var data = Path.Combine(Path.GetTempPath(), "dock-msonly-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            using var dock = DockHarness.StartDockProcess(["run", "--data", data, "--Dock:Bays:0:Id=1", "--Dock:Bays:0:Driver=MassStorage",
                "--Dock:Bays:0:Endpoint=serial:///dev/no-such-tty", $"--Dock:Bays:0:Volume={Path.Combine(data, "disk")}"]);
            var stdout = dock.StandardOutput.ReadToEndAsync();
            var stderr = dock.StandardError.ReadToEndAsync();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!File.Exists(Path.Combine(data, "catalog.db")) && !dock.HasExited && clock.Elapsed < DockHarness.Limit) await Task.Delay(100);
            await Task.Delay(1000);
            if (dock.HasExited) Assert.Fail($"the dock exited ({dock.ExitCode}): {await stdout}{await stderr}"); // Running: no "dock keys endorse" refusal.
            await DockHarness.TerminateAsync(dock);
            Assert.Equal(0, dock.ExitCode);
            Assert.DoesNotContain("endorse", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Run_BadValueFromEnvironment_ExitsTwoNamingTheKey()
    {
        var data = Path.Combine(Path.GetTempPath(), "dock-envcfg-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, _, stderr) = await DockHarness.RunDockAsync(
            ["run", "--data", data, "--Dock:Bays:0:Id=1", "--Dock:Bays:0:Endpoint=tcp://127.0.0.1:7001"],
            new Dictionary<string, string> { ["Dock__ReleasePolicy"] = "Whenever" });

        Assert.Equal(2, code);
        Assert.Contains("ReleasePolicy", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NoBaysConfigured_ExitsTwoWithExample()
    {
        var (code, _, stderr) = await DockHarness.RunDockAsync("run", "--data", Path.Combine(Path.GetTempPath(), "dock-nobays-" + Guid.NewGuid().ToString("N")[..8]));

        Assert.Equal(2, code);
        Assert.Contains("Dock:Bays is empty", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DockKeyNotEndorsed_ExitsTwoSayingHowToEndorse()
    {
        var data = Path.Combine(Path.GetTempPath(), "dock-unendorsed-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, _, stderr) = await DockHarness.RunDockAsync("run", "--data", data, "--Dock:Bays:0:Id=1", "--Dock:Bays:0:Endpoint=tcp://127.0.0.1:7001");

        Assert.Equal(2, code);
        Assert.Contains("dock keys endorse", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status", "--no-such-option")]
    [InlineData("demo", "--recorders", "0")]
    [InlineData("demo", "--min-clip-size", "ten")]
    [InlineData("demo", "--transport", "floppy")]
    [InlineData("service", "install", "--user", "bad user")]
    [InlineData("service", "install", "--data", "relative/dir")]
    [InlineData("frobnicate")]
    public async Task Cli_BadArguments_ExitTwoWithMessage(params string[] args)
    {
        var (code, stdout, stderr) = await DockHarness.RunDockAsync(args);

        Assert.Equal(2, code);
        Assert.False(string.IsNullOrWhiteSpace(stderr), stdout);
    }

    [Theory]
    [InlineData("tcp", "DSJ-SIM-")]
    [InlineData("mass-storage", "ZFY-MSC-")]
    public async Task Demo_SmallFleet_ExitsZeroAndStatusJsonListsEveryClipVerified(string transport, string serialPrefix)
    {
        var data = Path.Combine(Path.GetTempPath(), "dock-demo-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (code, stdout, stderr) = await DockHarness.RunDockAsync("demo", "--data", data, "--recorders", "3", "--clips", "3",
                "--min-clip-size", "1MB", "--max-clip-size", "4MB", "--transport", transport);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("every clip is safe in the vault and in the cloud", stdout, StringComparison.Ordinal);
            Assert.Matches(@"Watch it live: http://127\.0\.0\.1:\d+/kiosk", stdout);

            var (statusCode, json, _) = await DockHarness.RunDockAsync("status", "--data", data, "--json");
            Assert.Equal(0, statusCode);
            using var doc = JsonDocument.Parse(json);
            var clips = doc.RootElement.GetProperty("clips").EnumerateArray().ToList();
            Assert.Equal(9, clips.Count);
            Assert.All(clips, c =>
            {
                Assert.StartsWith(serialPrefix, c.GetProperty("recorderSerial").GetString(), StringComparison.Ordinal);
                Assert.Matches("^[0-9a-f]{64}$", c.GetProperty("sha256").GetString()!);
                Assert.Equal("released", c.GetProperty("state").GetString());
                Assert.True(c.GetProperty("size").GetInt64() >= 1_000_000);
                Assert.True(c.GetProperty("hashVerified").GetBoolean());
            });
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
