using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Dock.Service;
using Dock.Service.Catalog;
using Dock.Service.Cli;
using Dock.Service.Configuration;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dock.Tools.Bench;

/// <summary>
/// <c>dock bench api</c>: HTTP API latency while the dock ingests. The catalog is seeded with N clips (default 100,000), 8 throttled
/// recorders are docked, and the API is read over loopback: a clip search (random page, with and without a filter) and the bay
/// status. Reported as p50 and p99, and as ratios against <c>GET /healthz</c> measured the same way in the same run (the noise
/// of a shared machine moves both).
/// </summary>
public sealed class ApiBenchmark(string dataDirectory, int clips, int recorders, int requests, TextWriter output)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
        var paths = DockPaths.From(new DockOptions { DataDirectory = dataDirectory });
        var agency = DemoAgency.EndorseDock(paths);
        output.WriteLine($"dock bench api: seeding {clips:N0} clips...");
        var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken);
        await SeedAsync(catalog, clips, cancellationToken);
        var accounts = new UserAccounts(new UserStore(catalog.Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "bench", "bench-password-1", [Roles.Supervisor], null, cancellationToken);
        var token = await accounts.IssueTokenAsync("test", "bench", null, cancellationToken);

        await using var fleet = await SimulatedFleet.StartAsync(new FleetOptions
        {
            Recorders = recorders, ClipsPerRecorder = 1, MinClipSize = 256L << 20, MaxClipSize = 256L << 20, ThrottleMBps = 10,
            TrustedAgencyKeys = [agency],
        }, cancellationToken: cancellationToken);
        await DemoAgency.EnrolRecordersAsync(dataDirectory, fleet.Endpoints.Select(e => (e.Recorder.Serial, e.Recorder.Credential.PublicKey.ToArray())),
            "bench fleet", cancellationToken);
        var overrides = new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = dataDirectory, ["Dock:Cloud:Target"] = "none", ["Dock:ReleasePolicy"] = "AfterLocalVerify",
            ["Dock:Http:Urls"] = "http://127.0.0.1:0", ["Dock:MaxConcurrentPulls"] = recorders.ToString(CultureInfo.InvariantCulture),
        };
        for (int i = 0; i < fleet.Endpoints.Count; i++)
        {
            overrides[$"Dock:Bays:{i}:Id"] = $"{i + 1}";
            overrides[$"Dock:Bays:{i}:Endpoint"] = fleet.Endpoints[i].Address;
        }
        var activity = new DockActivity();
        using var host = DockHost.Build([], overrides, activity, minimumLevel: LogLevel.Warning);
        await host.StartAsync(cancellationToken);
        try
        {
            var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await activity.WaitUntilAsync(a => a.Bays.Count(b => b.Phase == BayPhase.Transferring) == recorders, cancellationToken)
                .WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            output.WriteLine($"  {recorders} recorders transferring at 10 MB/s each; {requests} requests per kind, interleaved");
            var random = new Random(2026);
            int pages = Math.Max(1, clips / 50);
            var kinds = new (string Name, Func<string> Url)[]
            {
                ("healthz (reference)", () => "/healthz"),
                ("bay status", () => "/api/v1/bays"),
                ("clip search, page", () => $"/api/v1/clips?page={random.Next(1, pages + 1)}&pageSize=50"),
                ("clip search, serial", () => $"/api/v1/clips?serial=BENCH-{random.Next(0, 100):D3}&page=1&pageSize=50"),
            };
            var times = kinds.ToDictionary(k => k.Name, _ => new List<double>());
            for (int round = 0; round < requests; round++)
            {
                foreach (var (name, url) in kinds)
                {
                    var clock = Stopwatch.StartNew();
                    using var response = await client.GetAsync(url(), cancellationToken);
                    await response.Content.ReadAsByteArrayAsync(cancellationToken);
                    clock.Stop();
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url()} answered {(int)response.StatusCode}");
                    times[name].Add(clock.Elapsed.TotalMilliseconds);
                }
            }
            var reference = times[kinds[0].Name];
            double refP50 = Percentile(reference, 50), refP99 = Percentile(reference, 99);
            output.WriteLine($"  {"request",-22} {"p50 ms",8} {"p99 ms",8} {"p50 / ref",10} {"p99 / ref",10}");
            foreach (var (name, _) in kinds)
            {
                double p50 = Percentile(times[name], 50), p99 = Percentile(times[name], 99);
                output.WriteLine($"  {name,-22} {p50,8:F2} {p99,8:F2} {p50 / refP50,10:F1} {p99 / refP99,10:F1}");
            }
            output.WriteLine($"  ingest meanwhile: {CliOptions.FormatBytes(activity.BytesPulled)} pulled");
            return ExitCodes.Ok;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static double Percentile(List<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>N verified clips over 100 recorders, in one transaction (a year of a busy station).</summary>
    private static async Task SeedAsync(CatalogStores catalog, int count, CancellationToken cancellationToken)
    {
        await using var c = await catalog.Database.OpenConnectionAsync(cancellationToken);
        await using var tx = c.BeginTransaction();
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        for (int r = 0; r < 100; r++)
            await CatalogDatabase.ExecAsync(c, tx, "INSERT INTO recorders(serial, model, firmware, officer_id, first_seen, last_seen) VALUES ($s, 'M', '1', 'P1', $now, $now);",
                cancellationToken, ("$s", $"BENCH-{r:D3}"), ("$now", now));
        await using var insert = CatalogDatabase.Command(c, tx, """
            INSERT INTO clips(recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id, state, announced_at, updated_at)
            VALUES ($serial, $clip, 1000000, $sha, $start, $end, 0, 'P1', 'verified', $now, $now);
            """, ("$serial", ""), ("$clip", ""), ("$sha", ""), ("$start", ""), ("$end", ""), ("$now", now));
        var start = DateTimeOffset.UtcNow.AddDays(-365);
        for (int i = 0; i < count; i++)
        {
            var at = start.AddMinutes(i * 5);
            insert.Parameters["$serial"].Value = $"BENCH-{i % 100:D3}";
            insert.Parameters["$clip"].Value = $"{at:yyyyMMdd-HHmmss}-{i:D6}.mp4";
            insert.Parameters["$sha"].Value = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)));
            insert.Parameters["$start"].Value = at.ToString("O", CultureInfo.InvariantCulture);
            insert.Parameters["$end"].Value = at.AddMinutes(4).ToString("O", CultureInfo.InvariantCulture);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }
}
