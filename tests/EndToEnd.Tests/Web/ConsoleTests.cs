using System.Net;
using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Identity;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace Dock.EndToEnd.Tests.Web;

/// <summary>The console (/, /login, /alerts, /users) in Debian's Chromium against a running dock with simulated recorders.</summary>
public sealed class ConsoleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Password = "correct horse battery";

    private static string Address(IHost host) => DockHarness.HttpAddress(host);

    private static async Task AddUserAsync(DockHarness harness, string name, string role) =>
        await new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), TimeProvider.System).AddAsync(name, Password, [role], CancellationToken.None);

    private static async Task SignInAsync(IPage page, string name)
    {
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    [Fact]
    public async Task Supervisor_SignsIn_SeesTheDashboard_AndAcknowledgesAnAlert_AsThemselves()
    {
        await using var harness = DockHarness.Create();
        // The second recorder is not enrolled: its docking raises an untrusted-recorder alert for the supervisor.
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 50_000, MaxClipSize = 80_000 },
            enrol: false);
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory,
            [(fleet.Endpoints[0].Recorder.Serial, fleet.Endpoints[0].Recorder.Credential.PublicKey.ToArray())], "test", CancellationToken.None);
        await AddUserAsync(harness, "sam", Roles.Supervisor);
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await using var context = await browser.ContextAsync();
            var page = await context.NewPageAsync();
            // Not signed in: the console sends the person to sign in, and back afterwards.
            await page.GotoAsync(Address(host) + "/alerts");
            Assert.EndsWith("/login?returnUrl=%2Falerts", page.Url, StringComparison.Ordinal);
            await Browser.AssertAccessibleAsync(page);
            await page.GetByLabel("Name").FillAsync("sam");
            await page.GetByLabel("Password").FillAsync("wrong password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByRole(AriaRole.Alert).WaitForAsync();
            await SignInAsync(page, "sam");
            await page.WaitForURLAsync("**/alerts");

            // The alert, acknowledged with a reason: the page shows who, and the custody log names the person.
            var row = page.Locator("tr[data-alert]", new() { HasText = "untrusted-recorder" }).First;
            await row.GetByLabel("Why (recorded)").FillAsync("camera is new; enrolment tomorrow");
            await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
            await page.Locator("tr[data-alert]", new() { HasText = "sam@api: camera is new; enrolment tomorrow" }).WaitForAsync();
            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            Assert.Contains(events, e => e.Kind == CustodyEventKind.AlertAcknowledged && e.Actor == "sam@api");

            // The dashboard: bays, open alerts, the backlog, today's clips, checkpoints; keyboard and axe clean.
            await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
            await page.WaitForURLAsync(Address(host) + "/");
            Assert.Equal(2, await page.Locator("tr[data-bay]").CountAsync());
            Assert.Equal("4", (await page.Locator("[data-figure='clips-today'] .value").TextContentAsync())?.Trim());
            Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).CountAsync());
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "dashboard-en.png"), FullPage = true });
            var first = await Browser.FirstPaintAsync(page);
            await page.ReloadAsync();
            output.WriteLine($"dashboard first contentful paint: after sign-in {first:0} ms, warm {await Browser.FirstPaintAsync(page):0} ms");
            await page.GotoAsync(Address(host) + "/?lang=zh-CN");
            Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "dashboard-zh-CN.png"), FullPage = true });

            // Signing out ends the session.
            await page.GotoAsync(Address(host) + "/?lang=en");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await page.WaitForURLAsync("**/login");
            await page.GotoAsync(Address(host) + "/");
            Assert.Contains("/login", page.Url, StringComparison.Ordinal);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Officer_DoesNotSeeTheUsersPage_AndItsUrlAnswers403_WhileItAdminDoes()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 10_000, MaxClipSize = 10_000 });
        await AddUserAsync(harness, "olga", Roles.Officer);
        await AddUserAsync(harness, "ivan", Roles.ItAdmin);
        await using var browser = await Browser.LaunchAsync();
        var (host, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await using var context = await browser.ContextAsync();
            var page = await context.NewPageAsync();
            await page.GotoAsync(Address(host) + "/login");
            await SignInAsync(page, "olga");
            await page.WaitForURLAsync(Address(host) + "/");
            Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).CountAsync());
            Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Alerts" }).CountAsync());
            var users = await page.GotoAsync(Address(host) + "/users");
            Assert.Equal(403, users!.Status);
            Assert.Equal("Not for your role", (await page.Locator("main h2").TextContentAsync())?.Trim());

            await using var admin = await browser.ContextAsync();
            var adminPage = await admin.NewPageAsync();
            await adminPage.GotoAsync(Address(host) + "/users");
            await SignInAsync(adminPage, "ivan");
            await adminPage.WaitForURLAsync("**/users");
            Assert.Equal(2, await adminPage.Locator("tr[data-user]").CountAsync());
            await Browser.AssertAccessibleAsync(adminPage);

            // Without a browser session: a page redirects to the sign-in, the API answers 401.
            using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(Address(host)) };
            var redirect = await anonymous.GetAsync("/users");
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            Assert.Equal("/login?returnUrl=%2Fusers", redirect.Headers.Location?.OriginalString);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/clips")).StatusCode);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Auditor_OpensAClip_AndVerifiesIt_AndATamperedCopyFails()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 150_000 });
        await AddUserAsync(harness, "ada", Roles.Auditor);
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            var serial = fleet.Endpoints[0].Recorder.Serial;
            var clips = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(serial, CancellationToken.None)).OrderBy(c => c.ClipId).ToList();

            await using var context = await browser.ContextAsync();
            var page = await context.NewPageAsync();
            await page.GotoAsync(Address(host) + "/clips");
            await SignInAsync(page, "ada");
            await page.WaitForURLAsync("**/clips");
            Assert.Equal(2, await page.Locator("tr[data-clip]").CountAsync());
            await page.GetByLabel("Camera serial").FillAsync(serial);
            await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
            await page.WaitForURLAsync("**/clips?serial=*");
            await Browser.AssertAccessibleAsync(page);

            await page.GetByRole(AriaRole.Link, new() { Name = clips[0].ClipId }).ClickAsync();
            await page.Locator("#verify").WaitForAsync();
            Assert.Equal(clips[0].DeviceSha256, (await page.Locator("[data-field='device-sha256']").TextContentAsync())?.Trim());
            Assert.True(await page.Locator("ul.custody li").CountAsync() >= 3, "the clip's custody entries");
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify now" }).ClickAsync();
            await page.Locator("#verify-result [data-outcome]").WaitForAsync();
            Assert.Equal("verified", await page.Locator("#verify-result [data-outcome]").GetAttributeAsync("data-outcome"));
            var steps = await page.Locator("#verify-result li").CountAsync();
            Assert.True(steps >= 3, $"{steps} checks shown");
            Assert.Equal(steps, await page.Locator("#verify-result li[data-ok='true']").CountAsync());
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "clip-verified-en.png"), FullPage = true });

            // One byte of the other clip's vault copy changed behind the dock's back: "verify now" says so.
            var path = Path.Combine(harness.DataDirectory, clips[1].VaultPath!);
            var bytes = await File.ReadAllBytesAsync(path);
            bytes[bytes.Length / 2] ^= 0x01;
            await File.WriteAllBytesAsync(path, bytes);
            await page.GotoAsync(Address(host) + $"/clips/{serial}/{clips[1].ClipId}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify now" }).ClickAsync();
            await page.Locator("#verify-result [data-outcome]").WaitForAsync();
            Assert.Equal("hashmismatch", await page.Locator("#verify-result [data-outcome]").GetAttributeAsync("data-outcome"));
            Assert.True(await page.Locator("#verify-result li[data-ok='false']").CountAsync() >= 1);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task EquipmentManager_SeesEachRecordersLastDockingAndBattery_AndRevokesOneAsThemselves()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 1, MinClipSize = 20_000, MaxClipSize = 20_000 });
        await AddUserAsync(harness, "eve", Roles.EquipmentManager);
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await using var context = await browser.ContextAsync();
            var page = await context.NewPageAsync();
            await page.GotoAsync(Address(host) + "/recorders");
            await SignInAsync(page, "eve");
            await page.WaitForURLAsync("**/recorders");
            var first = fleet.Endpoints[0].Recorder.Serial;
            var row = page.Locator($"tr[data-recorder='{first}']");
            Assert.Equal(2, await page.Locator("tr[data-recorder][data-enrolment='enrolled']").CountAsync());
            Assert.Matches(@"^\d+ % \(health \d+ %\)$", (await row.Locator("[data-field='battery']").TextContentAsync())?.Trim());
            Assert.Contains("Bay 1", await row.TextContentAsync(), StringComparison.Ordinal);
            await Browser.AssertAccessibleAsync(page);

            await row.GetByLabel("Why (recorded)").FillAsync("reported lost by its officer");
            await row.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
            await page.Locator($"tr[data-recorder='{first}'][data-enrolment='revoked']").WaitForAsync();
            Assert.Contains("revoked: reported lost by its officer", await page.Locator($"tr[data-recorder='{first}']").TextContentAsync(),
                StringComparison.Ordinal);
            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            Assert.Contains(events, e => e.Kind == CustodyEventKind.RecorderRevoked && e.RecorderSerial == first && e.Actor == "eve@api");
            await host.StopAsync();
        }
    }
}
