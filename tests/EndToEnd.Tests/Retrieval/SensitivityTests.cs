using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Users;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests.Retrieval;

/// <summary>R6 and R5 through the HTTP API: every role × sensitivity pair allowed or refused as configured (search, the clip's page, its
/// metadata, playback), refusals as 403 with no bytes and a record; who may raise and lower a level; the alerts for unusual retrieval
/// and for a held clip retrieved.</summary>
public sealed class SensitivityTests
{
    private const string Password = "correct horse battery";

    /// <summary>The configuration under test: personal privacy opened to IT staff as well, trade secrets to auditors alone (state secrets keep
    /// the default, supervisors alone). The expected matrix is read from here, not from the dock's code.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["none"] = [Roles.Supervisor, Roles.Auditor, Roles.ItAdmin],
        ["personal-privacy"] = [Roles.Supervisor, Roles.Auditor, Roles.ItAdmin],
        ["trade-secret"] = [Roles.Auditor],
        ["state-secret"] = [Roles.Supervisor],
    };

    [Fact]
    public async Task RoleBySensitivityMatrix_AllowsAndRefusesAsConfigured_RefusalsServeNoBytesAndAreRecorded()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 4, MinClipSize = 40_000, MaxClipSize = 60_000 });
        var serial = fleet.Endpoints[0].Recorder.Serial;
        var badge = fleet.Endpoints[0].Recorder.Options.OfficerId;
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        var people = new (string Name, string Role)[]
        {
            ("sam", Roles.Supervisor), ("alice", Roles.Auditor), ("ian", Roles.ItAdmin), ("eve", Roles.EquipmentManager), ("olga", Roles.Officer),
        };
        foreach (var (name, role) in people)
            await accounts.AddAsync("test", name, Password, [role], role == Roles.Officer ? badge : null, CancellationToken.None);
        var pin = await accounts.SetPinAsync("test", "olga", "482916", CancellationToken.None);
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none"),
            ("Dock:Retrieval:Roles:personal-privacy", "supervisor,auditor,it-admin"), ("Dock:Retrieval:Roles:trade-secret", "auditor"),
            ("Dock:Retrieval:ClipsPerWindow", "2"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 4, CancellationToken.None).WaitAsync(DockHarness.Limit);
            var address = DockHarness.HttpAddress(host);
            var clips = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(serial, CancellationToken.None)).OrderBy(c => c.ClipId).ToList();
            var levels = new[] { "none", "personal-privacy", "trade-secret", "state-secret" };
            // One session each (sign-ins are rate-limited).
            var clients = new Dictionary<string, HttpClient>();
            foreach (var (name, _) in people) clients[name] = await SignInAsync(address, name);
            var sam = clients["sam"];

            // An officer marks their own footage at the kiosk (raise only); a supervisor sets the rest, and lowers only with a reason.
            using var kiosk = new HttpClient { BaseAddress = new Uri(address) };
            var session = await (await kiosk.PostAsJsonAsync("/api/v1/kiosk/signin", new { badge, pin })).Content.ReadFromJsonAsync<JsonElement>();
            kiosk.DefaultRequestHeaders.Add("X-Dock-CSRF", session.GetProperty("csrfToken").GetString());
            var raised = await kiosk.PutAsJsonAsync("/api/v1/kiosk/tags", new { clips = new[] { new { serial, clipId = clips[1].ClipId } }, sensitivity = "personal-privacy" });
            Assert.Equal(HttpStatusCode.NoContent, raised.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await sam.PutAsJsonAsync($"/api/v1/clips/{serial}/{clips[2].ClipId}/sensitivity", new { level = "trade-secret" })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await sam.PutAsJsonAsync($"/api/v1/clips/{serial}/{clips[3].ClipId}/sensitivity", new { level = "state-secret" })).StatusCode);
            var lowered = await kiosk.PutAsJsonAsync("/api/v1/kiosk/tags", new { clips = new[] { new { serial, clipId = clips[1].ClipId } }, sensitivity = "none" });
            Assert.Equal(HttpStatusCode.Forbidden, lowered.StatusCode);
            var noReason = await sam.PutAsJsonAsync($"/api/v1/clips/{serial}/{clips[3].ClipId}/sensitivity", new { level = "none" });
            Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
            Assert.Contains("needs a reason", await noReason.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Forbidden, (await clients["alice"].PutAsJsonAsync(
                $"/api/v1/clips/{serial}/{clips[3].ClipId}/sensitivity", new { level = "none", reason = "x" })).StatusCode);

            int refusals = 0;
            foreach (var (name, role) in people)
            {
                var client = clients[name];
                bool readsClips = role is Roles.Supervisor or Roles.Auditor or Roles.ItAdmin;
                var search = await client.GetAsync($"/api/v1/clips?serial={serial}");
                if (!readsClips)
                {
                    Assert.Equal(HttpStatusCode.Forbidden, search.StatusCode);
                    continue;
                }
                var listed = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray().Select(c => c.GetProperty("clipId").GetString()).ToHashSet();
                for (int i = 0; i < 4; i++)
                {
                    var clip = clips[i];
                    bool allowed = Allowed[levels[i]].Contains(role);
                    var url = $"/api/v1/clips/{serial}/{Uri.EscapeDataString(clip.ClipId)}";
                    Assert.True(allowed == listed.Contains(clip.ClipId), $"{role} × {levels[i]}: in search results {listed.Contains(clip.ClipId)}");
                    var page = await client.GetAsync(url);
                    var open = await client.PostAsJsonAsync($"{url}/retrievals", new { kind = "view", purpose = "supervision", caseNumber = "XC-7" });
                    if (!allowed)
                    {
                        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
                        Assert.Contains("Above your clearance", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                        Assert.Equal(HttpStatusCode.Forbidden, open.StatusCode);
                        // No bytes: a problem document, not the clip; even with a token of someone else's.
                        var content = await client.GetAsync($"{url}/content?retrieval={new string('0', 32)}");
                        Assert.Equal(HttpStatusCode.Forbidden, content.StatusCode);
                        Assert.Equal("application/problem+json", content.Content.Headers.ContentType?.MediaType);
                        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"{url}/metadata")).StatusCode);
                        refusals += 4;
                        continue;
                    }
                    if (levels[i] == "none") Assert.Equal(HttpStatusCode.OK, page.StatusCode);
                    else
                    {
                        // Sensitive: its page and metadata answer only under a stated reason.
                        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
                        Assert.Contains("A reason is required", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                        var read = await (await client.PostAsJsonAsync($"{url}/retrievals", new { kind = "metadata", purpose = "court", text = "hearing 3 March" }))
                            .Content.ReadFromJsonAsync<JsonElement>();
                        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/metadata");
                        request.Headers.Add("X-Dock-Retrieval", read.GetProperty("token").GetString());
                        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
                    }
                    Assert.Equal(HttpStatusCode.Created, open.StatusCode);
                    var token = (await open.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
                    using var ranged = new HttpRequestMessage(HttpMethod.Get, $"{url}/content?retrieval={token}");
                    ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1999);
                    var served = await client.SendAsync(ranged);
                    Assert.Equal(HttpStatusCode.PartialContent, served.StatusCode);
                    // What the recorder made, read through the vault (the secret levels' copies are encrypted on disk since they were marked).
                    var expected = new byte[1000];
                    var vaultPath = Path.Combine(harness.DataDirectory, clip.VaultPath!);
                    Assert.Equal(i >= 2, System.Text.Encoding.ASCII.GetString((await File.ReadAllBytesAsync(vaultPath)).AsSpan(0, 8)) == "DOCKVLT1");
                    using (var folder = await Dock.Service.Hosting.DataFolder.OpenAsync(harness.DataDirectory, CancellationToken.None))
                    await using (var plain = folder.Vault().OpenRead(vaultPath, 1000, 1000))
                        await plain.ReadExactlyAsync(expected);
                    Assert.Equal(expected, await served.Content.ReadAsByteArrayAsync());
                    Assert.Equal($"bytes 1000-1999/{clip.Size}", served.Content.Headers.ContentRange?.ToString());
                    // Another person cannot use this token.
                    var other = name == "sam" ? clients["alice"] : sam;
                    Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"{url}/content?retrieval={token}")).StatusCode);
                }
            }

            // The audit holds every refusal and every view with its reason and the range served; the log holds a viewed entry per view.
            var audit = await clients["alice"].GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1000");
            var rows = audit.EnumerateArray().ToList();
            Assert.True(rows.Count(r => r.GetProperty("kind").GetString() == "refused") >= refusals, $"{refusals} refusals made");
            var views = rows.Where(r => r.GetProperty("kind").GetString() == "view").ToList();
            Assert.Equal(Allowed.Values.Sum(roles => roles.Length), views.Count);
            Assert.All(views, v => Assert.Equal("supervision: case XC-7", v.GetProperty("reason").GetString()));
            Assert.Contains(views, v => v.GetProperty("ranges").GetString() == "1000-1999");
            var entries = await sam.GetFromJsonAsync<JsonElement>("/api/v1/custody/entries?from=0&count=1000");
            var viewed = entries.EnumerateArray().Select(e => e.GetProperty("text").GetString()!).Where(e => e.Contains("event: viewed", StringComparison.Ordinal)).ToList();
            Assert.True(viewed.Count(e => e.Contains("viewing session opened", StringComparison.Ordinal) && e.Contains("supervision: case XC-7", StringComparison.Ordinal))
                == views.Count, string.Join("\n", viewed));
            var changes = entries.EnumerateArray().Select(e => e.GetProperty("text").GetString()!).Where(e => e.Contains("event: sensitivity-changed", StringComparison.Ordinal)).ToList();
            Assert.Equal(3, changes.Count);
            Assert.Contains(changes, e => e.Contains("@kiosk", StringComparison.Ordinal) && e.Contains("level none -> personal-privacy", StringComparison.Ordinal));

            // Retrieving more clips than Dock:Retrieval:ClipsPerWindow (2) in the window is an alert for supervisors, naming the person: the
            // auditor and the supervisor read three clips each, IT staff two.
            var alerts = await sam.GetFromJsonAsync<JsonElement>("/api/v1/alerts?open=true");
            var unusual = alerts.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("kind").GetString() == "unusual-retrieval").ToList();
            Assert.Single(unusual);
            Assert.Contains("alice: 3 clip(s)", unusual[0].GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("ian", unusual[0].GetProperty("message").GetString(), StringComparison.Ordinal);

            // A clip under legal hold, retrieved: an alert for its unit.
            Assert.Equal(HttpStatusCode.Created, (await sam.PostAsJsonAsync("/api/v1/holds", new { serial, clipId = clips[0].ClipId, reason = "complaint" })).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await sam.PostAsJsonAsync($"/api/v1/clips/{serial}/{clips[0].ClipId}/retrievals",
                new { kind = "download", purpose = "complaint", text = "complainant's copy" })).StatusCode);
            alerts = await sam.GetFromJsonAsync<JsonElement>("/api/v1/alerts?open=true");
            Assert.Contains(alerts.GetProperty("items").EnumerateArray(), a => a.GetProperty("kind").GetString() == "held-clip-retrieved"
                && a.GetProperty("message").GetString()!.Contains("sam", StringComparison.Ordinal));

            // The console's case file export: a ZIP of the bundle, which verifies offline; a case holding a clip above the caller's clearance is
            // refused whole (the auditor may not see state secrets under this configuration).
            await TagAsync(sam, serial, clips[0].ClipId, "C-API-1");
            await TagAsync(clients["ian"], serial, clips[1].ClipId, "C-API-1");   // personal privacy: IT staff are cleared for it here
            await TagAsync(sam, serial, clips[3].ClipId, "C-API-2");              // state secret: supervisors only
            var zip = await clients["alice"].PostAsJsonAsync("/api/v1/cases/C-API-1/export", new { reason = "court filing" });
            Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
            var unpacked = Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "case-api")).FullName;
            await using (var archive = await zip.Content.ReadAsStreamAsync())
                System.IO.Compression.ZipFile.ExtractToDirectory(archive, unpacked);
            byte[] dockKey;
            using (var folder = await Dock.Service.Hosting.DataFolder.OpenAsync(harness.DataDirectory, CancellationToken.None))
                dockKey = folder.Key.PublicKey.ToArray();
            var bundleReport = await Dock.Evidence.BundleVerifier.VerifyAsync(unpacked, dockKey, CancellationToken.None);
            Assert.True(bundleReport.Outcome == Dock.Evidence.VerifyOutcome.Verified, string.Join("\n", bundleReport.Steps.Select(st => $"{st.Ok} {st.Name} {st.Detail}")));
            Assert.Equal(2, Directory.GetFiles(Path.Combine(unpacked, "clips"), "*", SearchOption.AllDirectories).Length);
            var aboveClearance = await clients["alice"].PostAsJsonAsync("/api/v1/cases/C-API-2/export", new { reason = "court filing" });
            Assert.Equal(HttpStatusCode.Forbidden, aboveClearance.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await clients["alice"].PostAsJsonAsync("/api/v1/cases/NO-SUCH/export", new { reason = "x" })).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await clients["ian"].PostAsJsonAsync("/api/v1/cases/C-API-1/export", new { reason = "x" })).StatusCode);

            // A retrieval without a purpose from the list, or without a case number or text, is refused.
            var bad = await sam.PostAsJsonAsync($"/api/v1/clips/{serial}/{clips[0].ClipId}/retrievals", new { kind = "view", purpose = "curiosity", text = "x" });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            bad = await sam.PostAsJsonAsync($"/api/v1/clips/{serial}/{clips[0].ClipId}/retrievals", new { kind = "view", purpose = "court" });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            await host.StopAsync();
        }
    }

    /// <summary>Tags a clip with a case number as <paramref name="client"/>, stating a reason first (a sensitive clip's metadata needs one).</summary>
    private static async Task TagAsync(HttpClient client, string serial, string clipId, string caseNumber)
    {
        var read = await (await client.PostAsJsonAsync($"/api/v1/clips/{serial}/{clipId}/retrievals", new { kind = "metadata", purpose = "case-handling", caseNumber }))
            .Content.ReadFromJsonAsync<JsonElement>();
        using var tag = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/clips/{serial}/{clipId}/metadata")
        {
            Content = JsonContent.Create(new { caseNumber, reason = "filing" }),
        };
        tag.Headers.Add("X-Dock-Retrieval", read.GetProperty("token").GetString());
        var answer = await client.SendAsync(tag);
        Assert.True(answer.IsSuccessStatusCode, $"tagging {clipId}: {answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
    }

    internal static async Task<HttpClient> SignInAsync(string address, string name)
    {
        var client = new HttpClient { BaseAddress = new Uri(address) };
        var answer = await client.PostAsJsonAsync("/api/v1/login", new { name, password = Password });
        Assert.True(answer.IsSuccessStatusCode, $"{name}: {answer.StatusCode}");
        client.DefaultRequestHeaders.Add("X-Dock-CSRF", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("csrfToken").GetString());
        return client;
    }
}
