using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Service;
using Dock.Service.Catalog;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Simulator.MassStorage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.EndToEnd.Tests;

/// <summary>
/// Mass-storage recorders (recorder-command-channel-v1.md): a disk folder plus a GA/T 947.4-style command
/// channel on a real pty, through the same pipeline as DockLink recorders.
/// </summary>
public sealed class MassStorageTests
{
    private static async Task<(IHost Host, DockActivity Activity)> StartDockAsync(DockHarness harness, MassStorageFleet fleet,
        params (string Key, string Value)[] extra)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = harness.DataDirectory,
            ["Dock:ReconnectInterval"] = "00:00:00.200",
            ["Dock:ReleasePolicy"] = "AfterLocalVerify",
            ["Dock:MassStorage:CommandTimeout"] = "00:00:00.500",
        };
        for (int i = 0; i < fleet.Recorders.Count; i++)
        {
            overrides[$"Dock:Bays:{i}:Id"] = $"{i + 1}";
            overrides[$"Dock:Bays:{i}:Driver"] = "MassStorage";
            overrides[$"Dock:Bays:{i}:Endpoint"] = fleet.Recorders[i].CommandAddress;
            overrides[$"Dock:Bays:{i}:Volume"] = fleet.Recorders[i].Volume;
        }
        foreach (var (key, value) in extra) overrides[key] = value;
        var activity = new DockActivity();
        var host = DockHost.Build([], overrides, activity, minimumLevel: LogLevel.Warning);
        await host.StartAsync();
        return (host, activity);
    }

    private static async Task<Dictionary<string, string>> FileHashesAsync(SimulatedMassStorageRecorder recorder, string root)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var relative in recorder.ClipFiles)
            hashes[relative] = Sha256.ToHex(await Sha256.HashFileAsync(Path.Combine(root, relative)));
        return hashes;
    }

    private static string Offline(SimulatedMassStorageRecorder recorder) => Path.Combine(recorder.Options.Folder, "." + recorder.Serial + ".offline");

    [Fact]
    public async Task EnrolledKeyless_EveryFileInVaultExact_ThenDeleted_UnenrolledHeldAndKept()
    {
        await using var harness = DockHarness.Create();
        await using var fleet = await MassStorageFleet.StartAsync(2, 4, 300_000, 2_000_000);
        var enrolled = fleet.Recorders[0];
        var stranger = fleet.Recorders[1];
        var expected = await FileHashesAsync(enrolled, Offline(enrolled));
        // The camera's GPS logs and marks beside its clips (recorder-command-channel-v1.md §7.1), as they were before docking.
        var logs = Directory.EnumerateFiles(Offline(enrolled), "*.NMEA", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => File.ReadAllLines(f).Count(l => l.Contains("RMC", StringComparison.Ordinal)));
        Assert.NotEmpty(logs);
        var strangerFiles = stranger.Files;
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(enrolled.Serial, [])], "test", CancellationToken.None);

        var (host, activity) = await StartDockAsync(harness, fleet);
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsReleased >= 4 && a.Bays.Count(b => b.Finished) == 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }

        // Released per policy: the enrolled recorder's disk is empty; the stranger's is untouched.
        Assert.True(enrolled.InMassStorageMode);
        // Every clip deleted; the GPS logs and mark files are left for the camera's own housekeeping (their content is in the catalog and the
        // cloud sidecar; the dock deletes nothing but released clips).
        Assert.Empty(enrolled.ClipFiles);
        Assert.Equal(logs.Count, enrolled.Files.Count(f => f.EndsWith(".NMEA", StringComparison.Ordinal)));
        Assert.Equal(strangerFiles, stranger.Files);

        var catalog = await harness.CatalogAsync();
        var rows = await catalog.Clips.ListClipsAsync(enrolled.Serial, CancellationToken.None);
        Assert.Equal(4, rows.Count);
        foreach (var (relative, sha) in expected)
        {
            var row = Assert.Single(rows, r => r.ClipId == relative.Replace('/', '_'));
            Assert.Equal(ClipState.Released, row.State);
            Assert.Equal(sha, row.DeviceSha256);
            Assert.Equal(sha, Sha256.ToHex(await Sha256.HashFileAsync(Path.Combine(harness.DataDirectory, row.VaultPath!))));
            Assert.Equal("P200001", row.OfficerId); // from READ_OFFICER
            Assert.Equal(relative.Contains("_IMP", StringComparison.Ordinal), row.Flags.HasFlag(Dock.DeviceProtocol.Messages.ClipFlags.Important));
            // The track came in with the clip (every fix lies within the recording), and the place is the camera's GPS.
            var data = await new Dock.Service.Metadata.TagStore(catalog.Database).ReadRecorderDataAsync(row.Id, CancellationToken.None);
            var stem = Path.GetFileNameWithoutExtension(relative);
            Assert.Equal(logs.GetValueOrDefault(stem), data?.Track.Count ?? 0);
            var tags = await new Dock.Service.Metadata.TagStore(catalog.Database).ReadAsync(row.Id, CancellationToken.None);
            if (logs.ContainsKey(stem))
                Assert.Equal(Dock.Service.Metadata.TagSource.Recorder, tags[Dock.Service.Metadata.TagField.CapturePlace].Source);
        }
        Assert.All(await catalog.Clips.ListClipsAsync(stranger.Serial, CancellationToken.None), r => Assert.Equal(ClipHold.UntrustedRecorder, r.Hold));
        var alerts = await catalog.Alerts.ListAlertsAsync(CancellationToken.None);
        Assert.Contains(alerts, a => a.RecorderSerial == stranger.Serial && a.Message.Contains("--keyless", StringComparison.Ordinal));

        // Custody says what was and was not proven.
        var events = await EnrolmentTests.EventsAsync(catalog);
        var acquired = events.Where(e => e.Kind == CustodyEventKind.Acquired && e.RecorderSerial == enrolled.Serial).ToList();
        Assert.Equal(4, acquired.Count);
        Assert.All(acquired, e => Assert.Contains("identity claimed, not proven", e.Detail, StringComparison.Ordinal));
        Assert.Contains(events, e => e.Kind == CustodyEventKind.HashVerified && e.Detail!.Contains("first read", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.Released && e.RecorderSerial == stranger.Serial);

        // An auditor verifies a clip: no recorder signature (said so), the dock's signature and the log hold.
        var pem = Path.Combine(harness.DataDirectory, "dock.pem");
        var (exported, pemText, _) = await DockHarness.RunDockAsync("keys", "export", "--public", "--data", harness.DataDirectory);
        Assert.Equal(0, exported);
        await File.WriteAllTextAsync(pem, pemText);
        var (code, report, _) = await DockHarness.RunDockAsync("verify", Path.Combine(harness.DataDirectory, rows[0].VaultPath!), "--trust", pem);
        Assert.True(code == 0, report);
        Assert.Contains("does not sign clips", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnpluggedMidTransfer_ResumesFromCheckpointOnRedocking_NoDuplicates()
    {
        await using var harness = DockHarness.Create();
        await using var fleet = await MassStorageFleet.StartAsync(1, 2, 192L << 20, 192L << 20);
        var recorder = fleet.Recorders[0];
        var expected = await FileHashesAsync(recorder, Offline(recorder));
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(recorder.Serial, [])], "test", CancellationToken.None);

        // Small checkpoints and slow durable writes keep a 192 MiB pull going long enough to pull the recorder out mid-way.
        var (host, activity) = await StartDockAsync(harness, fleet, ("Dock:CheckpointBytes", "1048576"));
        using (host)
        {
            // Byte progress does not wake waiters (it would wake them per chunk): poll it.
            string? interrupted = null;
            using (var limit = new CancellationTokenSource(DockHarness.Limit))
                while (interrupted is null)
                {
                    if (activity.Bays.FirstOrDefault(b => b.Phase == BayPhase.Transferring && b.ClipBytes > (4L << 20)) is { } bay)
                    {
                        recorder.Unplug();
                        interrupted = bay.ClipId;
                    }
                    else await Task.Delay(1, limit.Token);
                }
            long pulledAtUnplug = activity.BytesPulled;
            await activity.WaitUntilAsync(a => a.Bays.All(b => b.Phase is BayPhase.Empty or BayPhase.Error), CancellationToken.None).WaitAsync(DockHarness.Limit);
            var catalog = await harness.CatalogAsync();
            var partial = Assert.Single(await catalog.Clips.ListClipsAsync(recorder.Serial, CancellationToken.None), r => r.ClipId == interrupted);
            Assert.Equal(ClipState.Pulling, partial.State);
            Assert.True(partial.PulledBytes > 0, "a durable checkpoint was recorded before the unplug");
            Assert.NotEmpty(recorder.ClipFiles); // nothing was deleted from an interrupted docking

            recorder.Plug();
            await activity.WaitUntilAsync(a => a.ClipsReleased >= 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
            long total = expected.Count * (192L << 20);
            // Resumed, not restarted: the interrupted clip's durable prefix was not pulled again.
            Assert.True(activity.BytesPulled < total + pulledAtUnplug - (1L << 20), $"pulled {activity.BytesPulled} for {total} bytes of clips");
        }

        Assert.Empty(recorder.ClipFiles);
        Assert.Equal(expected.Count, harness.VaultClips().Count);
        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(recorder.Serial, CancellationToken.None);
        Assert.Equal(expected.Values.Order(), rows.Select(r => r.DeviceSha256).Order());
        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        Assert.Equal(expected.Count, events.Count(e => e.Kind == CustodyEventKind.Stored));
    }

    [Fact]
    public async Task RecorderDropsItsCommandChannelOnceItPresentsTheDisk_DockingGoesOnFromTheDisk_EndsWhenTheDiskGoes()
    {
        await using var harness = DockHarness.Create();
        var folder = Directory.CreateTempSubdirectory("dock-msc-").FullName;
        await using var recorder = await SimulatedMassStorageRecorder.CreateAsync(new MassStorageRecorderOptions
        {
            Serial = "ZFY-DROP-1", Folder = folder, OfficerId = "P9", ClipCount = 3, MinClipSize = 200_000, MaxClipSize = 900_000,
            DropsChannelInMassStorage = true,
        });
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(recorder.Serial, [])], "test", CancellationToken.None);
        var overrides = new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = harness.DataDirectory, ["Dock:ReconnectInterval"] = "00:00:00.200", ["Dock:ReleasePolicy"] = "AfterLocalVerify",
            ["Dock:MassStorage:CommandTimeout"] = "00:00:00.300", ["Dock:BatteryPollInterval"] = "00:00:00.200",
            ["Dock:Bays:0:Id"] = "1", ["Dock:Bays:0:Driver"] = "MassStorage", ["Dock:Bays:0:Endpoint"] = recorder.CommandAddress,
            ["Dock:Bays:0:Volume"] = recorder.Volume,
        };
        var activity = new DockActivity();
        using (var host = DockHost.Build([], overrides, activity, minimumLevel: LogLevel.Warning))
        {
            await host.StartAsync();
            await activity.WaitUntilAsync(a => a.ClipsReleased >= 3, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await Task.Delay(1000); // battery polls fail quietly; the recorder is still docked
            Assert.Equal(BayPhase.Done, Assert.Single(activity.Bays).Phase);
            recorder.Unplug();
            await activity.WaitUntilAsync(a => a.Bays.All(b => b.Phase == BayPhase.Empty), CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        Assert.Empty(recorder.ClipFiles);
        Assert.Equal(3, harness.VaultClips().Count);
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Assign_WritesTheOfficerReadsItBack_RecordsIt_AndTheNextDockingTagsFootageWithIt()
    {
        await using var harness = DockHarness.Create();
        await using var fleet = await MassStorageFleet.StartAsync(1, 2, 100_000, 200_000);
        var recorder = fleet.Recorders[0];
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(recorder.Serial, [])], "test", CancellationToken.None);

        var (code, stdout, stderr) = await DockHarness.RunDockAsync("recorders", "assign", "--from", recorder.CommandAddress, "--officer", "P777",
            "--name", "王五", "--unit-id", "330106", "--unit-name", "西湖分局", "--reason", "issued at shift start", "--data", harness.DataDirectory);
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(new Dock.DeviceProtocol.CommandChannel.OfficerInfo("P777", "王五", "330106", "西湖分局"), recorder.Officer);
        (code, _, stderr) = await DockHarness.RunDockAsync("recorders", "assign", "--from", recorder.CommandAddress, "--officer", "P778",
            "--password", "999999", "--reason", "x", "--data", harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("password was not accepted", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("999999", stderr, StringComparison.Ordinal);
        Assert.Equal("P777", recorder.Officer.OfficerId);

        var (host, activity) = await StartDockAsync(harness, fleet);
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsReleased >= 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        Assert.All(await catalog.Clips.ListClipsAsync(recorder.Serial, CancellationToken.None), r => Assert.Equal("P777", r.OfficerId));
        var assigned = Assert.Single(await EnrolmentTests.EventsAsync(catalog), e => e.Kind == CustodyEventKind.RecorderAssigned);
        Assert.Equal(recorder.Serial, assigned.RecorderSerial);
        Assert.Contains("officer P777 (王五)", assigned.Detail, StringComparison.Ordinal);
        Assert.Contains("was P200001", assigned.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checkout_WritesTheOfficerOverTheCommandChannel_ReadsItBack_AndRecordsIt()
    {
        await using var harness = DockHarness.Create();
        await using var fleet = await MassStorageFleet.StartAsync(1, 2, 100_000, 200_000);
        var recorder = fleet.Recorders[0];
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(recorder.Serial, [])], "test", CancellationToken.None);
        var roster = Path.Combine(harness.DataDirectory, "roster.csv");
        await File.WriteAllTextAsync(roster, "badge,name,unit,role,certificate,certificate_expiry\nP300001,钱八,330106,officer,JZ-3,2030-01-01\n");
        Assert.Equal(0, (await DockHarness.RunDockAsync("officers", "import", roster, "--data", harness.DataDirectory)).ExitCode);
        await File.WriteAllTextAsync(roster, $"serial,model,status,home_unit\n{recorder.Serial},GA947,in-service,330106\n");
        Assert.Equal(0, (await DockHarness.RunDockAsync("recorders", "import", roster, "--data", harness.DataDirectory)).ExitCode);

        var (host, activity) = await StartDockAsync(harness, fleet, ("Dock:Cloud:Target", "none"), ("Dock:Equipment:CheckoutMinimumBattery", "0"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsReleased >= 2 && a.Bays.All(b => b.Phase == BayPhase.Done && b.Finished), CancellationToken.None)
                .WaitAsync(DockHarness.Limit);
            var checkouts = host.Services.GetRequiredService<Dock.Service.Equipment.Checkouts>();
            var outcome = await checkouts.CheckOutAsync("P300001", "test@host", null, CancellationToken.None);
            Assert.True(outcome.Granted, outcome.Message);
            Assert.Equal(recorder.Serial, outcome.Serial);
            // WRITE_OFFICER, then READ_OFFICER: the camera holds the officer and their unit's name.
            Assert.Equal(new Dock.DeviceProtocol.CommandChannel.OfficerInfo("P300001", "钱八", "330106", "330106"), recorder.Officer);
            await host.StopAsync();
        }
        var checkedOut = Assert.Single(await EnrolmentTests.EventsAsync(await harness.CatalogAsync()), e => e.Kind == CustodyEventKind.CheckedOut);
        Assert.Contains("was P200001", checkedOut.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongPassword_BaySaysSo_NothingPulledOrDeleted()
    {
        await using var harness = DockHarness.Create();
        await using var fleet = await MassStorageFleet.StartAsync(1, 2, 100_000, 200_000);
        var recorder = fleet.Recorders[0];
        var files = recorder.Files;
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(recorder.Serial, [])], "test", CancellationToken.None);

        var (host, activity) = await StartDockAsync(harness, fleet, ("Dock:MassStorage:Password", "123456"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.Bays.Any(b => b.Phase == BayPhase.Error && b.Message is not null), CancellationToken.None)
                .WaitAsync(DockHarness.Limit);
            var bay = Assert.Single(activity.Bays);
            Assert.Contains("Dock:MassStorage:Password", bay.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("123456", bay.Message, StringComparison.Ordinal);
            await host.StopAsync();
        }
        Assert.True(recorder.RefusedLogins > 0);
        Assert.False(recorder.InMassStorageMode);
        Assert.Equal(files, recorder.Files);
        Assert.Empty(await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None));
    }
}
