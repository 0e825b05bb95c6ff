using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Ingest;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Web;

/// <summary>The kiosk (/kiosk) in Debian's Chromium against a running dock with simulated recorders.</summary>
public sealed class KioskTests(ITestOutputHelper output)
{
    private static string Address(IHost host) => DockHarness.HttpAddress(host);

    /// <summary>Records every tile's phase changes in the page, with the page's clock (the same wall clock as the test's).</summary>
    private const string PhaseRecorder = """
        window.__phases = [];
        new MutationObserver((changes) => {
          for (const change of changes)
            if (change.attributeName === 'data-phase')
              window.__phases.push({ bay: change.target.dataset.bay, phase: change.target.dataset.phase, at: Date.now() });
        }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-phase'] });
        // When the page's stream delivered its first event: changes the dock knew before came with the page, not the stream.
        const Original = window.EventSource;
        window.EventSource = function (url, options) {
          const source = new Original(url, options);
          window.__events = [];
          source.addEventListener('bays', () => { window.__streaming ??= Date.now(); window.__events.push(Date.now()); });
          return source;
        };
        Object.assign(window.EventSource, { CONNECTING: 0, OPEN: 1, CLOSED: 2, prototype: Original.prototype });
        """;

    [Fact]
    public async Task Kiosk_FromTheDocksOwnScreen_ShowsEveryBay_AndFollowsItFromIdentifyingToDone()
    {
        await using var harness = DockHarness.Create();
        // Slow links (about 3 s a recorder) so the tiles pass through their phases while the page watches.
        await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 3, MinClipSize = 200_000, MaxClipSize = 300_000, ThrottleMBps = 0.3 });
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            // When the dock knew each phase (in process, the same clock as the browser's).
            var known = new ConcurrentQueue<(string Bay, string Phase, DateTimeOffset At)>();
            using var watching = new CancellationTokenSource();
            var watcher = Task.Run(async () =>
            {
                var last = new Dictionary<string, BayPhase>();
                while (!watching.IsCancellationRequested)
                {
                    var changed = activity.NextChangeAsync();
                    foreach (var bay in activity.Bays)
                        if (!last.TryGetValue(bay.BayId, out var was) || was != bay.Phase)
                        {
                            last[bay.BayId] = bay.Phase;
                            known.Enqueue((bay.BayId, bay.Phase.ToString().ToLowerInvariant(), DateTimeOffset.UtcNow));
                        }
                    await Task.WhenAny(changed, Task.Delay(Timeout.Infinite, watching.Token));
                }
            });

            await using var context = await browser.ContextAsync("en-US");
            var page = await context.NewPageAsync();
            await page.AddInitScriptAsync(PhaseRecorder);
            var response = await page.GotoAsync(Address(host) + "/kiosk");
            Assert.Equal(200, response!.Status);
            Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
            Assert.Equal(2, await page.Locator("[data-bay]").CountAsync());
            var streaming = DateTimeOffset.FromUnixTimeMilliseconds((long)(await (await page.WaitForFunctionAsync("() => window.__streaming")).JsonValueAsync<double>()));

            await page.Locator("[data-bay='1'][data-phase='done']").WaitForAsync(new() { Timeout = (float)DockHarness.Limit.TotalMilliseconds });
            await page.Locator("[data-bay='2'][data-phase='done']").WaitForAsync(new() { Timeout = (float)DockHarness.Limit.TotalMilliseconds });
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "kiosk-en.png"), FullPage = true });
            await Browser.AssertAccessibleAsync(page);
            await watching.CancelAsync();
            await watcher;

            // The officer saw the bay go through the transfer to done, in that order, with the words and the light of each phase.
            var seen = await page.EvaluateAsync<Seen[]>("window.__phases");
            var bay1 = seen.Where(s => s.Bay == "1").Select(s => s.Phase).ToList();
            Assert.Contains("transferring", bay1);
            Assert.Equal("done", bay1[^1]);
            Assert.True(bay1.IndexOf("transferring") < bay1.LastIndexOf("done"));
            var tile = page.Locator("[data-bay='1']");
            Assert.Equal("Done — safe to remove", (await tile.Locator(".phase").TextContentAsync())?.Trim());
            Assert.Equal("done", await tile.GetAttributeAsync("data-light"));
            Assert.Equal("3 / 3", (await tile.Locator("[data-field='clips']").TextContentAsync())?.Trim());
            Assert.Equal(harness.Fleet!.Endpoints[0].Recorder.Serial, (await tile.Locator("[data-field='serial']").TextContentAsync())?.Trim());
            Assert.Equal("live", await page.GetAttributeAsync("#status", "data-state"));

            // Latency from the dock knowing a phase to the page showing it: a figure for the closing note, not a pass mark here.
            // Split at the event's arrival in the page: dock → browser (the stream) and browser → screen (the script and the DOM).
            var events = await page.EvaluateAsync<double[]>("window.__events");
            var latencies = new List<(double Total, double Stream, double Page)>();
            foreach (var change in seen)
            {
                var at = known.Where(k => k.Bay == change.Bay && k.Phase == change.Phase && k.At.ToUnixTimeMilliseconds() <= change.At + 5)
                    .Select(k => (DateTimeOffset?)k.At).LastOrDefault();
                if (at is not { } knownAt || knownAt <= streaming) continue;
                double arrived = events.Where(e => e <= change.At).DefaultIfEmpty(change.At).Max();
                latencies.Add((change.At - knownAt.ToUnixTimeMilliseconds(), arrived - knownAt.ToUnixTimeMilliseconds(), change.At - arrived));
            }
            Assert.NotEmpty(latencies);
            static string Spread(IEnumerable<double> values)
            {
                var sorted = values.Order().ToList();
                return $"p50 {sorted[sorted.Count / 2]:0} ms, max {sorted[^1]:0} ms";
            }
            output.WriteLine($"phase change → on screen: {latencies.Count} changes, {Spread(latencies.Select(l => l.Total))} " +
                $"(dock → event in the page {Spread(latencies.Select(l => l.Stream))}; event → DOM {Spread(latencies.Select(l => l.Page))})");
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Kiosk_AcceptLanguageChinese_RendersChinese_AndLanguageCanBeSwitched()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 1, MinClipSize = 50_000, MaxClipSize = 50_000 });
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await using var context = await browser.ContextAsync("zh-CN");
            var page = await context.NewPageAsync();
            await page.GotoAsync(Address(host) + "/kiosk");
            Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
            // Time to first contentful paint, first load and warm (a figure for the closing note, not a pass mark).
            var first = await Browser.FirstPaintAsync(page);
            await page.ReloadAsync();
            output.WriteLine($"kiosk first contentful paint: first load {first:0} ms, warm {await Browser.FirstPaintAsync(page):0} ms");
            var (bytes, requests) = await Browser.WeightAsync(page);
            output.WriteLine($"kiosk page weight: {bytes:N0} bytes in {requests} requests (2 bays, zh-CN)");
            await page.Locator("[data-bay='1'][data-phase='done']").WaitForAsync();
            Assert.Equal("已完成，可以取出", (await page.Locator("[data-bay='1'] .phase").TextContentAsync())?.Trim());
            Assert.Contains("执法记录仪", await page.TitleAsync(), StringComparison.Ordinal);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "kiosk-zh-CN.png"), FullPage = true });
            await Browser.AssertAccessibleAsync(page);

            // The person's own choice wins over the browser's, and is kept for the next visit.
            await page.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
            await page.WaitForURLAsync("**/kiosk?lang=en");
            Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
            await page.GotoAsync(Address(host) + "/kiosk");
            Assert.Equal("Done — safe to remove", (await page.Locator("[data-bay='1'] .phase").TextContentAsync())?.Trim());
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Kiosk_AnUnenrolledCamera_SaysWhyInTheOfficersLanguage()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 20_000, MaxClipSize = 20_000 }, enrol: false);
        await using var browser = await Browser.LaunchAsync();
        var (host, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            foreach (var (locale, words) in new[]
            {
                ("en-US", "Camera not enrolled or not trusted: call the equipment manager. 2 clip(s) left on the camera."),
                ("zh-CN", "记录仪未登记或不受信任：请联系装备管理员。2 段视频保留在记录仪上。"),
            })
            {
                await using var context = await browser.ContextAsync(locale);
                var page = await context.NewPageAsync();
                await page.GotoAsync(Address(host) + "/kiosk");
                var tile = page.Locator("[data-bay='1'][data-phase='attention']");
                await tile.WaitForAsync(new() { Timeout = (float)DockHarness.Limit.TotalMilliseconds });
                await page.Locator("[data-bay='1'] [data-field='message']", new() { HasText = words }).WaitForAsync();
                Assert.Equal("attention", await tile.GetAttributeAsync("data-light"));
            }
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Kiosk_ReconnectsByItself_AfterTheDockRestarts()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 50_000, MaxClipSize = 50_000 });
        await using var browser = await Browser.LaunchAsync();
        // The same address across the restart, as a real dock has.
        var urls = ("Dock:Http:Urls", $"http://127.0.0.1:{FreePort()}");
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none"), urls);
        await using var context = await browser.ContextAsync();
        var page = await context.NewPageAsync();
        using (host)
        {
            await page.GotoAsync(Address(host) + "/kiosk");
            await page.Locator("[data-bay='1'][data-phase='done']").WaitForAsync(new() { Timeout = (float)DockHarness.Limit.TotalMilliseconds });
            await host.StopAsync();
        }
        // The page says it lost the dock, and keeps the last tiles it had.
        await page.Locator("#status[data-state='reconnecting']").WaitForAsync(new() { Timeout = (float)DockHarness.Limit.TotalMilliseconds });
        Assert.Equal(1, await page.Locator("[data-bay]").CountAsync());

        var (again, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none"), urls);
        using (again)
        {
            // No reload: the same page is live again and follows the restarted dock (its bay docks the recorder once more).
            await page.Locator("#status[data-state='live']").WaitForAsync(new() { Timeout = (float)DockHarness.Limit.TotalMilliseconds });
            await page.Locator("[data-bay='1'][data-phase='done']").WaitForAsync(new() { Timeout = (float)DockHarness.Limit.TotalMilliseconds });
            await again.StopAsync();
        }
    }

    [Fact]
    public async Task Kiosk_FromElsewhereOrWhenConfiguredSo_NeedsSignIn_AndServesOnlyItsOwnAssets()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 50_000, MaxClipSize = 50_000 });
        var (host, _) = await harness.StartDockAsync(("Dock:Web:KioskAccess", "SignedIn"), ("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            using var client = new HttpClient { BaseAddress = new Uri(Address(host)) };
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/kiosk")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/kiosk/events")).StatusCode);
            // The assets are the dock's own, embedded: nothing else can be named, and a path never leaves them.
            var css = await client.GetAsync("/web/kiosk.css");
            Assert.Equal(HttpStatusCode.OK, css.StatusCode);
            Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
            using var again = new HttpRequestMessage(HttpMethod.Get, "/web/kiosk.css");
            again.Headers.IfNoneMatch.Add(css.Headers.ETag!);
            Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(again)).StatusCode);
            foreach (var path in new[] { "/web/..%2Fappsettings.json", "/web/appsettings.json", "/web/Dock.Service.Web.Strings.en.json", "/web/%2e%2e%2fcatalog.db" })
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(path)).StatusCode);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Officer_SignsInWithBadgeAndPin_SeesTheirCameraAndFootage_AndIsSignedOutWhenIdle()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 3, MinClipSize = 40_000, MaxClipSize = 60_000 });
        var mine = fleet.Endpoints[1].Recorder;
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "olga", "correct horse battery", [Roles.Officer], mine.Options.OfficerId, CancellationToken.None);
        var pin = await accounts.SetPinAsync("test", "olga", "482916", CancellationToken.None);
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"),
            ("Dock:Web:KioskIdleTimeout", "00:00:10"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 6);
            // A phone-sized screen: the PIN pad and the officer's view must work there too.
            await using var context = await browser.ContextAsync("en-US", 390, 844);
            var page = await context.NewPageAsync();
            await page.GotoAsync(Address(host) + "/kiosk");
            await page.Locator("[data-bay='2'][data-phase='done']").WaitForAsync();

            // A wrong PIN: one message for every failure, nothing opened.
            await page.GetByLabel("Badge number").FillAsync(mine.Options.OfficerId);
            foreach (var digit in "111222") await page.Locator($".pinpad [data-digit='{digit}']").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            await page.Locator("#signin-error:not([hidden])").WaitForAsync();
            Assert.True(await page.Locator("#mine").IsHiddenAsync());

            // The right PIN, typed on the pad: the officer's own camera and its footage, the other bays out of the way.
            foreach (var digit in pin) await page.Locator($".pinpad [data-digit='{digit}']").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
            await page.Locator("#mine:not([hidden])").WaitForAsync();
            Assert.Equal($"olga (badge {mine.Options.OfficerId})", (await page.Locator("#mine-title").TextContentAsync())?.Trim());
            Assert.Contains($"{mine.Serial}: in bay 2", await page.Locator($"#my-recorders [data-recorder='{mine.Serial}']").TextContentAsync(), StringComparison.Ordinal);
            Assert.Equal(3, await page.Locator("#my-clips tr.this-docking").CountAsync());
            Assert.True(await page.Locator("[data-bay='1']").IsHiddenAsync());
            Assert.True(await page.Locator("[data-bay='2']").IsVisibleAsync());
            Assert.Equal(1, await page.Locator("[data-slot='tagging']").CountAsync());
            // The session opens the officer's view only: not the console, not the API of the console.
            Assert.Equal(403, await page.EvaluateAsync<int>("async () => (await fetch('/api/v1/me')).status"));
            Assert.Equal(200, await page.EvaluateAsync<int>("async () => (await fetch('/api/v1/kiosk/mine')).status"));
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "kiosk-officer-en.png"), FullPage = true });

            // No touch for the idle time: back to the bays, and the session is gone on the server too.
            await page.Locator("#signin:not([hidden])").WaitForAsync(new() { Timeout = 30_000 });
            Assert.True(await page.Locator("#mine").IsHiddenAsync());
            Assert.True(await page.Locator("[data-bay='1']").IsVisibleAsync());
            await page.WaitForFunctionAsync("async () => (await fetch('/api/v1/kiosk/mine')).status === 401");
            await host.StopAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public sealed class Seen
    {
        public string Bay { get; set; } = "";
        public string Phase { get; set; } = "";
        public double At { get; set; }
    }
}
