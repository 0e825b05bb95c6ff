using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dock.Crypto.Keys;
using Dock.Service;
using Dock.Service.Cli;
using Dock.Service.Configuration;
using Dock.Service.Fleet;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Tools.Bench;

/// <summary>
/// <c>dock bench fleet</c>: N docks (each a whole dock host in this process, with its own catalog, key and endorsement) share one
/// s3rver bucket. Version 1 is published with a rollout of 10 %, 50 %, 100 % and advanced step by step as `dock fleet rollout advance`
/// does, timed; then the docks sit idle and what each costs the store per look is counted; then version 2, which a share of the second
/// step's docks cannot apply, must halt at that step while the docks beyond it keep version 1.
/// </summary>
public sealed class FleetBenchmark(string directory, int docks, TimeSpan poll, TimeSpan idle, TextWriter output)
{
    private const string Bucket = "fleet";
    private const string Prefix = "agency";

    public sealed record Result(int Docks, double PollSeconds, double StartSeconds, double RolloutSeconds, IReadOnlyList<double> StepSeconds, int AppliedV1,
        double IdleSeconds, double IdleLooksPerDock, double IdleRequestsPerLook, double NotModifiedShare, long IdleBundleReads, long IdleStatusWrites,
        int StatusBytes, int BundleBytes, double RequestsPerDockHourAtDefaults, int HaltedAtStep, string HaltReason, int FailedV2, int AppliedV2,
        int BeyondStepOnV1, int BeyondStep, double ProcessMemoryMiB);

    public async Task<int> RunAsync(bool json, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await using var s3 = await StorageEmulator.StartS3Async(Bucket);
        // Hundreds of hosts in one process: no file watcher each on appsettings.json (inotify instances are few).
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
        Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL", s3.Endpoint);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");
        Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
        CloudTargetUri.TryParse($"s3://{Bucket}/{Prefix}", out var uri, out _);
        await using var target = CloudTargets.Create(uri, directory)!;
        var store = new FleetStore(target, Prefix);
        using var agency = Ed25519Key.Generate();

        // The docks: endorsed by one agency; "fails" marks those whose version 2 carries settings they cannot run (half the second step's).
        var hosts = new List<(string Id, IHost Host, FleetCounters Counters)>();
        var clock = Stopwatch.StartNew();
        var ids = Enumerable.Range(0, docks).Select(i => $"bench-dock-{i:D4}").ToList();
        var failing = ids.Where((id, i) => RolloutPlan.CohortPoint(id) is >= 1000 and < 5000 && i % 2 == 0).ToHashSet();
        try
        {
            foreach (var id in ids)
            {
                var data = Path.Combine(directory, id);
                var paths = DockPaths.From(new DockOptions { DataDirectory = data });
                using (var key = DockKey.Load(paths, create: true))
                    DockEndorsement.Write(paths.EndorsementFile, agency, id, key.PublicKey, DateTimeOffset.UtcNow.AddDays(30));
                var host = DockHost.Build([], new Dictionary<string, string?>
                {
                    ["Dock:DataDirectory"] = data, ["Dock:Http:Urls"] = "http://127.0.0.1:0", ["Dock:Cloud:Target"] = $"s3://{Bucket}/{Prefix}",
                    ["Dock:Fleet:PollInterval"] = poll.ToString("c", CultureInfo.InvariantCulture), ["Dock:Fleet:Site"] = $"site-{ids.IndexOf(id) % 5}",
                    ["Dock:Retention:AlertWhenFreeBelow"] = "0", ["Dock:Retention:PurgeWhenFreeBelow"] = "0",
                }, new DockActivity(), requireBays: false, minimumLevel: LogLevel.Error);
                await host.StartAsync(cancellationToken);
                hosts.Add((id, host, host.Services.GetRequiredService<FleetCounters>()));
            }
            var started = clock.Elapsed.TotalSeconds;
            await output.WriteLineAsync($"{docks} docks started in {started:0.0} s; publishing version 1 (10 % → 50 % → 100 %)");

            // Version 1, rolled out to everyone step by step: advance as soon as the step's docks have all applied it.
            var v1 = SignedBundle(agency, 1, plan: [10, 50, 100], edit: null);
            clock.Restart();
            await store.PublishAsync(v1, "bench", agency, TimeProvider.System, cancellationToken);
            var steps = new List<double>();
            while (true)
            {
                var (moved, refusal, report) = await FleetView.AdvanceAsync(store, agency.PublicKey, "bench", allowPending: false, TimeProvider.System, cancellationToken);
                if (moved is not null)
                {
                    steps.Add(clock.Elapsed.TotalSeconds);
                    continue;
                }
                if (report.Pointer!.Step == report.Pointer.Steps - 1 && report.Progress!.Applied == docks)
                {
                    steps.Add(clock.Elapsed.TotalSeconds);
                    break;
                }
                if (report.Progress!.Failed > 0) throw new InvalidOperationException($"version 1 failed on a dock: {refusal}");
                if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"the rollout of version 1 did not finish: {refusal}");
                await Task.Delay(200, cancellationToken);
            }
            var rollout = clock.Elapsed.TotalSeconds;
            var afterV1 = await FleetView.ReadAsync(store, agency.PublicKey, TimeProvider.System, cancellationToken);
            await output.WriteLineAsync($"version 1 applied by {afterV1.Progress!.Applied} docks in {rollout:0.0} s (steps done at {string.Join(", ", steps.Select(s => $"{s:0.0} s"))})");

