using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Dock.EndToEnd.Tests.Support;
using Dock.Simulator.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Dock.EndToEnd.Tests;

/// <summary>A real Prometheus (the Debian package ./test.sh installs) scrapes the running dock's <c>GET /metrics</c>; an OTLP receiver on
/// loopback takes what the dock pushes.</summary>
public sealed class MetricsScrapeTests
{
    [Fact]
    public async Task Prometheus_ScrapesTheRunningDock_AndSeesItsIngest()
    {
        var prometheus = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("prometheus is not installed: ./test.sh installs the Debian package `prometheus`");
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000 });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 4, CancellationToken.None).WaitAsync(DockHarness.Limit);
            var dock = new Uri(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var folder = Path.Combine(harness.DataDirectory, "prometheus");
            Directory.CreateDirectory(folder);
            var config = Path.Combine(folder, "prometheus.yml");
            await File.WriteAllTextAsync(config, $"""
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: dock
                    static_configs:
                      - targets: ['{dock.Host}:{dock.Port}']
                """);
            int port = FreePort();
            var info = new ProcessStartInfo(prometheus) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                         $"--web.listen-address=127.0.0.1:{port}" })
                info.ArgumentList.Add(arg);
            using var server = Process.Start(info)!;
            _ = server.StandardError.ReadToEndAsync();
            _ = server.StandardOutput.ReadToEndAsync();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
                // The catalog-backed gauges are sampled every 5 s and scraped every second: wait until Prometheus holds the settled values.
                double? pulled = null, up = null, released = null;
                var clock = Stopwatch.StartNew();
                while ((pulled != activity.BytesPulled || up != 1 || released != 4) && clock.Elapsed < DockHarness.Limit)
                {
                    await Task.Delay(500);
                    up = await QueryAsync(client, "up{job=\"dock\"}");
                    pulled = await QueryAsync(client, "dock_ingest_bytes_total");
                    released = await QueryAsync(client, "sum(dock_clips{state=\"released\"})");
                }
                Assert.Equal(1, up);
                Assert.Equal(activity.BytesPulled, pulled);
                Assert.Equal(4, released);
            }
            finally
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync();
            }
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Otlp_TheDockPushesItsMetricsToACollector_AtTheConfiguredInterval()
    {
        // The collector's side of OTLP/HTTP: a real Kestrel on a free loopback port that takes the protobuf posts, as a collector does.
        var received = System.Threading.Channels.Channel.CreateUnbounded<(string? ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            received.Writer.TryWrite((context.Request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        var endpoint = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1/metrics";

        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000 });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"),
            ("Dock:Http:OtlpEndpoint", endpoint), ("Dock:Http:OtlpInterval", "00:00:01"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsReleased == 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            // Posts come every second; wait for one taken after the ingest (the counter is cumulative, so any later post carries it).
            using var deadline = new CancellationTokenSource(DockHarness.Limit);
            (string? ContentType, byte[] Body) post;
            do post = await received.Reader.ReadAsync(deadline.Token);
            while (!Contains(post.Body, "dock.ingest.bytes") || !Contains(post.Body, "dock.clips.released"));
            Assert.Equal("application/x-protobuf", post.ContentType);
            Assert.True(Contains(post.Body, "service.name") && Contains(post.Body, "dock"), "the resource names the service");
            await host.StopAsync();
        }
        await collector.StopAsync();
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(needle)) >= 0;

    /// <summary>The value of a one-series instant query, or null while Prometheus has none.</summary>
    private static async Task<double?> QueryAsync(HttpClient client, string query)
    {
        try
        {
            var answer = JsonNode.Parse(await client.GetStringAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}"))!;
            var result = answer["data"]?["result"]?.AsArray();
            return result is { Count: 1 } ? double.Parse(result[0]!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture) : null;
        }
        catch (HttpRequestException)
        {
            return null; // still starting
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
