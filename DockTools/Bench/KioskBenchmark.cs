using System.Diagnostics;
using System.Globalization;
using Dock.Service;
using Dock.Service.Cli;
using Dock.Service.Configuration;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Simulator.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Dock.Tools.Bench;

/// <summary>
/// <c>dock bench kiosk</c>: the dock's ingest throughput while browsers watch the kiosk, against the same ingest with none, in the
/// same run. Rounds alternate (none, watched, none, watched…) so the machine's drift falls on both; each round is a fresh dock and a
/// fresh simulated fleet of unthrottled recorders. The browsers are Debian's Chromium (headless, one page per browser context, so one
/// renderer process each) on <c>/kiosk</c>, receiving every bay change by Server-Sent Events as an officer's screen would.
/// </summary>
/// <remarks>With <c>streamsOnly</c> the watchers are plain HTTP clients reading <c>/kiosk/events</c>, no browser: what the dock itself
/// spends on its watchers, apart from what the browsers spend rendering on the same cores.</remarks>
public sealed class KioskBenchmark(string dataDirectory, int browsers, int rounds, int recorders, int clipsEach, long clipSize, bool streamsOnly,
    TextWriter output)
{
    public const string Chromium = "/usr/bin/chromium";


    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Chromium))
        {
            await Console.Error.WriteLineAsync($"dock bench kiosk: {Chromium} is not installed (Debian package `chromium`; ./test.sh installs it).");
            return ExitCodes.Failed;
        }
        output.WriteLine($"dock bench kiosk — {recorders} recorders × {clipsEach} × {CliOptions.FormatBytes(clipSize)} a round, {rounds} rounds of each, " +
            $"{Environment.ProcessorCount} cores");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var alone = new List<double>();
        var watched = new List<double>();
        for (int round = 0; round < rounds * 2; round++)
        {
            int viewers = round % 2 == 0 ? 0 : browsers;
            double rate = await RoundAsync(browser, round, viewers, cancellationToken);
            (viewers == 0 ? alone : watched).Add(rate);
            output.WriteLine($"  round {round + 1}: {viewers} {Watchers} on the kiosk: {rate,7:0.0} MB/s ingested");
        }
        double a = alone.Average(), w = watched.Average();
        output.WriteLine($"  ingest with {browsers} {Watchers} / with none = {w:0.0} / {a:0.0} MB/s = {w / a:0.00}   (means of {rounds} rounds each)");
        return ExitCodes.Ok;
    }

    private string Watchers => streamsOnly ? "event-stream reader(s)" : "browser(s)";

    private async Task<double> RoundAsync(IBrowser browser, int round, int viewers, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(dataDirectory, $"round-{round}");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        var agency = DemoAgency.EndorseDock(DockPaths.From(new DockOptions { DataDirectory = dir }));
        await using var fleet = await SimulatedFleet.StartAsync(new FleetOptions
        {
            Recorders = recorders, ClipsPerRecorder = clipsEach, MinClipSize = clipSize, MaxClipSize = clipSize, TrustedAgencyKeys = [agency],
            ServeAtOnce = false,
        }, cancellationToken: cancellationToken);
        await DemoAgency.EnrolRecordersAsync(dir, fleet.Endpoints.Select(e => (e.Recorder.Serial, e.Recorder.Credential.PublicKey.ToArray())),
            "bench fleet", cancellationToken);
        long bytes = fleet.Endpoints.Sum(e => e.Recorder.Clips.Sum(c => c.Size));
        // The bays are configured, but the cameras only answer once the browsers are on the page.
        var overrides = new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = dir, ["Dock:Cloud:Target"] = "none", ["Dock:ReleasePolicy"] = "AfterLocalVerify",
            ["Dock:Http:Urls"] = "http://127.0.0.1:0", ["Dock:MaxConcurrentPulls"] = recorders.ToString(CultureInfo.InvariantCulture),
        };
        for (int i = 0; i < fleet.Endpoints.Count; i++)
        {
            overrides[$"Dock:Bays:{i}:Id"] = $"{i + 1}";
            overrides[$"Dock:Bays:{i}:Endpoint"] = fleet.Endpoints[i].Address;
        }
        var activity = new DockActivity();
        using var host = DockHost.Build([], overrides, activity, minimumLevel: LogLevel.Warning);
        var contexts = new List<IBrowserContext>();
        try
        {
            // The pages open while the dock starts: the first connection may be refused, and the kiosk reconnects by itself.
            await host.StartAsync(cancellationToken);
            var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            for (int i = 0; i < viewers && !streamsOnly; i++)
            {
                var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1024, Height = 600 } });
                contexts.Add(context);
                var page = await context.NewPageAsync();
                await page.GotoAsync(address + "/kiosk");
            }
            // Every page is up (its stream connected) before the cameras go into their bays; then from the first byte of each to the
            // last byte pulled.
            await Task.WhenAll(contexts.Select(c => c.Pages[0].WaitForFunctionAsync("() => document.getElementById('status').dataset.state === 'live'")));
            using var client = new HttpClient { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var readers = Enumerable.Range(0, streamsOnly ? viewers : 0).Select(async _ =>
            {
                try
                {
                    await using var stream = await client.GetStreamAsync("/kiosk/events", stop.Token);
                    var buffer = new byte[16 * 1024];
                    while (await stream.ReadAsync(buffer, stop.Token) > 0) { }
                }
                catch (OperationCanceledException) { }
            }).ToList();
            fleet.Serve();
            await Task.WhenAll(fleet.Endpoints.Select(e => e.Recorder.WaitUntilAsync(r => r.BytesServed > 0, cancellationToken)));
            var clock = Stopwatch.StartNew();
            long before = activity.BytesPulled;
            await activity.WaitUntilAsync(a => a.BytesPulled >= bytes, cancellationToken);
            double rate = (bytes - before) / 1e6 / clock.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            await Task.WhenAll(readers);
            return rate;
        }
        finally
        {
            foreach (var context in contexts) await context.CloseAsync();
            await host.StopAsync(CancellationToken.None);
            Directory.Delete(dir, recursive: true);
        }
    }
}
