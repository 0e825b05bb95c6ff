using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Dock.Service.Catalog;
using Dock.Service.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>The equipment registry from the shell: CSV rosters in and out, every bad row named by its line, nothing half-applied, and each
/// change a registry-changed custody entry with who, old and new.</summary>
public sealed class RegistryTests
{
    private static async Task<(int Code, string Out, string Err)> DockAsync(DockHarness harness, params string[] args) =>
        await DockHarness.RunDockAsync([.. args, "--data", harness.DataDirectory]);

    [Fact]
    public async Task Rosters_BadRowsByLine_NothingHalfApplied_ChangesInCustody_ExportRoundTrips()
    {
        await using var harness = DockHarness.Create();
        Assert.Equal(0, (await DockAsync(harness, "units", "add", "XC-01", "西城交警支队")).Code);
        Assert.Equal(0, (await DockAsync(harness, "units", "add", "XC-02", "西城治安支队")).Code);
        var roster = Path.Combine(harness.DataDirectory, "roster.csv");

        // Line 3 and 4 are bad, line 5 repeats line 2: every problem named, and not one officer registered.
        await File.WriteAllTextAsync(roster, "badge,name,unit,role,certificate,certificate_expiry\n" +
            "P100001,张三,XC-01,officer,JZ-0001,2027-06-30\n" +
            "P100002,\"Li, Si\",XC 09,officer,,\n" +
            "P100003,王五,XC-02,boss,,2027-02-30\n" +
            "P100001,张三,XC-02,officer,,\n");
        var (code, _, err) = await DockAsync(harness, "officers", "import", roster);
        Assert.Equal(2, code);
        Assert.Contains("line 3: unit: ", err, StringComparison.Ordinal);
        Assert.Contains("line 4: role 'boss'", err, StringComparison.Ordinal);
        Assert.Contains("line 4: certificate_expiry '2027-02-30'", err, StringComparison.Ordinal);
        Assert.Contains("line 5: officer P100001 is on line 2 already", err, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", err, StringComparison.Ordinal);
        var (_, empty, _) = await DockAsync(harness, "officers", "export");
        Assert.Equal("badge,name,unit,role,certificate,certificate_expiry", empty.Trim());

        // A good roster: applied whole; its export reads back to the same roster, unchanged.
        await File.WriteAllTextAsync(roster, "badge,name,unit,role,certificate,certificate_expiry\n" +
            "P100001,张三,XC-01,officer,JZ-0001,2027-06-30\n" +
            "P100002,\"Li, Si\",XC-02,auxiliary,,\n");
        (code, var output, err) = await DockAsync(harness, "officers", "import", roster);
        Assert.True(code == 0, err);
        Assert.Contains("Added 2, changed 0, unchanged 0", output, StringComparison.Ordinal);
        var exported = Path.Combine(harness.DataDirectory, "exported.csv");
        Assert.Equal(0, (await DockAsync(harness, "officers", "export", "--out", exported)).Code);
        Assert.Contains("\"Li, Si\"", await File.ReadAllTextAsync(exported), StringComparison.Ordinal);
        (_, output, _) = await DockAsync(harness, "officers", "import", exported);
        Assert.Contains("Added 0, changed 0, unchanged 2", output, StringComparison.Ordinal);

        // One officer moves unit: one entry, with the old and new value; recorders register against units too. A unit a roster names
        // first is registered with it, named by its code.
        await File.WriteAllTextAsync(roster, "badge,name,unit,role\nP100002,\"Li, Si\",XC-01,auxiliary\nP100003,王五,XC-03,officer\n");
        (code, output, err) = await DockAsync(harness, "officers", "import", roster);
        Assert.True(code == 0, err);
        Assert.Contains("new unit(s), named by their code until renamed (dock units add ID NAME): XC-03", output, StringComparison.Ordinal);
        Assert.Contains("XC-03,XC-03", (await DockAsync(harness, "units", "export")).Out, StringComparison.Ordinal);
        await File.WriteAllTextAsync(roster, "serial,model,firmware,status,home_unit\nDSJ-0001,DSJ-V7,3.2.1,in-service,XC-01\nDSJ-0002,DSJ-V7,,spare,\n");
        Assert.Equal(0, (await DockAsync(harness, "recorders", "import", roster)).Code);
        await File.WriteAllTextAsync(roster, "serial,model,status\nDSJ-0002,DSJ-V7,broken\n");
        (code, _, err) = await DockAsync(harness, "recorders", "import", roster);
        Assert.Equal(2, code);
        Assert.Contains("line 2: status 'broken': in-service, spare, repair or retired", err, StringComparison.Ordinal);

        var events = (await EnrolmentTests.EventsAsync(await harness.CatalogAsync())).Where(e => e.Kind == CustodyEventKind.RegistryChanged).ToList();
        Assert.Equal(2 + 2 + 1 + 2 + 2, events.Count); // two units, two officers, one move, a new unit and its officer, two recorders
        Assert.All(events, e => Assert.Equal(DataFolder.Actor, e.Actor));
        Assert.Contains(events, e => e.Detail == "officer P100002: unit XC-02 -> XC-01");
        Assert.Contains(events, e => e.Detail == "recorder DSJ-0002 added: model DSJ-V7, firmware , status spare");
        var (verify, report, _) = await DockAsync(harness, "log", "verify");
        Assert.True(verify == 0, report);
    }

    [Fact]
    public async Task Api_ImportsAndExportsRosters_ByRole_WithRowErrorsByLine_AsTheCaller()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 0 });
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "ida", "correct horse battery", [Roles.EquipmentManager], null, CancellationToken.None);
        await accounts.AddAsync("test", "sam", "correct horse battery", [Roles.Supervisor], null, CancellationToken.None);
        var (host, _) = await harness.StartDockAsync();
        using (host)
        {
            async Task<HttpClient> SignInAsync(string name)
            {
                var client = new HttpClient { BaseAddress = new Uri(DockHarness.HttpAddress(host)) };
                var session = await (await client.PostAsJsonAsync("/api/v1/login", new { name, password = "correct horse battery" })).Content.ReadFromJsonAsync<JsonElement>();
                client.DefaultRequestHeaders.Add("X-Dock-CSRF", session.GetProperty("csrfToken").GetString());
                return client;
            }
            static StringContent Csv(string text) => new(text, System.Text.Encoding.UTF8, "text/csv");
            using var ida = await SignInAsync("ida");
            using var sam = await SignInAsync("sam");

            var units = await ida.PutAsync("/api/v1/registry/units", Csv("id,name\nXC-01,西城交警\nXC-02,西城治安\n"));
            Assert.Equal(HttpStatusCode.OK, units.StatusCode);
            Assert.Equal(2, (await units.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("added").GetInt32());
            var bad = await ida.PutAsync("/api/v1/registry/officers", Csv("badge,name,unit,role\nP100001,张三,XC-01,officer\nP100002,李四,XC-01,chief\n"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("chief", problem.GetProperty("errors").GetProperty("line 3")[0].GetString(), StringComparison.Ordinal);
            Assert.Equal("badge,name,unit,role,certificate,certificate_expiry", (await sam.GetStringAsync("/api/v1/registry/officers")).Trim()); // nothing applied
            Assert.Equal(HttpStatusCode.Forbidden, (await sam.PutAsync("/api/v1/registry/officers", Csv("badge,name,unit,role\nP100001,张三,XC-01,officer\n"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ida.PutAsync("/api/v1/registry/officers", Csv("badge,name,unit,role\nP100001,张三,XC-01,officer\n"))).StatusCode);
            Assert.Contains("P100001,张三,XC-01,officer,,", await sam.GetStringAsync("/api/v1/registry/officers"), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await sam.GetAsync("/api/v1/registry/cars")).StatusCode);

            // The console's Registry page: the equipment manager sends a roster file; a bad row is shown by its line, a good roster applied.
            await using var browser = await Browser.LaunchAsync();
            await using var console = await browser.ContextAsync();
            var page = await console.NewPageAsync();
            await page.GotoAsync(DockHarness.HttpAddress(host) + "/registry");
            await page.Locator("#name").FillAsync("ida");
            await page.Locator("#password").FillAsync("correct horse battery");
            await page.Locator("form button[type='submit']").ClickAsync();
            await page.Locator("[data-roster='recorders'] form").WaitForAsync();
            var file = Path.Combine(harness.DataDirectory, "fleet.csv");
            await File.WriteAllTextAsync(file, "serial,model,status,home_unit\nDSJ-0009,DSJ-V7,lost,XC-01\n");
            await page.Locator("#recorders-file").SetInputFilesAsync(file);
            await page.Locator("[data-roster='recorders'] button[type='submit']").ClickAsync();
            await page.Locator("[data-roster='recorders'] .outcome.error li", new() { HasText = "line 2: status 'lost'" }).WaitForAsync();
            await File.WriteAllTextAsync(file, "serial,model,status,home_unit\nDSJ-0009,DSJ-V7,spare,XC-01\n");
            await page.Locator("#recorders-file").SetInputFilesAsync(file);
            await page.Locator("[data-roster='recorders'] button[type='submit']").ClickAsync();
            await page.Locator("table[data-table='recorders'] tr[data-key='DSJ-0009']").WaitForAsync();
            Assert.Contains("spare", await page.Locator("table[data-table='recorders'] tr[data-key='DSJ-0009']").TextContentAsync(), StringComparison.Ordinal);
            await Browser.AssertAccessibleAsync(page);
            await host.StopAsync();
        }
        var events = (await EnrolmentTests.EventsAsync(await harness.CatalogAsync())).Where(e => e.Kind == CustodyEventKind.RegistryChanged).ToList();
        Assert.Equal(4, events.Count); // two units, an officer, a recorder
        Assert.All(events, e => Assert.Equal("ida@api", e.Actor));
    }

    [Fact]
    public async Task AnAtomicAppend_WhoseLastChangeFails_WritesNoEntryAndNoRow()
    {
        await using var harness = DockHarness.Create();
        using var folder = await DataFolder.OpenAsync(harness.DataDirectory, CancellationToken.None, createCatalog: true);
        long before = folder.Log.Size;
        var makes = Enumerable.Range(0, 3).Select(i => (Func<long, DateTimeOffset, CustodyEvent>)((index, at) =>
            new CustodyEvent(index, CustodyEventKind.RegistryChanged, at, folder.Log.DockId, "test", Detail: $"unit U{i} added"))).ToList();
        var changes = Enumerable.Range(0, 3).Select(i => (Dock.Service.Custody.CustodyLog.CatalogChange?)(async (c, tx, entry) =>
        {
            if (i == 2) throw new StorageException(StorageFailure.Constraint, "the third change fails");
            await CatalogDatabase.ExecAsync(c, tx, "INSERT INTO units(id, name, updated_at) VALUES ($id, 'n', 'x');", CancellationToken.None, ("$id", $"U{i}"));
        })).ToList();
        var error = await Assert.ThrowsAsync<StorageException>(() => folder.Log.AppendAtomicallyAsync(makes, changes, CancellationToken.None));
        Assert.Contains("third change", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, folder.Log.Size);
        Assert.Empty(await new Dock.Service.Registry.RegistryStore(folder.Catalog.Database).UnitsAsync(CancellationToken.None));
        // The log goes on: the next append takes the next index, and the whole log verifies.
        var next = await folder.Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.RegistryChanged, at, folder.Log.DockId, "test",
            Detail: "after"), CancellationToken.None);
        Assert.Equal(before, next.Index);
        await folder.Log.CheckpointAsync(CancellationToken.None);
        var (verify, report, _) = await DockHarness.RunDockAsync("log", "verify", "--data", harness.DataDirectory);
        Assert.True(verify == 0, report);
    }
}
