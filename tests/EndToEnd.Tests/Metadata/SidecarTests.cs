using System.Net.Http.Json;
using System.Text.Json;
using Dock.Crypto.Keys;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dock.EndToEnd.Tests.Metadata;

/// <summary>The tags travel with the clip: a signed, versioned sidecar beside its manifest in the cloud, valid against the published
/// schema, rewritten when a person changes a tag.</summary>
public sealed class SidecarTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task EachUploadedClip_HasASignedSidecar_ValidAgainstTheSchema_AndATagChangeWritesTheNextVersion()
    {
        await using var harness = DockHarness.Create();
        // Cameras without GPS: the versions here count people's changes only (RecorderMetadataTests covers what a camera adds).
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 40_000, MaxClipSize = 50_000, ClipMetadata = false });
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "sam", Password, [Roles.Supervisor], null, CancellationToken.None);
        var cloud = Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "..", $"cloud-{Guid.NewGuid():N}")).FullName;
        try
        {
            var (host, activity) = await harness.StartDockAsync(("Dock:Cloud:Target", $"file:{cloud}"), ("Dock:Metadata:Location", "Xicheng station"));
            using (host)
            {
                await harness.RecordersEmptyAsync(); // both clips verified in the cloud and released
                var serial = fleet.Endpoints[0].Recorder.Serial;
                var clips = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(serial, CancellationToken.None)).OrderBy(c => c.ClipId).ToList();
                var publicKey = host.Services.GetRequiredService<Dock.Service.Hosting.DockCore>().Identity.PublicKey.ToArray();
                var schema = SidecarSchema.Instance;

                string SidecarOf(string clipId) => Directory.EnumerateFiles(cloud, "*.metadata.json", SearchOption.AllDirectories)
                    .Single(f => Path.GetFileName(f) == clipId + ".metadata.json");
                JsonElement Check(string clipId)
                {
                    var path = SidecarOf(clipId);
                    Assert.Contains($"{Path.DirectorySeparatorChar}manifests{Path.DirectorySeparatorChar}", path, StringComparison.Ordinal); // beside the manifest
                    Assert.True(File.Exists(path[..^".metadata.json".Length] + ".manifest.json"));
                    var bytes = File.ReadAllBytes(path);
                    Assert.True(Ed25519Key.Verify(publicKey, bytes, File.ReadAllBytes(path + ".sig")), "the dock's signature over the sidecar");
                    using var document = JsonDocument.Parse(bytes);
                    var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
                    Assert.True(result.IsValid, JsonSerializer.Serialize(result));
                    return document.RootElement.Clone();
                }

                // Uploaded with the clip: version 0, the dock's own values, the two a person must give listed as missing.
                foreach (var clip in clips)
                {
                    var first = Check(clip.ClipId);
                    Assert.Equal(0, first.GetProperty("version").GetInt64());
                    Assert.Equal(clip.DeviceSha256, first.GetProperty("sha256").GetString());
                    Assert.True(first.GetProperty("fields").GetProperty("capture-time").GetProperty("derived").GetBoolean());
                    Assert.Equal(["case-number", "purpose"], first.GetProperty("missing").EnumerateArray().Select(m => m.GetString()));
                }

                // A supervisor tags the first clip: the sidecar follows with version 2 (two fields changed), the second clip's stays.
                using var api = new HttpClient { BaseAddress = new Uri(DockHarness.HttpAddress(host)) };
                var signedIn = await (await api.PostAsJsonAsync("/api/v1/login", new { name = "sam", password = Password })).Content.ReadFromJsonAsync<JsonElement>();
                api.DefaultRequestHeaders.Add("X-Dock-CSRF", signedIn.GetProperty("csrfToken").GetString());
                var put = await api.PutAsJsonAsync($"/api/v1/clips/{serial}/{clips[0].ClipId}/metadata",
                    new { caseNumber = "A-2026-117", purpose = "现场检查", reason = "filed today" });
                put.EnsureSuccessStatusCode();
                // The sidecar and its signature are two objects: a reader between the two writes finds a pair that does not match, and
                // reads again (hardware-specs/clip-metadata-v1.schema.json says so). Wait until version 2 is there and settled.
                bool Settled()
                {
                    try
                    {
                        return Check(clips[0].ClipId).GetProperty("version").GetInt64() >= 2;
                    }
                    catch (Exception ex) when (ex is Xunit.Sdk.XunitException or IOException)
                    {
                        return false;
                    }
                }
                var deadline = DateTime.UtcNow + DockHarness.Limit;
                while (!Settled() && DateTime.UtcNow < deadline) await Task.Delay(100);
                var tagged = Check(clips[0].ClipId);
                Assert.Equal(2, tagged.GetProperty("version").GetInt64());
                Assert.Equal("A-2026-117", tagged.GetProperty("fields").GetProperty("case-number").GetProperty("value").GetString());
                Assert.Equal("console", tagged.GetProperty("fields").GetProperty("purpose").GetProperty("source").GetString());
                Assert.Equal("sam@api", tagged.GetProperty("fields").GetProperty("purpose").GetProperty("setBy").GetString());
                Assert.Empty(tagged.GetProperty("missing").EnumerateArray());
                Assert.Equal(0, Check(clips[1].ClipId).GetProperty("version").GetInt64());

                // The schema is no formality: a source it does not name, or a missing sha256, fails it.
                var text = File.ReadAllText(SidecarOf(clips[0].ClipId));
                foreach (var broken in new[] { text.Replace("\"console\"", "\"elsewhere\"", StringComparison.Ordinal),
                    System.Text.RegularExpressions.Regex.Replace(text, "\"sha256\": \"[0-9a-f]{64}\",", "") })
                {
                    Assert.NotEqual(text, broken);
                    using var bad = JsonDocument.Parse(broken);
                    Assert.False(schema.Evaluate(bad.RootElement).IsValid, broken);
                }

                // A forged sidecar does not verify under the dock's key.
                var forged = File.ReadAllBytes(SidecarOf(clips[0].ClipId));
                forged[forged.Length / 2] ^= 1;
                Assert.False(Ed25519Key.Verify(publicKey, forged, File.ReadAllBytes(SidecarOf(clips[0].ClipId) + ".sig")));
                await host.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(cloud, recursive: true);
        }
    }
}
