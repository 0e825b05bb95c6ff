using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Fleet;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests.Fleet;

/// <summary>
/// A running dock (its own process) and the agency's object store (a folder here; s3rver in FleetScaleTests): IT publishes a bundle
/// with a rollout by site, the dock waits while its site is not reached, `dock fleet rollout advance` moves on, the dock applies the
/// bundle, restarts in place with its settings, and reports it in its signed status object, which `dock fleet status` reads back.
/// </summary>
public sealed class FleetRolloutTests
{
    [Fact]
    public async Task RunningDock_FollowsThePointer_AppliesWhenItsSiteIsReached_RestartsWithTheSettings_AndReportsIt()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 300_000 });
        var cloud = Path.Combine(harness.DataDirectory, "cloud");
        var store = $"file:{cloud}";
        var stderr = new StringBuilder();
        using var dock = DockHarness.StartDockProcess(harness.RunArguments(("Dock:Fleet:PollInterval", "00:00:00.500"), ("Dock:Fleet:Site", "station-a")));
        dock.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        dock.OutputDataReceived += (_, _) => { };
        dock.BeginErrorReadLine();
        dock.BeginOutputReadLine();
        try
        {
            await harness.WaitUntilRunningAsync(dock);
            await harness.RecordersEmptyAsync();
            var dockId = (await StatusAsync(cloud, _ => true)).GetProperty("dockId").GetString()!;

            // Version 1 keeps footage on the cameras, rolled out to station-b first, then station-a.
            var bundle = Path.Combine(harness.DataDirectory, "bundle.json");
            var (code, _, error) = await DockHarness.RunDockAsync("fleet", "bundle", "new", "--out", bundle, "--data", harness.DataDirectory);
            Assert.True(code == 0, error);
            var json = JsonNode.Parse(await File.ReadAllTextAsync(bundle))!.AsObject();
            json["dock"]!["releasePolicy"] = "Never";
            json["rollout"] = JsonNode.Parse("""{ "cohorts": "site", "steps": [["station-b"], ["station-a"]], "failureThreshold": 0.2 }""");
            await File.WriteAllTextAsync(bundle, json.ToJsonString());
            Assert.Equal(0, (await DockHarness.RunDockAsync("fleet", "bundle", "sign", bundle, "--agency-key",
                Path.Combine(harness.DataDirectory, "keys", "demo-agency.key"))).ExitCode);
            (code, var output, error) = await DockHarness.RunDockAsync("fleet", "publish", bundle, "--cloud", store);
            Assert.True(code == 0, error);
            Assert.Contains("step 1 of 2", output, StringComparison.Ordinal);

            // Station-a is not in step 1: the dock keeps what it runs and says so.
            var waiting = await StatusAsync(cloud, s => s.GetProperty("target").ValueKind == JsonValueKind.Object);
            Assert.Equal(TargetStates.Waiting, waiting.GetProperty("target").GetProperty("state").GetString());
            Assert.Equal(JsonValueKind.Null, waiting.GetProperty("bundle").ValueKind);

            // No dock of step 1 has reported: the advance is refused unless told to go on.
            (code, _, error) = await DockHarness.RunDockAsync("fleet", "rollout", "advance", "--cloud", store);
            Assert.Equal(1, code);
            Assert.Contains("no dock of step 1 (station-b) has reported", error, StringComparison.Ordinal);
            (code, output, error) = await DockHarness.RunDockAsync("fleet", "rollout", "advance", "--cloud", store, "--allow-pending");
            Assert.True(code == 0, error);
            Assert.Contains("to step 2 of 2", output, StringComparison.Ordinal);

            // The dock applies it, restarts with its settings (the same process), and reports version 1 applied.
            var applied = await StatusAsync(cloud, s => s.GetProperty("bundle").ValueKind == JsonValueKind.Object);
            Assert.Equal(1, applied.GetProperty("bundle").GetProperty("version").GetInt64());
            await WaitForAsync(() => { lock (stderr) return stderr.ToString().Contains("restarting with the settings of fleet bundle version 1", StringComparison.Ordinal); },
                "the dock restarting with the bundle's settings");
            Assert.False(dock.HasExited);
            await harness.WaitUntilRunningAsync(dock);
            var entry = Assert.Single(await EnrolmentTests.EventsAsync(await harness.CatalogAsync()), e => e.Kind == CustodyEventKind.ConfigurationApplied);
            Assert.Equal(dockId, entry.Actor);
            Assert.Contains("fleet/bundles/0000000001.note", entry.Detail, StringComparison.Ordinal);

            // The fleet view: the pointer at its last step, this dock applied, nothing silent or rejected.
            (code, output, error) = await DockHarness.RunDockAsync("fleet", "status", "--cloud", store, "--json");
            Assert.True(code == 0, error);
            using var report = JsonDocument.Parse(output);
            var root = report.RootElement;
            Assert.Equal(1, root.GetProperty("progress").GetProperty("step").GetInt32());
            var view = Assert.Single(root.GetProperty("docks").EnumerateArray());
            Assert.Equal(dockId, view.GetProperty("dockId").GetString());
            Assert.Equal(TargetStates.Applied, view.GetProperty("state").GetString());
            Assert.Equal("station-a", view.GetProperty("site").GetString());
            Assert.Equal(0, root.GetProperty("rejected").GetArrayLength());

            // A status object changed in the store no longer verifies: rejected, not counted.
            var statusFile = Directory.EnumerateFiles(Path.Combine(cloud, "fleet", "docks"), "status.json", SearchOption.AllDirectories).Single();
            await DockHarness.TerminateAsync(dock);
            var text = await File.ReadAllTextAsync(statusFile);
            await File.WriteAllTextAsync(statusFile, text.Replace("\"station-a\"", "\"station-b\"", StringComparison.Ordinal));
            (code, output, _) = await DockHarness.RunDockAsync("fleet", "status", "--cloud", store, "--json");
            using var tampered = JsonDocument.Parse(output);
            Assert.Equal(0, tampered.RootElement.GetProperty("docks").GetArrayLength());
            Assert.Contains("signature does not verify", tampered.RootElement.GetProperty("rejected")[0].GetProperty("problem").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!dock.HasExited) await DockHarness.TerminateAsync(dock);
        }
    }

    [Fact]
    public async Task ADockWhoseCamerasRefuseTheProfile_ReportsTheBundleFailed_AndTheAdvanceHalts()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 100_000, MaxClipSize = 200_000 });
        var camera = fleet.Endpoints[0].Recorder;
        camera.Faults.RefuseConfig = true;
        var cloud = Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "cloud")).FullName; // The dock's default store (file:cloud).
        var bundle = Path.Combine(harness.DataDirectory, "v1.note");
        var json = new JsonObject
        {
            ["format"] = FleetBundle.Format, ["version"] = 1, ["created"] = "2026-12-04T08:00:00Z",
            ["recorderProfiles"] = new JsonArray(new JsonObject { ["model"] = camera.Options.Model, ["codec"] = "h265" }),
            ["rollout"] = JsonNode.Parse("""{ "cohorts": "site", "steps": [["station-a"], ["station-b"]], "failureThreshold": 0.2 }"""),
        };
        using (var agency = Dock.Crypto.Keys.KeyFile.Load(Path.Combine(harness.DataDirectory, "keys", "demo-agency.key")))
            await File.WriteAllTextAsync(bundle, BundleNote.Sign(json.ToJsonString(), agency));
        var (code, _, error) = await DockHarness.RunDockAsync("fleet", "publish", bundle, "--cloud", $"file:{cloud}");
        Assert.True(code == 0, error);

        var (host, _) = await harness.StartDockAsync(("Dock:Fleet:PollInterval", "00:00:00.300"), ("Dock:Fleet:Site", "station-a"));
        try
        {
            // The dock takes version 1; its camera refuses the profile once its clip is safe: the dock reports the bundle failed here.
            var failed = await StatusAsync(cloud, s => s.GetProperty("target").ValueKind == JsonValueKind.Object
                && s.GetProperty("target").GetProperty("state").GetString() == TargetStates.Failed);
            Assert.Equal(1, failed.GetProperty("bundle").GetProperty("version").GetInt64());
            Assert.Contains("did not take the bundle's profile", failed.GetProperty("target").GetProperty("reason").GetString(), StringComparison.Ordinal);

            (code, var output, error) = await DockHarness.RunDockAsync("fleet", "rollout", "advance", "--cloud", $"file:{cloud}");
            Assert.Equal(1, code);
            Assert.Contains("1 of the 1 docks of step 1 (station-a) failed version 1: 100%, above the plan's 20%", error, StringComparison.Ordinal);
            (_, output, _) = await DockHarness.RunDockAsync("fleet", "status", "--cloud", $"file:{cloud}", "--json");
            using var report = JsonDocument.Parse(output);
            Assert.Equal(0, report.RootElement.GetProperty("progress").GetProperty("step").GetInt32());
            Assert.Equal(TargetStates.Failed, report.RootElement.GetProperty("docks")[0].GetProperty("state").GetString());
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    /// <summary>The dock's status object once <paramref name="condition"/> holds of its JSON (after its signature is checked).</summary>
    private static async Task<JsonElement> StatusAsync(string cloud, Func<JsonElement, bool> condition)
    {
        JsonElement found = default;
        await WaitForAsync(() =>
        {
            var folder = Path.Combine(cloud, "fleet", "docks");
            if (!Directory.Exists(folder)) return false;
            foreach (var file in Directory.EnumerateFiles(folder, "status.json", SearchOption.AllDirectories))
            {
                byte[] content;
                try
                {
                    content = File.ReadAllBytes(file);
                }
                catch (IOException)
                {
                    return false;
                }
                if (!DockStatus.TryOpen(content, null, out var status, out _)) return false;
                var element = JsonSerializer.SerializeToElement(status, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
                if (condition(element))
                {
                    found = element;
                    return true;
                }
            }
            return false;
        }, "the dock's status object");
        return found;
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > DockHarness.Limit) throw new TimeoutException($"waited {DockHarness.Limit} for {what}");
            await Task.Delay(100);
        }
    }
}
