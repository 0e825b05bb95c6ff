using System.Diagnostics;
using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Simulator.Hosting;
using Microsoft.Data.Sqlite;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// One dock per data folder, and a data folder the dock can trust: a second `dock run` is refused at once; a catalog
/// that lost committed changes (its write-ahead log gone after a crash) is refused and recovered from the custody
/// journal with no second root for a published size; a damaged catalog stops the dock with a clear message.
/// </summary>
public sealed class DataFolderTests
{
    private static async Task<(int Code, string Stdout, string Stderr)> DockAsync(params string[] args) => await DockHarness.RunDockAsync(args);

    [Fact]
    public async Task SecondDockOnTheSameDataFolder_ExitsTwoAtOnceNamingTheFirst_CommandsStillWorkBeside()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 3, MinClipSize = 200_000, MaxClipSize = 400_000 });
        using var first = DockHarness.StartDockProcess(harness.RunArguments(), redirect: false);
        try
        {
            await harness.RecordersEmptyAsync();
            var clock = Stopwatch.StartNew();
            var (code, _, stderr) = await DockHarness.RunDockAsync(harness.RunArguments());
            Assert.Equal(2, code);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
            Assert.Contains("Another dock is already using the data folder", stderr, StringComparison.Ordinal);
            Assert.Contains($"pid {first.Id}", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);

            // Commands that append to the custody log keep working beside the service.
            var (checkpointCode, note, checkpointError) = await DockAsync("log", "checkpoint", "--data", harness.DataDirectory);
            Assert.True(checkpointCode == 0, checkpointError);
            Assert.StartsWith("dock/", note, StringComparison.Ordinal);
        }
        finally
        {
            await DockHarness.TerminateAsync(first);
        }
        Assert.Equal(0, first.ExitCode);
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        Assert.Equal(6, events.Count(e => e.Kind == CustodyEventKind.Uploaded)); // Once per clip: nobody uploaded beside the dock.
        var (verifyCode, verifyOut, _) = await DockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(verifyCode == 0, verifyOut);
    }

    [Fact]
    public async Task WriteAheadLogLostAfterACrash_DockRefusesToStart_RecoverRestoresTheLogAndTheClips_NoCheckpointOverwritten()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 400_000 });
        var clipIds = fleet.Endpoints.SelectMany(e => e.Recorder.Clips.Select(c => (e.Recorder.Serial, c.ClipId))).ToHashSet();
        // The enrolment left pooled connections open in this process; closed, the killed dock is the catalog's only writer, and
        // nothing here folds its write-ahead log into the file before the log is deleted.
        SqliteConnection.ClearAllPools();
        using (var dock = DockHarness.StartDockProcess(harness.RunArguments(), redirect: false))
        {
            await harness.RecordersEmptyAsync();
            dock.Kill(entireProcessTree: true); // A power cut: no clean close of the catalog.
            await dock.WaitForExitAsync();
        }
        var cloudCheckpoints = Directory.GetFiles(Path.Combine(harness.DataDirectory, "cloud"), "checkpoint-*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".meta.json", StringComparison.Ordinal)).ToDictionary(f => f, File.ReadAllBytes);
        Assert.NotEmpty(cloudCheckpoints);
        Assert.True(File.Exists(harness.Paths.Catalog + "-wal"));
        File.Delete(harness.Paths.Catalog + "-wal"); // What the outside harness did: the catalog silently rolls back.
        File.Delete(harness.Paths.Catalog + "-shm");

        var (code, _, stderr) = await DockHarness.RunDockAsync(harness.RunArguments());
        Assert.Equal(2, code);
        Assert.Contains("is behind the dock's own custody record", stderr, StringComparison.Ordinal);
        Assert.Contains($"dock log recover --data {harness.DataDirectory}", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        var (behindCode, behindOut, _) = await DockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(behindCode == 13, behindOut); // The catalog alone no longer matches what the dock signed.

        var (recoverCode, recovered, recoverError) = await DockAsync("log", "recover", "--data", harness.DataDirectory);
        Assert.True(recoverCode == 0, recovered + recoverError);
        Assert.Contains("Recovered:", recovered, StringComparison.Ordinal);
        var (verifyCode, verifyOut, _) = await DockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(verifyCode == 0, verifyOut);

        // The dock runs again: the clip records were brought forward (nothing to pull, nothing missing), and the
        // cloud copies are checked again; no checkpoint object already published is replaced.
        int sessionsBefore = (await (await harness.CatalogAsync()).Docking.ListSessionsAsync(CancellationToken.None)).Count;
        using (var dock = DockHarness.StartDockProcess(harness.RunArguments()))
        {
            var output = dock.StandardOutput.ReadToEndAsync();
            var errors = dock.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            var catalog = await harness.CatalogAsync();
            // Every recorder docked in the new run (it is running, not starting), and every clip settled.
            while (!((await catalog.Docking.ListSessionsAsync(CancellationToken.None)).Count >= sessionsBefore + 2
                && (await catalog.Uploads.ListUploadsAsync(CancellationToken.None)) is { Count: 4 } uploads && uploads.All(u => u.State == UploadState.Verified)
                && (await catalog.Clips.ListClipsAsync(null, CancellationToken.None)).All(r => r.State == ClipState.Released)))
            {
                if (clock.Elapsed > DockHarness.Limit)
                {
                    await DockHarness.TerminateAsync(dock);
                    var states = string.Join(", ", (await catalog.Clips.ListClipsAsync(null, CancellationToken.None)).Select(r => $"{r.ClipId}={r.State}/{r.LastError}"));
                    var uploadStates = string.Join(", ", (await catalog.Uploads.ListUploadsAsync(CancellationToken.None)).Select(u => $"{u.ClipRow}={u.State}/{u.LastError}"));
                    Assert.Fail($"the recovered dock did not settle its clips: sessions {(await catalog.Docking.ListSessionsAsync(CancellationToken.None)).Count} " +
                        $"(before {sessionsBefore}); clips {states}; uploads {uploadStates}\n{await output}\n{await errors}");
                }
                await Task.Delay(200);
            }
            await DockHarness.TerminateAsync(dock);
            Assert.True(dock.ExitCode == 0, await output + await errors);
        }
        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.Equal(clipIds, rows.Select(r => (r.RecorderSerial, r.ClipId)).ToHashSet());
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.Missing);
        Assert.All(clipIds, id => Assert.Single(events, e => e.Kind == CustodyEventKind.Released && (e.RecorderSerial, e.ClipId) == id));
        foreach (var (path, bytes) in cloudCheckpoints) Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        (verifyCode, verifyOut, _) = await DockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(verifyCode == 0, verifyOut);
        Assert.DoesNotContain(await (await harness.CatalogAsync()).Alerts.ListAlertsAsync(CancellationToken.None), a => a.IsOpen && a.Kind == "unknown-vault-file");
    }

    [Fact]
    public async Task CatalogDamagedWhileTheDockRuns_TheDockStopsWithTheReason_NotAsIfAskedTo()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 200_000, MaxClipSize = 200_000 });
        // A second bay whose recorder docks only after the damage: its docking must read and write the catalog.
        int later;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            later = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none"),
            ("Dock:Bays:1:Id", "2"), ("Dock:Bays:1:Endpoint", $"tcp://127.0.0.1:{later}"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.Bays.Any(b => b.Finished), CancellationToken.None).WaitAsync(DockHarness.Limit);
            // The dock is idle now. Fold the write-ahead log into the file, then overwrite every page but the first, as a
            // failing disk would.
            await using (var c = new SqliteConnection($"Data Source={harness.Paths.Catalog};Pooling=False"))
            {
                await c.OpenAsync();
                await using var checkpoint = c.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                await using var result = await checkpoint.ExecuteReaderAsync();
                Assert.True(await result.ReadAsync() && result.GetInt64(0) == 0, "the checkpoint was blocked");
            }
            await using (var file = new FileStream(harness.Paths.Catalog, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
                var garbage = Enumerable.Repeat((byte)0xA5, 4096).ToArray();
                for (long page = 1; page < file.Length / 4096; page++)
                {
                    file.Position = page * 4096;
                    await file.WriteAsync(garbage);
                }
                file.Flush(flushToDisk: true);
            }
            await using var second = await SimulatedFleet.StartAsync(new FleetOptions
            {
                Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 100_000, MaxClipSize = 100_000, SerialOffset = 1, Seed = 99,
                Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, later), TrustedAgencyKeys = [harness.AgencyKey],
            });
            var lifetime = (Microsoft.Extensions.Hosting.IHostApplicationLifetime)host.Services.GetService(typeof(Microsoft.Extensions.Hosting.IHostApplicationLifetime))!;
            await Task.Delay(Timeout.Infinite, lifetime.ApplicationStopping).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(DockHarness.Limit);
            var health = (Dock.Service.Hosting.ServiceHealth)host.Services.GetService(typeof(Dock.Service.Hosting.ServiceHealth))!;
            Assert.NotNull(health.Failure); // Stopped on its own, with the reason `dock run` prints before exiting 1.
            Assert.Contains("is damaged", health.Failure, StringComparison.Ordinal);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task DamagedCatalog_RunExitsNonZero_StatusAndLogVerifySayItWithoutAStackTrace()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 3, MinClipSize = 100_000, MaxClipSize = 100_000 });
        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 3);
            await host.StopAsync();
        }
        SqliteConnection.ClearAllPools();
        await using (var c = new SqliteConnection($"Data Source={harness.Paths.Catalog};Pooling=False"))
        {
            await c.OpenAsync();
            await using var checkpoint = c.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await checkpoint.ExecuteNonQueryAsync();
        }
        // Overwrite every page but the first (the header and schema) with garbage, as a failing disk would.
        await using (var file = new FileStream(harness.Paths.Catalog, FileMode.Open, FileAccess.ReadWrite))
        {
            var garbage = Enumerable.Repeat((byte)0xA5, 4096).ToArray();
            for (long page = 1; page < file.Length / 4096; page++)
            {
                file.Position = page * 4096;
                await file.WriteAsync(garbage);
            }
        }

        var (runCode, _, runError) = await DockHarness.RunDockAsync(harness.RunArguments());
        Assert.NotEqual(0, runCode);
        Assert.Contains("is damaged", runError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", runError, StringComparison.Ordinal);

        var (statusCode, _, statusError) = await DockAsync("status", "--data", harness.DataDirectory);
        Assert.NotEqual(0, statusCode);
        Assert.Contains("damaged", statusError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", statusError, StringComparison.Ordinal);

        var (verifyCode, verifyOut, verifyError) = await DockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(verifyCode == 14, verifyOut + verifyError);
        Assert.Contains("NOT VERIFIED", verifyOut, StringComparison.Ordinal);
        Assert.Contains("catalog integrity", verifyOut + verifyError, StringComparison.Ordinal);
    }
}
