using System.Net;
using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Identity;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Playwright;

namespace Dock.EndToEnd.Tests.Web;

/// <summary>The console (/, /login, /alerts, /users) in Debian's Chromium against a running dock with simulated recorders.</summary>
public sealed class ConsoleTests
{
    private const string Password = "correct horse battery";

    private static string Address(IHost host) =>
        host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

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
}
