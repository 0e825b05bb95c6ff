using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dock.Crypto.Custody;
using Dock.Crypto.Transparency;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Api;
using Dock.Service.Custody;
using Dock.Service.Identity;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>HTTP API v1 against the real Kestrel server of a running dock, on a free loopback port.</summary>
public sealed class HttpApiTests
{
    private const string Password = "correct horse battery";
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static Uri BaseAddress(IHost host) => new(DockHarness.HttpAddress(host));

    /// <summary>One user per role, each with a bearer token carrying just that role.</summary>
    private static async Task<Dictionary<string, string>> TokensPerRoleAsync(DockHarness harness)
    {
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        var tokens = new Dictionary<string, string>();
        foreach (var role in Roles.All)
        {
            await accounts.AddAsync("test", $"user-{role}", Password, [role], null, CancellationToken.None);
            tokens[role] = await accounts.IssueTokenAsync("test", $"user-{role}", null, CancellationToken.None);
        }
        return tokens;
    }

    private static HttpClient Client(IHost host, string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress(host), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task EveryEndpoint_HasAPolicy_401WithoutCredentials_403ForEachRoleItDoesNotAdmit()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 10_000, MaxClipSize = 10_000 });
        var tokens = await TokensPerRoleAsync(harness);
        var (host, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            // The kiosk decides itself (Dock:Web:KioskAccess, tested in KioskTests); its assets are public.
            string[] open = ["/healthz", "/readyz", "/metrics", "/openapi/{documentName}.json", "/api/v1/login", "/kiosk", "/kiosk/events", "/web/{file}",
                "/login", "/api/v1/kiosk/signin"];
            var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
            Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} endpoints");
            int checkedEndpoints = 0;
            foreach (var endpoint in endpoints)
            {
                var pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
                var method = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.Single() ?? "GET";
                if (open.Contains(pattern))
                {
                    Assert.NotNull(endpoint.Metadata.GetMetadata<IAllowAnonymous>());
                    continue;
                }
                // Every other endpoint names one of the dock's policies; the fallback refuses one that names none.
                var policy = Assert.Single(endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>(), a => a.Policy is not null).Policy!;
                Assert.True(DockPolicies.RolesOf.ContainsKey(policy), $"{pattern}: unknown policy {policy}");
                var url = pattern.Replace("{serial}", "DSJ-X", StringComparison.Ordinal).Replace("{clipId}", "c.mp4", StringComparison.Ordinal)
                    .Replace("{id:long}", "1", StringComparison.Ordinal) + (pattern.EndsWith("consistency", StringComparison.Ordinal) ? "?from=1&to=1" : "");
                using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseAddress(host) };
                using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = method == "GET" ? null : JsonContent.Create(new { }) };
                var answer = await anonymous.SendAsync(request);
                // The API answers 401; a console page sends the browser to sign in.
                if (pattern.StartsWith("/api/", StringComparison.Ordinal))
                    Assert.True(answer.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern} without credentials: {answer.StatusCode}");
                else
                    Assert.True(answer.StatusCode == HttpStatusCode.Redirect && answer.Headers.Location!.OriginalString.StartsWith("/login?", StringComparison.Ordinal),
                        $"{method} {pattern} without credentials: {answer.StatusCode}");
                foreach (var role in Roles.All.Except(DockPolicies.RolesOf[policy]))
                {
                    using var client = Client(host, tokens[role]);
                    using var asRole = new HttpRequestMessage(new HttpMethod(method), url) { Content = method == "GET" ? null : JsonContent.Create(new { }) };
                    Assert.True((await client.SendAsync(asRole)).StatusCode == HttpStatusCode.Forbidden, $"{method} {pattern} as {role}");
                }
                checkedEndpoints++;
            }
            Assert.True(checkedEndpoints >= 15);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Lifecycle_DockARecorder_WatchTheStream_PageClips_VerifyAProof_AcknowledgeAnAlertAsTheUser()
    {
        await using var harness = DockHarness.Create();
        // Two recorders; the second is not enrolled, so its docking raises an untrusted-recorder alert to acknowledge.
        // Slow links (about 4 s a recorder), so the stream is connected while the bays still change.
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 2, ClipsPerRecorder = 3, MinClipSize = 50_000, MaxClipSize = 80_000, ThrottleMBps = 0.05,
        }, enrol: false);
        await DemoAgency.EnrolRecordersAsync(harness.DataDirectory, [(fleet.Endpoints[0].Recorder.Serial, fleet.Endpoints[0].Recorder.Credential.PublicKey.ToArray())],
            "test", CancellationToken.None);
        var tokens = await TokensPerRoleAsync(harness);
        var (host, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"), ("Dock:CheckpointInterval", "00:00:01"));
        using (host)
        {
            using var supervisor = Client(host, tokens[Roles.Supervisor]);
            // The stream: the bays now, then at every change, until both bays are done.
            using (var stream = await supervisor.GetStreamAsync("/api/v1/bays/stream"))
            using (var reader = new StreamReader(stream))
            {
                var deadline = DateTime.UtcNow + DockHarness.Limit;
                int received = 0;
                while (true)
                {
                    var line = await reader.ReadLineAsync().WaitAsync(DockHarness.Limit);
                    Assert.NotNull(line);
                    if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
                    received++;
                    var bays = JsonSerializer.Deserialize<List<Bay>>(line["data: ".Length..], Web)!;
                    if (bays.Count == 2 && bays.All(b => b.Finished)) break;
                    Assert.True(DateTime.UtcNow < deadline, "the bays never finished on the stream");
                }
                Assert.True(received >= 2, $"only {received} event: the stream sent no change");
            }

            // Paged search on the server.
            var page1 = (await supervisor.GetFromJsonAsync<PageOf<Clip>>("/api/v1/clips?page=1&pageSize=4", Web))!;
            Assert.Equal(6, page1.Total);
            Assert.Equal(4, page1.Items.Count);
            var page2 = (await supervisor.GetFromJsonAsync<PageOf<Clip>>("/api/v1/clips?page=2&pageSize=4", Web))!;
            Assert.Equal(2, page2.Items.Count);
            Assert.Empty(page1.Items.Select(c => (c.Serial, c.ClipId)).Intersect(page2.Items.Select(c => (c.Serial, c.ClipId))));
            Assert.All(page1.Items, c => Assert.Matches("^[0-9a-f]{64}$", c.Sha256));
            var mine = (await supervisor.GetFromJsonAsync<PageOf<Clip>>($"/api/v1/clips?serial={fleet.Endpoints[0].Recorder.Serial}&state=verified", Web))!;
            Assert.Equal(3, mine.Total);
            var bad = await supervisor.GetAsync("/api/v1/clips?state=lost");
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var problem = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!;
            Assert.NotNull(problem["errors"]!["state"]);
            Assert.DoesNotContain("   at ", problem.ToJsonString(), StringComparison.Ordinal);

            // A clip's proof: its stored entry is in the newest signed checkpoint, checked here with the dock's key alone.
            var clip = mine.Items[0];
            Proof? proof = null;
            await harness.WaitForCatalogAsync(async _ =>
            {
                var response = await supervisor.GetAsync($"/api/v1/clips/{clip.Serial}/{clip.ClipId}/proof");
                if (response.StatusCode != HttpStatusCode.OK) return false;
                proof = await response.Content.ReadFromJsonAsync<Proof>(Web);
                return true;
            }, "a checkpoint covering the clip");
            var dockKey = DockKey.Load(harness.Paths, create: false);
            var dockId = DockIdentity.DockIdFor(harness.Paths, dockKey.PublicKey);
            Assert.True(SignedNote.TryOpen(proof!.Checkpoint, CustodyLog.OriginFor(dockId), dockKey.PublicKey, out var body, out var why), why);
            Assert.True(Checkpoint.TryParse(body, out var checkpoint, out why), why);
            Assert.Equal(proof.TreeSize, checkpoint.Size);
            Assert.True(MerkleTree.VerifyInclusion(proof.LeafIndex, proof.TreeSize, MerkleTree.LeafHash(Encoding.UTF8.GetBytes(proof.Entry)),
                [.. proof.InclusionProof.Select(Convert.FromHexString)], checkpoint.RootHash));
            Assert.Contains($"clip: {clip.ClipId}", proof.Entry, StringComparison.Ordinal);
            var manifest = JsonNode.Parse(await supervisor.GetStringAsync($"/api/v1/clips/{clip.Serial}/{clip.ClipId}/manifest"))!;
            Assert.Equal(clip.Sha256, manifest["sha256"]?.GetValue<string>() ?? manifest["clip"]?["sha256"]?.GetValue<string>());

            // The untrusted recorder's alert, acknowledged by a supervisor through the API: a custody event naming that person.
            var alerts = (await supervisor.GetFromJsonAsync<PageOf<Alert>>("/api/v1/alerts?open=true", Web))!;
            var untrusted = Assert.Single(alerts.Items, a => a.Kind == "untrusted-recorder" && a.ClipId is null);
            using var empty = await supervisor.PostAsJsonAsync($"/api/v1/alerts/{untrusted.Id}/acknowledge", new { reason = " " });
            Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
            using var ack = await supervisor.PostAsJsonAsync($"/api/v1/alerts/{untrusted.Id}/acknowledge", new { reason = "camera DSJ-2 is new; enrolment tomorrow" });
            Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
            var acknowledged = (await ack.Content.ReadFromJsonAsync<Alert>(Web))!;
            Assert.Equal($"user-{Roles.Supervisor}@api", acknowledged.AcknowledgedBy);
            Assert.True(acknowledged.Open); // acknowledged is not resolved: the camera is still not enrolled

            using var auditor = Client(host, tokens[Roles.Auditor]);
            var entries = (await auditor.GetFromJsonAsync<List<Entry>>("/api/v1/custody/entries?from=0&count=1000", Web))!;
            var entry = Assert.Single(entries, e => e.Text.Contains("event: alert-acknowledged", StringComparison.Ordinal));
            Assert.Contains($"actor: user-{Roles.Supervisor}@api", entry.Text, StringComparison.Ordinal);
            Assert.Contains("enrolment tomorrow", entry.Text, StringComparison.Ordinal);
            var latest = (await auditor.GetFromJsonAsync<SignedCheckpoint>("/api/v1/custody/checkpoint", Web))!;
            Assert.True(latest.Size >= proof.TreeSize);

            // The whole log as a download: a ZIP the offline verifier accepts under the dock's key, holding the record of this very
            // retrieval, which names the auditor (the dock may append more meanwhile — an upload verified — so it need not be the last).
            using var download = await auditor.GetAsync("/api/v1/custody/export");
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("application/zip", download.Content.Headers.ContentType?.MediaType);
            using var zip = new System.IO.Compression.ZipArchive(await download.Content.ReadAsStreamAsync());
            var exported = zip.Entries.Where(e => e.FullName.StartsWith("entries/", StringComparison.Ordinal)).OrderBy(e => e.FullName, StringComparer.Ordinal)
                .Select(e => { using var ms = new MemoryStream(); e.Open().CopyTo(ms); return ms.ToArray(); }).ToList();
            var notes = zip.Entries.Where(e => e.FullName.StartsWith("checkpoints/", StringComparison.Ordinal)).OrderBy(e => e.FullName, StringComparer.Ordinal)
                .Select(e => new StreamReader(e.Open()).ReadToEnd()).ToList();
            var verified = Dock.Evidence.LogVerifier.Verify(exported, notes, [dockKey.PublicKey.ToArray()], keysTrusted: true);
            Assert.True(verified.Outcome == Dock.Evidence.VerifyOutcome.Verified, string.Join("; ", verified.Steps.Where(st => !st.Ok).Select(st => st.Detail)));
            var retrieval = exported.Select(Encoding.UTF8.GetString).Last(e => e.Contains("\nevent: exported\n", StringComparison.Ordinal));
            Assert.Contains($"actor: user-{Roles.Auditor}@api", retrieval, StringComparison.Ordinal);

            // A clip's detail carries its history in the dock, from listing to verified.
            var detail = (await supervisor.GetFromJsonAsync<ClipDetail>($"/api/v1/clips/{clip.Serial}/{clip.ClipId}", Web))!;
            Assert.Equal(["announced", "pulling", "stored", "verified"], detail.History.Select(h => h.State).Distinct());
            // And every custody entry that names it, in order: acquired, hash-verified, stored, … each the log's exact text.
            Assert.Contains(detail.Custody, e => e.Index == detail.StoredEntry && e.Text == proof.Entry);
            Assert.All(detail.Custody, e => Assert.Contains($"clip: {clip.ClipId}", e.Text, StringComparison.Ordinal));
            Assert.Equal(detail.Custody.OrderBy(e => e.Index).Select(e => e.Index), detail.Custody.Select(e => e.Index));
            var log = (await auditor.GetFromJsonAsync<List<Entry>>("/api/v1/custody/entries?from=0&count=1000", Web))!;
            Assert.All(detail.Custody, e => Assert.Contains(log, l => l.Index == e.Index && l.Text == e.Text));
            Assert.Equal(log.Where(l => l.Index <= detail.Custody[^1].Index && l.Text.Contains($"\nrecorder: {clip.Serial}\nclip: {clip.ClipId}\n",
                StringComparison.Ordinal)).Select(l => l.Index), detail.Custody.Select(e => e.Index));

            // Enrol the second recorder through the API as the equipment manager; the custody log names them.
            using var manager = Client(host, tokens[Roles.EquipmentManager]);
            var second = fleet.Endpoints[1].Recorder;
            using var enrol = await manager.PostAsJsonAsync("/api/v1/recorders",
                new { serial = second.Serial, publicKey = Convert.ToHexStringLower(second.Credential.PublicKey.Span) });
            Assert.Equal(HttpStatusCode.Created, enrol.StatusCode);
            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            Assert.Contains(events, e => e.Kind == CustodyEventKind.RecorderEnrolled && e.RecorderSerial == second.Serial
                && e.Actor == $"user-{Roles.EquipmentManager}@api");

            // Probes and metrics need no login.
            using var anonymous = Client(host);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
            var ready = JsonNode.Parse(await anonymous.GetStringAsync("/readyz"))!;
            Assert.True(ready["ok"]!.GetValue<bool>());
            var metrics = await anonymous.GetStringAsync("/metrics");
            Assert.Contains("dock_ingest_bytes", metrics, StringComparison.Ordinal);
            Assert.Contains("dock_bays{", metrics, StringComparison.Ordinal);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task CookieSignIn_ChangesNeedTheCsrfToken_FiveWrongPasswordsLockTheAccount()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 10_000, MaxClipSize = 10_000 });
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "sup", Password, [Roles.Supervisor], null, CancellationToken.None);
        await accounts.AddAsync("test", "victim", Password, [Roles.Officer], null, CancellationToken.None);
        var (host, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            using var handler = new HttpClientHandler { CookieContainer = new CookieContainer() };
            using var browser = new HttpClient(handler) { BaseAddress = BaseAddress(host) };
            using var login = await browser.PostAsJsonAsync("/api/v1/login", new { name = "sup", password = Password });
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            var signedIn = (await login.Content.ReadFromJsonAsync<SignInResult>(Web))!;
            Assert.Equal("cookie", (await browser.GetFromJsonAsync<Me>("/api/v1/me", Web))!.Via);

            // A change with the cookie but without the token (what a forged cross-site form sends) is refused; with it, it goes through.
            using var forged = await browser.PostAsJsonAsync("/api/v1/alerts/999/acknowledge", new { reason = "x" });
            Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
            Assert.Contains("CSRF", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var withToken = new HttpRequestMessage(HttpMethod.Post, "/api/v1/alerts/999/acknowledge") { Content = JsonContent.Create(new { reason = "x" }) };
            withToken.Headers.Add(DockPolicies.CsrfHeader, signedIn.CsrfToken);
            Assert.Equal(HttpStatusCode.NotFound, (await browser.SendAsync(withToken)).StatusCode); // past CSRF and policy: no alert 999

            // Lockout: five wrong passwords, then even the right one is refused for a while.
            using var other = new HttpClient { BaseAddress = BaseAddress(host) };
            for (int i = 0; i < UserAccounts.LockAfter; i++)
                Assert.Equal(HttpStatusCode.Unauthorized, (await other.PostAsJsonAsync("/api/v1/login", new { name = "victim", password = "not the password" })).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await other.PostAsJsonAsync("/api/v1/login", new { name = "victim", password = Password })).StatusCode);
            var locked = Assert.Single(await accounts.ListAsync(CancellationToken.None), u => u.Name == "victim");
            Assert.True(locked.LockedUntil > DateTimeOffset.UtcNow.AddMinutes(10));
            // The address is rate-limited too: past ten attempts a minute the server answers 429 without checking anything.
            HttpStatusCode last = HttpStatusCode.OK;
            for (int i = 0; i < 6; i++) last = (await other.PostAsJsonAsync("/api/v1/login", new { name = "nobody", password = "whatever it is" })).StatusCode;
            Assert.Equal(HttpStatusCode.TooManyRequests, last);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task OpenApiDocument_ServedAtRunTime_IsTheCommittedOne()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 10_000, MaxClipSize = 10_000 });
        var (host, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            using var anonymous = Client(host);
            var served = await anonymous.GetStringAsync("/openapi/v1.json");
            var committed = Path.Combine(DockHarness.RepositoryRoot(), "hardware-specs", "openapi-v1.json");
            if (Environment.GetEnvironmentVariable("DOCK_WRITE_OPENAPI") is "1") await File.WriteAllTextAsync(committed, served);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(committed)), JsonNode.Parse(served)),
                "hardware-specs/openapi-v1.json differs from the served document: run the test with DOCK_WRITE_OPENAPI=1 after a deliberate change");
            var document = JsonNode.Parse(served)!;
            Assert.StartsWith("3.1", document["openapi"]!.GetValue<string>(), StringComparison.Ordinal);
            foreach (var path in new[] { "/api/v1/bays", "/api/v1/clips", "/api/v1/clips/{serial}/{clipId}/proof", "/api/v1/alerts", "/api/v1/custody/checkpoint" })
                Assert.NotNull(document["paths"]![path]);
            // Both ways in are described, and every operation behind a login says it takes them (the probes and login do not).
            Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
            Assert.Equal("cookie", document["components"]!["securitySchemes"]!["cookie"]!["in"]!.GetValue<string>());
            foreach (var (path, item) in document["paths"]!.AsObject())
            foreach (var (method, operation) in item!.AsObject())
            {
                bool open = path is "/healthz" or "/readyz" or "/api/v1/login" or "/api/v1/kiosk/signin";
                Assert.True(open == operation!["security"] is null, $"{method} {path}: security {operation!["security"]?.ToJsonString() ?? "none"}");
            }
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task UsersCommand_AddsUsersAndPrintsATokenThatWorks_RefusesBadInputClearly()
    {
        await using var harness = DockHarness.Create();
        var passwordFile = Path.Combine(harness.DataDirectory, "pw.txt");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        var (code, _, stderr) = await DockHarness.RunDockAsync("users", "add", "alice", "--role", "it-admin,auditor", "--password-file", passwordFile,
            "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await DockHarness.RunDockAsync("users", "add", "bob", "--role", "janitor", "--password-file", passwordFile, "--data", harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("'janitor' is not a role", stderr, StringComparison.Ordinal);
        await File.WriteAllTextAsync(passwordFile, "short\n");
        (code, _, stderr) = await DockHarness.RunDockAsync("users", "add", "bob", "--role", "officer", "--password-file", passwordFile, "--data", harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("at least 10 characters", stderr, StringComparison.Ordinal);
        (code, var token, stderr) = await DockHarness.RunDockAsync("users", "token", "alice", "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        token = token.Trim();
        Assert.StartsWith("dock_", token, StringComparison.Ordinal);
        var (_, list, _) = await DockHarness.RunDockAsync("users", "list", "--data", harness.DataDirectory);
        Assert.Contains("alice", list, StringComparison.Ordinal);
        Assert.DoesNotContain(token, await File.ReadAllTextAsync(harness.Paths.Catalog), StringComparison.Ordinal); // stored hashed

        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 10_000, MaxClipSize = 10_000 });
        var (host, _) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            using var client = Client(host, token);
            Assert.Equal("alice", (await client.GetFromJsonAsync<Me>("/api/v1/me", Web))!.Name);
            // Alice is the only it-admin: disabling her would leave nobody to manage users.
            (code, _, stderr) = await DockHarness.RunDockAsync("users", "disable", "alice", "--data", harness.DataDirectory);
            Assert.Equal(2, code);
            Assert.Contains("last enabled it-admin", stderr, StringComparison.Ordinal);
            await File.WriteAllTextAsync(passwordFile, Password + "\n");
            (code, _, stderr) = await DockHarness.RunDockAsync("users", "add", "carol", "--role", "it-admin,officer", "--badge", "P900001",
                "--password-file", passwordFile, "--data", harness.DataDirectory);
            Assert.True(code == 0, stderr);
            (code, var pinLine, stderr) = await DockHarness.RunDockAsync("users", "pin", "carol", "--data", harness.DataDirectory);
            Assert.True(code == 0, stderr);
            var pin = System.Text.RegularExpressions.Regex.Match(pinLine, @"PIN of carol: (\d{6}) ").Groups[1].Value;
            Assert.Null(UserAccounts.PinWeakness(pin));
            (code, _, _) = await DockHarness.RunDockAsync("users", "disable", "alice", "--data", harness.DataDirectory);
            Assert.Equal(0, code);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/me")).StatusCode);
            // Each change is a user-changed custody entry naming the person at the shell; the PIN is not in it.
            var changes = (await EnrolmentTests.EventsAsync(await harness.CatalogAsync())).Where(e => e.Kind == CustodyEventKind.UserChanged).ToList();
            Assert.Equal(["user alice added: roles it-admin,auditor", "user alice: API token issued", "user carol added: roles it-admin,officer, badge P900001",
                "user carol: PIN reset", "user alice: disabled"], changes.Select(e => e.Detail!.Split(" (")[0]));
            Assert.All(changes, e => Assert.EndsWith("@" + Environment.MachineName, e.Actor, StringComparison.Ordinal));
            Assert.DoesNotContain(changes, e => e.Detail!.Contains(pin, StringComparison.Ordinal));
            await host.StopAsync();
        }
    }
}
