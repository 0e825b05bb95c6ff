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
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = Size, MaxClipSize = Size, ThrottleMBps = 20,
        });
        var recorder = fleet.Endpoints[0].Recorder;
        var expected = recorder.Clips.ToDictionary(c => c.ClipId, c => Sha256.ToHex(c.Sha256));
        var args = new List<string> { "run", "--data", harness.DataDirectory, "--Dock:CheckpointBytes=4194304" };
        args.AddRange(harness.Overrides().Where(kv => kv.Key.StartsWith("Dock:Bays", StringComparison.Ordinal)).Select(kv => $"--{kv.Key}={kv.Value}"));

        using (var first = DockHarness.StartDockProcess(args, redirect: false))
        {
            // Into the second clip by 24 MiB, then SIGKILL: no chance to flush or say goodbye.
            await recorder.WaitUntilAsync(r => r.BytesServed >= Size + (24L << 20), CancellationToken.None).WaitAsync(DockHarness.Limit);
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
        Assert.Single(recorder.Clips);
        long servedBeforeRestart = recorder.BytesServed;

        using (var second = DockHarness.StartDockProcess(args, redirect: false))
        {
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(second);
            Assert.Equal(0, second.ExitCode);
        }

        var rows = await (await harness.CatalogAsync()).ListClipsAsync(null, CancellationToken.None);
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
    public async Task Run_BadConfiguration_ExitsTwoNamingTheKey(string bad, string named)
    {
        var data = Path.Combine(Path.GetTempPath(), "dock-badcfg-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, _, stderr) = await DockHarness.RunDockAsync("run", "--data", data, "--Dock:Bays:0:Id=1",
            "--Dock:Bays:0:Endpoint=tcp://127.0.0.1:7001", bad);

        Assert.Equal(2, code);
        Assert.Contains(named, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal); // A message, not a stack trace.
        Assert.DoesNotContain("hunter2", stderr, StringComparison.Ordinal);
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
