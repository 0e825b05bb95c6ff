using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
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
        await new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System).AddAsync("test", name, Password, [role], null, CancellationToken.None);

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
            // Recorded today (UTC, the camera's start): the four simulated clips were recorded in the hour before, past midnight partly yesterday.
            var midnight = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
            var all = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
            Assert.Equal(4, all.Count);
            Assert.Equal($"{all.Count(c => c.DeviceStart >= midnight)}", (await page.Locator("[data-figure='clips-today'] .value").TextContentAsync())?.Trim());
            Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).CountAsync());
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "dashboard-en.png"), FullPage = true });
            var first = await Browser.FirstPaintAsync(page);
            await page.ReloadAsync();
            output.WriteLine($"dashboard first contentful paint: after sign-in {first:0} ms, warm {await Browser.FirstPaintAsync(page):0} ms");
            var (bytes, requests) = await Browser.WeightAsync(page);
            output.WriteLine($"dashboard page weight: {bytes:N0} bytes in {requests} requests");
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

            // IT adds an officer with a badge, gives them a PIN, changes their roles and disables them: each a custody entry naming ivan.
            var add = adminPage.Locator("#add-user");
            await add.GetByLabel("Name", new() { Exact = true }).FillAsync("petr");
            await add.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
            await add.GetByLabel("Badge number", new() { Exact = true }).FillAsync("P777001");
            await add.GetByLabel("officer", new() { Exact = true }).CheckAsync();
            await add.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
            var petr = adminPage.Locator("tr[data-user='petr']");
            await petr.WaitForAsync();
            await petr.GetByRole(AriaRole.Button, new() { Name = "New PIN" }).ClickAsync();
            await adminPage.Locator("#pin-shown", new() { HasTextRegex = new Regex(@"New PIN of petr: \d{6}\.") }).WaitForAsync();
            var pin = Regex.Match((await adminPage.Locator("#pin-shown").TextContentAsync())!, @"\d{6}").Value;
            using (var kiosk = new HttpClient { BaseAddress = new Uri(Address(host)) })
            {
                Assert.Equal(HttpStatusCode.OK, (await kiosk.PostAsJsonAsync("/api/v1/kiosk/signin", new { badge = "P777001", pin })).StatusCode);
                Assert.Equal(HttpStatusCode.Unauthorized, (await kiosk.PostAsJsonAsync("/api/v1/kiosk/signin", new { badge = "P777001", pin = "000000" })).StatusCode);
            }
            await petr.GetByLabel("supervisor", new() { Exact = true }).CheckAsync();
            await petr.GetByRole(AriaRole.Button, new() { Name = "Save" }).First.ClickAsync();
            await adminPage.Locator("tr[data-user='petr'] input[value='supervisor']:checked").WaitForAsync();
            await petr.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
            await adminPage.Locator("tr[data-user='petr'][data-state='disabled']").WaitForAsync();
            // The last it-admin cannot lock everyone out of user management.
            var ivan = adminPage.Locator("tr[data-user='ivan']");
            await ivan.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
            await ivan.GetByRole(AriaRole.Alert).WaitForAsync();
            Assert.Contains("last enabled it-admin", await ivan.GetByRole(AriaRole.Alert).TextContentAsync(), StringComparison.Ordinal);
            Assert.Equal("active", await ivan.GetAttributeAsync("data-state"));
            await Browser.AssertAccessibleAsync(adminPage);
            await adminPage.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "users-en.png"), FullPage = true });
            var changes = (await EnrolmentTests.EventsAsync(await harness.CatalogAsync()))
                .Where(e => e.Kind == CustodyEventKind.UserChanged && e.Actor == "ivan@api").Select(e => e.Detail).ToList();
            Assert.Equal(["user petr added: roles officer, badge P777001", "user petr: PIN reset", "user petr: roles officer -> officer,supervisor",
                "user petr: disabled"], changes);
            Assert.DoesNotContain(changes, d => d!.Contains(pin, StringComparison.Ordinal));

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

            // The statistics page: this month's two clips, by the camera's officer, a chart by day.
            await page.GetByRole(AriaRole.Link, new() { Name = "Statistics" }).ClickAsync();
            await page.WaitForURLAsync("**/reports");
            Assert.Equal("2", (await page.Locator("[data-figure='clips'] .value").TextContentAsync())?.Trim());
            Assert.Equal(1, await page.Locator($"table[data-table='officer'] tr[data-key='{fleet.Endpoints[0].Recorder.Options.OfficerId}']").CountAsync());
            Assert.Equal(1, await page.Locator("figure.chart svg").CountAsync());
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "reports-en.png"), FullPage = true });
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

    /// <summary>Presses Tab until the focus is on an element matching <paramref name="selector"/> (at most 60 times), and checks that a
    /// keyboard user can see where the focus is.</summary>
    private static async Task TabToAsync(IPage page, string selector)
    {
        for (int i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement?.matches(s) ?? false", selector))
            {
                Assert.NotEqual("none", await page.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle"));
                return;
            }
        }
        Assert.Fail($"Tab never reached {selector}");
    }

    [Fact]
    public async Task Supervisor_UsesTheConsoleWithTheKeyboardOnly_SearchesClipsByOfficerAndDate_AndAcknowledgesAnAlert()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 30_000, MaxClipSize = 40_000 },
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
            await page.GotoAsync(Address(host) + "/login");
            // The first Tab reaches the skip link, which a keyboard user sees.
            await page.Keyboard.PressAsync("Tab");
            Assert.Equal("skip", await page.EvaluateAsync<string>("() => document.activeElement.className"));
            await TabToAsync(page, "#name");
            await page.Keyboard.TypeAsync("sam");
            await page.Keyboard.PressAsync("Tab");
            await page.Keyboard.TypeAsync(Password);
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForURLAsync(Address(host) + "/");

            // To the alerts, and acknowledge the unenrolled camera's alert, by keyboard.
            await TabToAsync(page, "a[href='/alerts']");
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForURLAsync("**/alerts");
            await TabToAsync(page, "form.acknowledge input[name='reason']");
            await page.Keyboard.TypeAsync("new camera, enrolment booked");
            await page.Keyboard.PressAsync("Enter");
            await page.Locator("tr[data-alert]", new() { HasText = "sam@api: new camera, enrolment booked" }).WaitForAsync();

            // To the clips: by officer (the enrolled camera's), then a date range with none of today's footage.
            var officer = fleet.Endpoints[0].Recorder.Options.OfficerId;
            await TabToAsync(page, "a[href='/clips']");
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForURLAsync("**/clips");
            Assert.Equal("4 clips", (await page.Locator("#clip-count").TextContentAsync())?.Trim());
            await TabToAsync(page, "#officer");
            await page.Keyboard.TypeAsync(officer);
            await page.Keyboard.PressAsync("Enter");
            await page.WaitForURLAsync($"**/clips?*officer={officer}*");
            Assert.Equal("2 clips", (await page.Locator("#clip-count").TextContentAsync())?.Trim());
            Assert.Equal(2, await page.Locator($"tr[data-clip]", new() { HasText = officer }).CountAsync());
            await Browser.AssertAccessibleAsync(page);
            var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            await page.GotoAsync(Address(host) + $"/clips?officer={officer}&from={tomorrow}");
            Assert.Equal("0 clips", (await page.Locator("#clip-count").TextContentAsync())?.Trim());
            // From yesterday: the simulated clips were recorded in the hour before, which past midnight UTC is yesterday.
            var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            await page.GotoAsync(Address(host) + $"/clips?from={yesterday}&to={today}&state=released&cloud=none");
            Assert.Equal("2 clips", (await page.Locator("#clip-count").TextContentAsync())?.Trim());

            // Sam's choice of Chinese is kept with his account: a new browser that asks for English shows him Chinese once he signs in.
            await page.GetByRole(AriaRole.Link, new() { Name = "中文" }).ClickAsync();
            await page.WaitForURLAsync("**lang=zh-CN");
            Assert.Equal("zh-CN", await page.GetAttributeAsync("html", "lang"));
            await using var elsewhere = await browser.ContextAsync("en-US");
            var other = await elsewhere.NewPageAsync();
            await other.GotoAsync(Address(host) + "/login");
            Assert.Equal("en", await other.GetAttributeAsync("html", "lang"));
            await SignInAsync(other, "sam");
            await other.WaitForURLAsync(Address(host) + "/");
            Assert.Equal("zh-CN", await other.GetAttributeAsync("html", "lang"));
            Assert.Equal("zh-CN", (await host.Services.GetRequiredService<Dock.Service.Hosting.DockCore>().Users.FindAsync("sam", CancellationToken.None))!.Language);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Auditor_DownloadsTheCustodyLog_AndVerifiesTheExportInTheBrowser_ATamperedOneFails()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 20_000, MaxClipSize = 30_000 });
        await AddUserAsync(harness, "ada", Roles.Auditor);
        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await using var context = await browser.ContextAsync();
            var page = await context.NewPageAsync();
            await page.GotoAsync(Address(host) + "/custody");
            await SignInAsync(page, "ada");
            await page.WaitForURLAsync("**/custody");
            var log = host.Services.GetRequiredService<Dock.Service.Hosting.DockCore>().Log;
            Assert.Equal(log.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
                (await page.Locator("[data-figure='log-size'] .value").TextContentAsync())?.Trim());
            await Browser.AssertAccessibleAsync(page);

            // The download is itself a custody entry naming the auditor.
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Download the custody log (ZIP)" }).ClickAsync());
            var zip = Path.Combine(Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "test-downloads")).FullName, "export.zip");
            await download.SaveAsAsync(zip);
            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            Assert.Contains(events, e => e.Kind == CustodyEventKind.Exported && e.Actor == "ada@api");

            // Brought back and checked here: verified, every check shown.
            await page.ReloadAsync();
            await page.GetByLabel("Export file (ZIP)").SetInputFilesAsync(zip);
            await page.GetByRole(AriaRole.Button, new() { Name = "Check the export" }).ClickAsync();
            await page.Locator("#export-result [data-outcome]").WaitForAsync();
            Assert.Equal("verified", await page.Locator("#export-result [data-outcome]").GetAttributeAsync("data-outcome"));
            Assert.Equal(await page.Locator("#export-result li").CountAsync(), await page.Locator("#export-result li[data-ok='true']").CountAsync());
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "custody-en.png"), FullPage = true });

            // One entry changed by one character: the export no longer verifies, and the page says which check failed.
            var tampered = zip + ".tampered.zip";
            using (var source = System.IO.Compression.ZipFile.OpenRead(zip))
            using (var target = System.IO.Compression.ZipFile.Open(tampered, System.IO.Compression.ZipArchiveMode.Create))
            {
                foreach (var entry in source.Entries)
                {
                    using var input = new MemoryStream();
                    using (var stream = entry.Open()) await stream.CopyToAsync(input);
                    var bytes = input.ToArray();
                    if (entry.FullName == "entries/000000000003") bytes[^2] ^= 0x01;
                    using var output = target.CreateEntry(entry.FullName).Open();
                    await output.WriteAsync(bytes);
                }
            }
            await page.GetByLabel("Export file (ZIP)").SetInputFilesAsync(tampered);
            await page.GetByRole(AriaRole.Button, new() { Name = "Check the export" }).ClickAsync();
            await page.Locator("#export-result [data-outcome]:not([data-outcome='verified'])").WaitForAsync();
            Assert.True(await page.Locator("#export-result li[data-ok='false']").CountAsync() >= 1);

            // Not an export at all: a clear message, no crash.
            var junk = zip + ".txt";
            await File.WriteAllTextAsync(junk, "not a zip");
            await page.GetByLabel("Export file (ZIP)").SetInputFilesAsync(junk);
            await page.GetByRole(AriaRole.Button, new() { Name = "Check the export" }).ClickAsync();
            await page.Locator("#export-result .error").WaitForAsync();
            Assert.Contains("Not a ZIP file", await page.Locator("#export-result .error").TextContentAsync(), StringComparison.Ordinal);
            await host.StopAsync();
        }
    }
}
