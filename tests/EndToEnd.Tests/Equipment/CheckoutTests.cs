using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Service.Ingest;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Equipment;

/// <summary>Checkout and check-in against a running dock with simulated cameras: every refusal with its reason, the pool and fixed modes, the
/// officer written to the camera over DockLink (v1.3 SET_OFFICER), the bay's "take me" light, the kiosk in Chromium, check-in by docking, the
/// overdue alert naming the officer, the unit's ratio watched, and each step in custody.</summary>
public sealed class CheckoutTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Checkout_RefusesWithReasons_PicksAReadyCamera_WritesTheOfficer_ChecksInByDocking_AlertsWhenOverdue()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 3, ClipsPerRecorder = 1, MinClipSize = 256 * 1024, MaxClipSize = 256 * 1024 });
        async Task Cli(params string[] args)
        {
            var (code, _, err) = await DockHarness.RunDockAsync([.. args, "--data", harness.DataDirectory]);
            Assert.True(code == 0, err);
        }
        var roster = Path.Combine(harness.DataDirectory, "roster.csv");
        await Cli("units", "add", "XC-01", "西城交警支队");
        await File.WriteAllTextAsync(roster, "badge,name,unit,role,certificate,certificate_expiry\n" +
            "P200001,张三,XC-01,officer,JZ-0001,2030-06-30\n" +
            "P200002,李四,XC-01,officer,JZ-0002,2020-01-31\n" +
            "P200003,王五,XC-01,auxiliary,,\n" +
            "P200004,赵六,XC-01,officer,JZ-0004,2030-06-30\n");
        await Cli("officers", "import", roster);
        var cameras = fleet.Endpoints.Select(e => e.Recorder.Serial).ToList();
        await File.WriteAllTextAsync(roster, "serial,model,status,home_unit,officer\n" +
            $"{cameras[0]},DSJ-V7,in-service,XC-01,\n{cameras[1]},DSJ-V7,in-service,XC-01,\n{cameras[2]},DSJ-V7,in-service,XC-01,P200004\n");
        await Cli("recorders", "import", roster);
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "olga", Password, [Roles.Officer], "P200001", CancellationToken.None);
        var pin = await accounts.SetPinAsync("test", "olga", "482916", CancellationToken.None);
        await accounts.AddAsync("test", "ida", Password, [Roles.EquipmentManager], null, CancellationToken.None);

        await using var browser = await Browser.LaunchAsync();
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"),
            ("Dock:Equipment:CheckoutMinimumBattery", "0"), ("Dock:Equipment:MinimumReady", "3"), ("Dock:Equipment:CheckInterval", "00:00:01"),
            ("Dock:Equipment:ReturnAfter", "00:00:01"));
        var address = DockHarness.HttpAddress(host);
        string? taken, auxiliaryCamera;
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 3);
            await activity.WaitUntilAsync(a => a.Bays.Count == 3 && a.Bays.All(b => b.Phase == BayPhase.Done && b.Finished), CancellationToken.None)
                .WaitAsync(DockHarness.Limit);
            using var ida = new HttpClient { BaseAddress = new Uri(address) };
            var session = await (await ida.PostAsJsonAsync("/api/v1/login", new { name = "ida", password = Password })).Content.ReadFromJsonAsync<JsonElement>();
            ida.DefaultRequestHeaders.Add("X-Dock-CSRF", session.GetProperty("csrfToken").GetString());
            async Task<(HttpStatusCode Status, JsonElement Outcome)> CheckOutAsync(string badge, string? with = null)
            {
                var answer = await ida.PostAsJsonAsync("/api/v1/checkouts", new { badge, accompaniedBy = with });
                return (answer.StatusCode, await answer.Content.ReadFromJsonAsync<JsonElement>());
            }

            // Refused, each with its reason: an expired 执法证, auxiliary staff alone, a badge nobody registered.
            var (status, outcome) = await CheckOutAsync("P200002");
            Assert.Equal(HttpStatusCode.Conflict, status);
            Assert.Equal("certificate-expired", outcome.GetProperty("refusalCode").GetString());
            Assert.Contains("2020-01-31", outcome.GetProperty("message").GetString(), StringComparison.Ordinal);
            (status, outcome) = await CheckOutAsync("P200003");
            Assert.Equal("auxiliary-alone", outcome.GetProperty("refusalCode").GetString());
            (status, outcome) = await CheckOutAsync("P200003", with: "P200001"); // the officer they accompany has no camera out yet
            Assert.Equal("auxiliary-alone", outcome.GetProperty("refusalCode").GetString());
            Assert.Contains("no camera out", outcome.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal("not-registered", (await CheckOutAsync("P999999")).Outcome.GetProperty("refusalCode").GetString());

            // The officer at the kiosk: a pool camera (never the one bound to P200004), the officer written to it, its bay lit "take me";
            // the unit keeps 2 ready cameras of its minimum 3, which the policy (Warn) lets through with a warning.
            await using var context = await browser.ContextAsync("zh-CN");
            var page = await context.NewPageAsync();
            await page.GotoAsync(address + "/kiosk");
            await page.Locator("#badge").FillAsync("P200001");
            await page.Locator("#pin").FillAsync(pin);
            await page.Locator("#kiosk-signin button[type='submit']").ClickAsync();
            await page.Locator("#mine:not([hidden])").WaitForAsync();
            await page.Locator("#checkout-button").ClickAsync();
            var result = page.Locator("#checkout-result[data-outcome='granted']");
            await result.WaitForAsync();
            taken = await result.GetAttributeAsync("data-serial");
            var bay = await result.GetAttributeAsync("data-bay");
            Assert.Contains(taken, cameras[..2]);
            Assert.Contains("提示：单位 XC-01 现有可领取记录仪 2 台，低于最低 3 台", await result.TextContentAsync(), StringComparison.Ordinal); // below the unit's minimum: warned, not refused
            await page.Locator($"[data-bay='{bay}'][data-light='takeme']").WaitForAsync();
            var endpoint = fleet.Endpoints.Single(e => e.Recorder.Serial == taken);
            Assert.Equal("P200001", endpoint.Recorder.OfficerId);
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "kiosk-checkout-zh-CN.png"), FullPage = true });

            // A second camera for the same officer is refused; the auxiliary now goes with them; the fixed camera goes to its officer only.
            Assert.Equal("second-camera", (await CheckOutAsync("P200001")).Outcome.GetProperty("refusalCode").GetString());
            (status, outcome) = await CheckOutAsync("P200003", with: "P200001");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("pool", outcome.GetProperty("mode").GetString());
            auxiliaryCamera = outcome.GetProperty("serial").GetString();
            Assert.NotEqual(taken, auxiliaryCamera);
            Assert.NotEqual(cameras[2], auxiliaryCamera);
            (status, outcome) = await CheckOutAsync("P200004");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("fixed", outcome.GetProperty("mode").GetString());
            Assert.Equal(cameras[2], outcome.GetProperty("serial").GetString());

            // Every camera out: no ready camera is left, and the unit breaks its minimum of ready cameras (R4), alerted.
            await File.WriteAllTextAsync(roster, "badge,name,unit,role,certificate,certificate_expiry\nP200005,孙七,XC-01,officer,JZ-0005,2030-06-30\n");
            await Cli("officers", "import", roster);
            Assert.Equal("no-ready-camera", (await CheckOutAsync("P200005")).Outcome.GetProperty("refusalCode").GetString());
            var catalog = await harness.CatalogAsync();
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None))
                .Any(a => a.Kind == "ratio-breach" && a.RecorderSerial == "XC-01" && a.ResolvedAt is null), "the ratio-breach alert of XC-01");

            // The officer takes the camera out for the shift and records; the shift ended hours ago and the camera is not back: alerted,
            // naming the officer (R10).
            endpoint.TakeOut();
            await activity.WaitUntilAsync(a => a.Bays.Single(b => b.BayId == bay).Phase == BayPhase.Empty, CancellationToken.None).WaitAsync(DockHarness.Limit);
            var away = Task.Delay(TimeSpan.FromSeconds(1.5)); // longer than Dock:Equipment:ReturnAfter: a return, not a link that dropped
            endpoint.Recorder.AddClip(SimulatedClip.Synthetic("shift-clip", 128 * 1024, 7, DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow.AddMinutes(-20),
                DeviceProtocol.Messages.ClipFlags.None));
            await using (var db = new SqliteConnection($"Data Source={harness.Paths.Catalog}"))
            {
                await db.OpenAsync();
                using var back = db.CreateCommand();
                back.CommandText = "UPDATE checkouts SET out_at = $out, due_at = $due WHERE officer_badge = 'P200001' AND in_at IS NULL;";
                back.Parameters.AddWithValue("$out", DateTimeOffset.UtcNow.AddHours(-14).ToString("O"));
                back.Parameters.AddWithValue("$due", DateTimeOffset.UtcNow.AddHours(-4).ToString("O"));
                Assert.Equal(1, await back.ExecuteNonQueryAsync());
            }
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None))
                .Any(a => a.Kind == "camera-not-docked" && a.RecorderSerial == taken && a.ResolvedAt is null && a.Message.Contains("officer P200001 (张三", StringComparison.Ordinal)),
                "the camera-not-docked alert naming the officer");

            // Check-in is docking: the checkout closes, the alert resolves, and the clip recorded on the shift carries the officer.
            // The officer's own view at the kiosk: the camera is with them, due back.
            using (var kiosk = new HttpClient { BaseAddress = new Uri(address) })
            {
                Assert.Equal(HttpStatusCode.OK, (await kiosk.PostAsJsonAsync("/api/v1/kiosk/signin", new { badge = "P200001", pin })).StatusCode);
                var mine = await kiosk.GetFromJsonAsync<JsonElement>("/api/v1/kiosk/mine");
                var held = mine.GetProperty("recorders").EnumerateArray().Single(r => r.GetProperty("serial").GetString() == taken);
                Assert.Equal(JsonValueKind.Null, held.GetProperty("bay").ValueKind);
                Assert.NotEqual(JsonValueKind.Null, held.GetProperty("dueAt").ValueKind);
            }
            await away;
            endpoint.PutBack();
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None))
                .Any(a => a.Kind == "camera-not-docked" && a.RecorderSerial == taken && a.ResolvedAt is not null), "the alert resolved by docking");
            await harness.WaitForCatalogAsync(async c => (await c.Clips.ListClipsAsync(taken!, CancellationToken.None))
                .Any(clip => clip.ClipId == "shift-clip" && clip.OfficerId == "P200001"), "the shift's clip ingested under the officer");

            var allocation = await ida.GetFromJsonAsync<JsonElement>("/api/v1/checkouts");
            Assert.Equal(2, allocation.GetProperty("now").GetArrayLength());

            // The console's equipment page: the unit in breach with its compliance strip, who holds what, the batteries with their charts.
            await using var console = await browser.ContextAsync("en-US", 1280, 900);
            var equipment = await console.NewPageAsync();
            await equipment.GotoAsync(address + "/equipment");
            await equipment.Locator("#name").FillAsync("ida");
            await equipment.Locator("#password").FillAsync(Password);
            await equipment.Locator("form button[type='submit']").ClickAsync();
            await equipment.Locator("table[data-table='ratio'] tr[data-unit='XC-01'][data-compliant='false'] svg.strip").WaitForAsync();
            Assert.Equal(2, await equipment.Locator("table[data-table='allocation'] tbody tr").CountAsync());
            Assert.Equal(3, await equipment.Locator("table[data-table='batteries'] tbody tr").CountAsync());
            await Browser.AssertAccessibleAsync(equipment);
            await equipment.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "console-equipment-en.png"), FullPage = true });
            var chart = await ida.GetAsync($"/equipment/batteries/{taken}.svg");
            Assert.Equal("image/svg+xml", chart.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<svg", await chart.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            var batteries = await ida.GetFromJsonAsync<JsonElement>("/api/v1/equipment/batteries");
            Assert.Equal(3, batteries.GetArrayLength());
            var usage = await ida.GetFromJsonAsync<JsonElement>("/api/v1/equipment/usage");
            Assert.Equal(3, usage.GetProperty("total").GetProperty("checkouts").GetInt32());
            await host.StopAsync();
        }

        var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
        var refused = events.Where(e => e.Kind == CustodyEventKind.CheckoutRefused).ToList();
        Assert.Equal(6, refused.Count);
        Assert.All(refused, e => Assert.Equal("ida@api", e.Actor));
        var outs = events.Where(e => e.Kind == CustodyEventKind.CheckedOut).ToList();
        Assert.Equal(3, outs.Count);
        Assert.Equal("olga@kiosk", outs[0].Actor);
        Assert.Contains("officer written to the camera", outs[0].Detail, StringComparison.Ordinal);
        var checkedIn = Assert.Single(events, e => e.Kind == CustodyEventKind.CheckedIn);
        Assert.Equal(taken, checkedIn.RecorderSerial);
        Assert.Contains("after it was due", checkedIn.Detail, StringComparison.Ordinal);
        var (verify, report, _) = await DockHarness.RunDockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(verify == 0, report);

        // The reports from the shell, read from the catalog.
        var (code, json, err) = await DockHarness.RunDockAsync("report", "ratio", "--json", "--data", harness.DataDirectory);
        Assert.True(code == 0, err);
        var unit = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray());
        Assert.Equal("XC-01", unit.GetProperty("unit").GetString());
        Assert.Equal(4, unit.GetProperty("officers").GetInt32()); // enforcement officers; the auxiliary is not counted
        Assert.Equal(3, unit.GetProperty("serviceableRecorders").GetInt32());
        Assert.False(unit.GetProperty("compliant").GetBoolean());
        Assert.True(unit.GetProperty("history").GetArrayLength() >= 2, json); // compliant at first, then in breach
        (code, json, err) = await DockHarness.RunDockAsync("officers", "list", "--json", "--data", harness.DataDirectory);
        Assert.True(code == 0, err);
        var officers = JsonDocument.Parse(json).RootElement.EnumerateArray().ToDictionary(o => o.GetProperty("badge").GetString()!);
        Assert.Equal("auxiliary", officers["P200003"].GetProperty("role").GetString());
        Assert.Equal(auxiliaryCamera, officers["P200003"].GetProperty("camera").GetString());
        Assert.False(officers["P200002"].GetProperty("certificateValid").GetBoolean());
        (code, var table, err) = await DockHarness.RunDockAsync("report", "allocation", "--data", harness.DataDirectory);
        Assert.True(code == 0, err);
        output.WriteLine(table);
        Assert.Contains("Out now: 2 camera(s)", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACheckoutNeverTakenFromItsBay_IsClosed_AndTheCameraGoesBackToThePool()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 0 });
        var roster = Path.Combine(harness.DataDirectory, "roster.csv");
        await File.WriteAllTextAsync(roster, "badge,name,unit,role,certificate,certificate_expiry\nP200001,张三,XC-01,officer,JZ-1,2030-06-30\n" +
            "P200002,李四,XC-01,officer,JZ-2,2030-06-30\n");
        Assert.Equal(0, (await DockHarness.RunDockAsync("officers", "import", roster, "--data", harness.DataDirectory)).ExitCode);
        await File.WriteAllTextAsync(roster, $"serial,model,status,home_unit\n{fleet.Endpoints[0].Recorder.Serial},DSJ-V7,in-service,XC-01\n");
        Assert.Equal(0, (await DockHarness.RunDockAsync("recorders", "import", roster, "--data", harness.DataDirectory)).ExitCode);
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"),
            ("Dock:Equipment:CheckoutMinimumBattery", "0"), ("Dock:Equipment:CheckInterval", "00:00:01"), ("Dock:Equipment:TakeWithin", "00:00:02"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.Bays.Count == 1 && a.Bays[0].Phase == BayPhase.Done && a.Bays[0].Finished, CancellationToken.None)
                .WaitAsync(DockHarness.Limit);
            var checkouts = host.Services.GetRequiredService<Dock.Service.Equipment.Checkouts>();
            Assert.True((await checkouts.CheckOutAsync("P200001", "test@host", null, CancellationToken.None)).Granted);
            Assert.Equal("P200001", activity.Bays[0].PickedFor);
            // Nobody takes it: the checkout closes by itself and the bay's "take me" light goes out.
            await activity.WaitUntilAsync(a => a.Bays[0].PickedFor is null, CancellationToken.None).WaitAsync(DockHarness.Limit);
            var again = await checkouts.CheckOutAsync("P200002", "test@host", null, CancellationToken.None);
            Assert.True(again.Granted, again.Message);
            await host.StopAsync();
        }
        var checkedIn = Assert.Single(await EnrolmentTests.EventsAsync(await harness.CatalogAsync()), e => e.Kind == CustodyEventKind.CheckedIn);
        Assert.Contains("officer P200001: not taken from bay 1", checkedIn.Detail, StringComparison.Ordinal);
    }
}
