using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Metadata;

/// <summary>Evidence tags end to end: what the dock derives, the officer tagging at the kiosk in Chromium, a supervisor's edit in the
/// console, a later edit from the shell; every change in the custody log with who, old and new value and source.</summary>
public sealed class TaggingTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task TagLifecycle_DerivedValues_ThenTheOfficerAtTheKiosk_ThenASupervisor_ThenTheShell_EachChangeInTheCustodyLog()
    {
        await using var harness = DockHarness.Create();
        // The cameras' clocks run 90 s ahead of the dock's: the capture time is corrected by the offset found at docking.
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 2, ClipsPerRecorder = 3, MinClipSize = 30_000, MaxClipSize = 40_000, ClockOffset = TimeSpan.FromSeconds(90),
            ClipMetadata = false, // cameras without GPS: the place comes from the dock (RecorderMetadataTests covers the GPS)
        });
        var mine = fleet.Endpoints[0].Recorder;
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "olga", Password, [Roles.Officer], mine.Options.OfficerId, CancellationToken.None);
        var pin = await accounts.SetPinAsync("test", "olga", "482916", CancellationToken.None);
        await accounts.AddAsync("test", "sam", Password, [Roles.Supervisor], null, CancellationToken.None);
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"),
            ("Dock:Metadata:Location", "Xicheng station, Beijing"));
        var address = DockHarness.HttpAddress(host);
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 6);
            var clips = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(mine.Serial, CancellationToken.None)).OrderBy(c => c.ClipId).ToList();

            // Before anyone tags: the dock's own values, and the two fields only a person can give still missing.
            using var api = new HttpClient { BaseAddress = new Uri(address) };
            var signedIn = await (await api.PostAsJsonAsync("/api/v1/login", new { name = "sam", password = Password })).Content.ReadFromJsonAsync<JsonElement>();
            api.DefaultRequestHeaders.Add("X-Dock-CSRF", signedIn.GetProperty("csrfToken").GetString());
            var before = await api.GetFromJsonAsync<JsonElement>($"/api/v1/clips/{mine.Serial}/{clips[0].ClipId}/metadata");
            var captured = DateTimeOffset.Parse(before.GetProperty("fields").GetProperty("capture-time").GetProperty("value").GetString()!, CultureInfo.InvariantCulture);
            Assert.InRange((clips[0].DeviceStart - TimeSpan.FromSeconds(90) - captured).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(3));
            Assert.True(before.GetProperty("fields").GetProperty("capture-time").GetProperty("derived").GetBoolean());
            Assert.Equal("Xicheng station, Beijing", before.GetProperty("fields").GetProperty("capture-place").GetProperty("value").GetString());
            Assert.Equal(mine.Options.OfficerId, before.GetProperty("fields").GetProperty("collector").GetProperty("value").GetString());
            Assert.Equal(["case-number", "purpose"], before.GetProperty("missing").EnumerateArray().Select(m => m.GetString()));

            // The officer at the kiosk: all three clips of this docking at once.
            await using var kiosk = await browser.ContextAsync("zh-CN");
            var page = await kiosk.NewPageAsync();
            await page.GotoAsync(address + "/kiosk");
            await page.Locator("#badge").FillAsync(mine.Options.OfficerId);
            await page.Locator("#pin").FillAsync(pin);
            await page.Locator("#kiosk-signin button[type='submit']").ClickAsync();
            await page.Locator("#mine:not([hidden])").WaitForAsync();
            Assert.Equal(3, await page.Locator("#my-clips [data-field='tags']", new() { HasText = "缺少" }).CountAsync());
            Assert.True(await page.Locator("#overdue").IsHiddenAsync()); // just docked: not overdue (MissingTagWatchTests times it)
            await page.Locator("#pick-docking").ClickAsync();
            await page.Locator("#tag-case").FillAsync("京公(西)行罚决字〔2026〕117号");
            await page.Locator("#tag-purpose").FillAsync("现场检查，证明当事人拒不配合");
            await page.Locator("#tag-category").SelectOptionAsync("public-order");
            var clock = Stopwatch.StartNew();
            await page.Locator("#tag-form button[type='submit']").ClickAsync();
            await page.Locator("#tag-result[data-outcome='saved']").WaitForAsync();
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#my-clips [data-field=tags]')].every(td => td.textContent.includes('117号'))");
            output.WriteLine($"kiosk tagging: 3 clips × 3 fields saved and shown in {clock.Elapsed.TotalMilliseconds:0} ms");
            Assert.Equal(0, await page.Locator("#my-clips [data-field='tags']", new() { HasText = "缺少" }).CountAsync());
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "kiosk-tagging-zh-CN.png"), FullPage = true });

            // Another officer's footage cannot be tagged from this session.
            using var other = new HttpClient { BaseAddress = new Uri(address) };
            var session = await (await other.PostAsJsonAsync("/api/v1/kiosk/signin", new { badge = mine.Options.OfficerId, pin })).Content.ReadFromJsonAsync<JsonElement>();
            other.DefaultRequestHeaders.Add("X-Dock-CSRF", session.GetProperty("csrfToken").GetString());
            var foreign = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(fleet.Endpoints[1].Recorder.Serial, CancellationToken.None))[0];
            var refused = await other.PutAsJsonAsync("/api/v1/kiosk/tags",
                new { clips = new[] { new { serial = foreign.RecorderSerial, clipId = foreign.ClipId } }, caseNumber = "X-1" });
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var badCategory = await other.PutAsJsonAsync("/api/v1/kiosk/tags",
                new { clips = new[] { new { serial = mine.Serial, clipId = clips[0].ClipId } }, category = "no-such-category" });
            Assert.Equal(HttpStatusCode.BadRequest, badCategory.StatusCode);

            // A supervisor corrects one clip's 证明对象 in the console, with a reason.
            await using var console = await browser.ContextAsync();
            var desk = await console.NewPageAsync();
            await desk.GotoAsync(address + $"/clips/{mine.Serial}/{clips[1].ClipId}");
            await desk.GetByLabel("Name").FillAsync("sam");
            await desk.GetByLabel("Password").FillAsync(Password);
            await desk.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await desk.Locator("#edit-tags").WaitForAsync();
            Assert.Equal("the dock", (await desk.Locator("tr[data-tag='capture-time'] td").Nth(1).TextContentAsync())?.Trim());
            Assert.Equal("the officer, at the kiosk", (await desk.Locator("tr[data-tag='purpose'] td").Nth(1).TextContentAsync())?.Trim());
            await desk.Locator("#edit-purpose").FillAsync("现场检查，证明当事人拒不配合并阻碍执法");
            await desk.Locator("#edit-reason").FillAsync("officer's wording completed");
            await desk.GetByRole(AriaRole.Button, new() { Name = "Save tags" }).ClickAsync();
            await desk.Locator("tr[data-tag='purpose'] td", new() { HasText = "阻碍执法" }).First.WaitForAsync();
            Assert.Equal("the console", (await desk.Locator("tr[data-tag='purpose'] td").Nth(1).TextContentAsync())?.Trim());
            await Browser.AssertAccessibleAsync(desk);

            // The same supervisor keeps the clip with a legal hold, then lifts it, each with a reason; with no cloud copy it is never purged.
            Assert.Contains("public-order", await desk.Locator("#retention [data-field='kept-for']").TextContentAsync(), StringComparison.Ordinal);
            Assert.Contains("never", await desk.Locator("#retention [data-field='due']").TextContentAsync(), StringComparison.Ordinal);
            await desk.Locator("#hold-reason").FillAsync("complaint under review");
            await desk.GetByRole(AriaRole.Button, new() { Name = "Place a hold on this clip" }).ClickAsync();
            var held = desk.Locator("#retention li[data-hold]");
            await held.WaitForAsync();
            var holdId = await held.GetAttributeAsync("data-hold");
            await Browser.AssertAccessibleAsync(desk);
            await desk.Locator($"#lift-{holdId}").FillAsync("review closed");
            await desk.GetByRole(AriaRole.Button, new() { Name = "Lift" }).ClickAsync();
            await held.WaitForAsync(new() { State = WaitForSelectorState.Detached });
            var holdEntries = (await EnrolmentTests.EventsAsync(await harness.CatalogAsync()))
                .Where(e => e.Kind is CustodyEventKind.HoldPlaced or CustodyEventKind.HoldLifted).ToList();
            Assert.Equal([($"hold {holdId} on this clip: complaint under review", "sam@api"), ($"hold {holdId} on this clip lifted: review closed", "sam@api")],
                holdEntries.Select(e => (e.Detail, e.Actor)));
            Assert.All(holdEntries, e => Assert.Equal(clips[1].ClipId, e.ClipId));
            await host.StopAsync();
        }

        // Later, from the shell (the dock stopped or running beside): a place corrected, with a reason; a bad category refused clearly.
        // The shell reads the dock's settings as `dock run` does (appsettings.json, then the environment).
        var (code, stdout, stderr) = await DockHarness.RunDockAsync(["clips", "tag", mine.Serial,
            (await (await harness.CatalogAsync()).Clips.ListClipsAsync(mine.Serial, CancellationToken.None)).OrderBy(c => c.ClipId).First().ClipId,
            "--place", "Xidan crossing, Beijing", "--reason", "place from the officer's notebook", "--data", harness.DataDirectory],
            new Dictionary<string, string> { ["Dock__Metadata__Location"] = "Xicheng station, Beijing" });
        Assert.True(code == 0, stderr);
        Assert.Contains("capture-place  Xidan crossing, Beijing   (cli,", stdout, StringComparison.Ordinal);
        (code, _, stderr) = await DockHarness.RunDockAsync("clips", "tag", mine.Serial, "nope.mp4", "--case", "1", "--reason", "r", "--data", harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("holds no clip nope.mp4", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await DockHarness.RunDockAsync("clips", "tag", mine.Serial,
            (await (await harness.CatalogAsync()).Clips.ListClipsAsync(mine.Serial, CancellationToken.None))[0].ClipId, "--category", "parking", "--reason", "r",
            "--data", harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("'parking' is not a configured category", stderr, StringComparison.Ordinal);

        // The custody log holds every change: three fields × three clips by the officer, the supervisor's correction, the shell's place.
        var changes = (await EnrolmentTests.EventsAsync(await harness.CatalogAsync())).Where(e => e.Kind == CustodyEventKind.MetadataChanged).ToList();
        Assert.Equal(11, changes.Count);
        Assert.Equal(9, changes.Count(e => e.Actor == "olga@kiosk" && e.Detail!.EndsWith("(officer)", StringComparison.Ordinal)));
        var correction = Assert.Single(changes, e => e.Actor == "sam@api");
        Assert.Equal("purpose: \"现场检查，证明当事人拒不配合\" -> \"现场检查，证明当事人拒不配合并阻碍执法\" (console); officer's wording completed", correction.Detail);
        var shell = Assert.Single(changes, e => e.Detail!.StartsWith("capture-place", StringComparison.Ordinal));
        Assert.Equal("capture-place: \"Xicheng station, Beijing\" -> \"Xidan crossing, Beijing\" (cli); place from the officer's notebook", shell.Detail);
        Assert.EndsWith("@" + Environment.MachineName, shell.Actor, StringComparison.Ordinal);

        // The statistics see it: six clips by two officers, the three tagged ones complete (place from the dock's location).
        // From yesterday: the simulated clips were recorded in the hour before the test, which past midnight UTC is yesterday.
        var day = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        (code, var csv, stderr) = await DockHarness.RunDockAsync(["report", "stats", "--from", yesterday, "--to", day, "--csv", "--data", harness.DataDirectory],
            new Dictionary<string, string> { ["Dock__Metadata__Location"] = "Xicheng station, Beijing" });
        Assert.True(code == 0, stderr);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("total,all,6,", lines[1], StringComparison.Ordinal);
        Assert.Contains($"officer,{mine.Options.OfficerId},3,", csv, StringComparison.Ordinal);
        Assert.Contains("category,public-order,3,", csv, StringComparison.Ordinal);
        Assert.Contains($"tags-complete,{mine.Options.OfficerId},3,,3", csv, StringComparison.Ordinal);
        Assert.Contains($"tags-complete,{fleet.Endpoints[1].Recorder.Options.OfficerId},3,,0", csv, StringComparison.Ordinal);
        (code, _, stderr) = await DockHarness.RunDockAsync("report", "stats", "--from", "2026-13-01", "--to", day, "--data", harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("yyyy-MM-dd", stderr, StringComparison.Ordinal);
    }
}