            // Idle: nothing changes; count what the docks ask of the store.
            await Task.Delay(poll * 2, cancellationToken); // Restarts after version 1 settle, statuses written.
            var before = hosts.Select(h => (h.Counters.Looks, h.Counters.NotModified, h.Counters.BundleReads, h.Counters.StatusWrites)).ToList();
            clock.Restart();
            await Task.Delay(idle, cancellationToken);
            var idleSeconds = clock.Elapsed.TotalSeconds;
            long looks = 0, notModified = 0, bundleReads = 0, statusWrites = 0;
            for (int i = 0; i < hosts.Count; i++)
            {
                // A dock that restarted for version 1 has new counters: take what its current host counted.
                var c = hosts[i].Host.Services.GetRequiredService<FleetCounters>();
                looks += c.Looks - Math.Min(c.Looks, before[i].Looks);
                notModified += c.NotModified - Math.Min(c.NotModified, before[i].NotModified);
                bundleReads += c.BundleReads - Math.Min(c.BundleReads, before[i].BundleReads);
                statusWrites += c.StatusWrites - Math.Min(c.StatusWrites, before[i].StatusWrites);
            }
            var statuses = await store.ReadStatusesAsync(docks + 10, cancellationToken);
            int statusBytes = (int)statuses.Where(s => s.Content is not null).Average(s => s.Content!.Length);
            var defaults = new FleetSyncOptions();
            double perLook = looks == 0 ? 0 : (looks + bundleReads + statusWrites) / (double)looks;
            double perHour = 3600 / defaults.PollInterval.TotalSeconds * (bundleReads / (double)Math.Max(1, looks) + 1) + 3600 / defaults.StatusInterval.TotalSeconds;
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"idle {idleSeconds:0.0} s: {looks / (double)docks:0.0} looks per dock, {perLook:0.00} requests per look, {notModified / (double)Math.Max(1, looks):P1} answered 304; " +
                $"{bundleReads} bundle reads, {statusWrites} status writes; status object {statusBytes} B"));

            // Version 2: the failing docks get settings they cannot run. It must halt at the second step.
            var v2 = SignedBundle(agency, 2, plan: [10, 50, 100], edit: json =>
            {
                var perDock = new JsonObject();
                foreach (var id in failing)
                    // No cloud while releases wait for a cloud copy: the dock's validation refuses it. (Not a setting the environment of
                    // a test harness overrides, so the refusal is the bundle's own.)
                    perDock[id] = JsonNode.Parse("""{ "cloud": { "target": "none" } }""");
                json["docks"] = perDock;
            });
            await store.PublishAsync(v2, "bench", agency, TimeProvider.System, cancellationToken);
            clock.Restart();
            string halt = "";
            int haltedAt = -1;
            FleetReport last;
            while (true)
            {
                var (moved, refusal, report) = await FleetView.AdvanceAsync(store, agency.PublicKey, "bench", allowPending: false, TimeProvider.System, cancellationToken);
                last = report;
                if (moved is not null) continue;
                if (report.Progress!.FailureRate > report.Progress.Threshold && report.Progress.Pending == 0)
                {
                    halt = refusal!;
                    haltedAt = report.Pointer!.Step;
                    break;
                }
                if (report.Pointer!.Step == report.Pointer.Steps - 1 && report.Progress.Applied == docks) break;
                if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"version 2 neither finished nor halted: {refusal}");
                await Task.Delay(200, cancellationToken);
            }
            var beyond = last.Docks.Where(d => !d.InCohort).ToList();
            await output.WriteLineAsync($"version 2 halted at step {haltedAt + 1}: {halt}; {beyond.Count(d => d.Version == 1)} of the {beyond.Count} docks beyond it keep version 1");

            var result = new Result(docks, poll.TotalSeconds, started, rollout, steps, afterV1.Progress!.Applied, idleSeconds, looks / (double)docks, perLook,
                notModified / (double)Math.Max(1, looks), bundleReads, statusWrites, statusBytes, v1.Length, perHour, haltedAt + 1, halt,
                last.Docks.Count(d => d.State == TargetStates.Failed), last.Docks.Count(d => d.Version == 2), beyond.Count(d => d.Version == 1), beyond.Count,
                Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0);
            if (json) await output.WriteLineAsync(JsonSerializer.Serialize(result));
            return haltedAt >= 0 && result.AppliedV1 == docks && beyond.All(d => d.Version == 1) ? ExitCodes.Ok : ExitCodes.Failed;
        }
        finally
        {
            foreach (var (_, host, _) in hosts)
            {
                try
                {
                    await host.StopAsync(CancellationToken.None);
                }
                finally
                {
                    host.Dispose();
                }
            }
        }
    }

    private static string SignedBundle(Ed25519Key agency, long version, int[] plan, Action<JsonObject>? edit)
    {
        var json = new JsonObject
        {
            ["format"] = FleetBundle.Format, ["version"] = version, ["created"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["description"] = $"bench version {version}",
            ["dock"] = new JsonObject { ["cloud"] = new JsonObject { ["blackout"] = new JsonArray("07:00-09:00") }, ["releasePolicy"] = "AfterCloudVerify" },
            ["rollout"] = new JsonObject { ["cohorts"] = "hash", ["steps"] = new JsonArray([.. plan.Select(p => JsonValue.Create(p))]), ["failureThreshold"] = 0.2 },
        };
        edit?.Invoke(json);
        return BundleNote.Sign(json.ToJsonString(), agency);
    }
}
