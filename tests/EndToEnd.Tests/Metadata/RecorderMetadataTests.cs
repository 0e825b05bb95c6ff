using System.Net.Http.Json;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Metadata;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;
using Json.Schema;

namespace Dock.EndToEnd.Tests.Metadata;

/// <summary>What a camera keeps beside each clip — GPS track, event markers, the importance flag set after the clip closed — comes in over
/// DockLink v1.2 (GET_CLIP_META) before the clip leaves the camera: the place from the track (else the dock's location, and the tags say
/// which), the flag as a tag from the recorder, both in the custody log, and the track and markers in the signed cloud sidecar.</summary>
public sealed class RecorderMetadataTests
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task GpsTrackMarkersAndImportance_ComeFromTheCamera_PlaceSaysWhichSource_AndTravelInTheSidecar()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 6, MinClipSize = 30_000, MaxClipSize = 40_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        // The truth, from the camera itself, before the dock takes anything (clip index i is the i-th clip it made).
        var truth = recorder.Clips.Select((clip, i) => SimulatedTrack.For(recorder.Options.Seed, i, clip)).ToDictionary(m => m.ClipId);
        Assert.Contains(truth.Values, m => m.Track.Count == 0);                       // one recorded wholly indoors
        Assert.Contains(truth.Values, m => m.Markers.Count > 0);
        Assert.Contains(truth.Values, m => m.Important && !recorder.Clips.Single(c => c.ClipId == m.ClipId).Flags.HasFlag(ClipFlags.Important));
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "sam", Password, [Roles.Supervisor], null, CancellationToken.None);
        var cloud = Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "..", $"cloud-{Guid.NewGuid():N}")).FullName;
        try
        {
            var (host, _) = await harness.StartDockAsync(("Dock:Cloud:Target", $"file:{cloud}"), ("Dock:Metadata:Location", "Xicheng station"));
            using (host)
            {
                await harness.RecordersEmptyAsync();
                using var api = new HttpClient { BaseAddress = new Uri(DockHarness.HttpAddress(host)) };
                var signedIn = await (await api.PostAsJsonAsync("/api/v1/login", new { name = "sam", password = Password })).Content.ReadFromJsonAsync<JsonElement>();
                api.DefaultRequestHeaders.Add("X-Dock-CSRF", signedIn.GetProperty("csrfToken").GetString());
                foreach (var (clipId, meta) in truth)
                {
                    var got = await api.GetFromJsonAsync<JsonElement>($"/api/v1/clips/{recorder.Serial}/{clipId}/metadata");
                    var place = got.GetProperty("fields").GetProperty("capture-place");
                    var data = got.GetProperty("recorder");
                    Assert.Equal(meta.Track.Count, data.GetProperty("track").GetArrayLength());
                    Assert.Equal(meta.Markers.Select(m => m.Label), data.GetProperty("markers").EnumerateArray().Select(m => m.GetProperty("label").GetString()));
                    Assert.Equal(0, data.GetProperty("dropped").GetInt32());
                    if (meta.Track.Count == 0)
                    {
                        // No fix: the dock's own location, marked as derived by the dock.
                        Assert.Equal(("Xicheng station", "dock", true), (place.GetProperty("value").GetString(), place.GetProperty("source").GetString(),
                            place.GetProperty("derived").GetBoolean()));
                    }
                    else
                    {
                        var fix = new RecorderData(default, false, meta.Track, [], 0).PlaceFix!.Value;
                        Assert.Equal((RecorderData.Place(fix), "recorder", false), (place.GetProperty("value").GetString(), place.GetProperty("source").GetString(),
                            place.GetProperty("derived").GetBoolean()));
                        Assert.StartsWith("GPS 39.", place.GetProperty("value").GetString(), StringComparison.Ordinal);
                    }
                    Assert.Equal(meta.Important, got.GetProperty("fields").TryGetProperty("important", out var important)
                        && important.GetProperty("value").GetString() == "true" && important.GetProperty("source").GetString() == "recorder");
                }
                // The console's clip page shows it: the fixes, the track drawn (one SVG point per fix), the markers.
                var walked = truth.Values.First(m => m.Track.Count > 0 && m.Markers.Count > 0);
                var page = await api.GetStringAsync($"/clips/{recorder.Serial}/{walked.ClipId}");
                Assert.Contains($"{walked.Track.Count} GPS fixes", page, StringComparison.Ordinal);
                var polyline = System.Text.RegularExpressions.Regex.Match(page, "<polyline points=\"([^\"]*)\"").Groups[1].Value;
                Assert.Equal(walked.Track.Count, polyline.Split(' ').Length);
                Assert.Equal(walked.Markers.Count, System.Text.RegularExpressions.Regex.Matches(page, "data-marker=").Count);
                await using (var browser = await Browser.LaunchAsync())
                {
                    await using var console = await browser.ContextAsync("zh-CN");
                    var desk = await console.NewPageAsync();
                    await desk.GotoAsync(DockHarness.HttpAddress(host) + $"/clips/{recorder.Serial}/{walked.ClipId}");
                    await desk.Locator("#name").FillAsync("sam");
                    await desk.Locator("#password").FillAsync(Password);
                    await desk.Locator("form button[type='submit']").ClickAsync();
                    await desk.Locator("#camera svg").WaitForAsync();
                    await Browser.AssertAccessibleAsync(desk);
                    await desk.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "clip-camera-zh-CN.png"), FullPage = true });
                }

                // The sidecar follows: each clip's final version carries the camera's track and markers, valid against the schema.
                var schema = SidecarSchema.Instance;
                var catalog = await harness.CatalogAsync();
                var tags = new TagStore(catalog.Database);
                await harness.WaitForCatalogAsync(async c =>
                {
                    foreach (var row in await c.Clips.ListClipsAsync(recorder.Serial, CancellationToken.None))
                    {
                        var (version, published) = await tags.VersionAsync(row.Id, CancellationToken.None);
                        if (published < version) return false;
                    }
                    return true;
                }, "every sidecar at its latest version");
                foreach (var (clipId, meta) in truth)
                {
                    var path = Directory.EnumerateFiles(cloud, "*.metadata.json", SearchOption.AllDirectories).Single(f => Path.GetFileName(f) == clipId + ".metadata.json");
                    using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
                    var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
                    Assert.True(result.IsValid, JsonSerializer.Serialize(result));
                    var data = document.RootElement.GetProperty("recorderData");
                    Assert.Equal(meta.Track.Count, data.GetProperty("track").GetArrayLength());
                    Assert.Equal(meta.Markers.Count, data.GetProperty("markers").GetArrayLength());
                    Assert.Equal(meta.Important, data.GetProperty("important").GetBoolean());
                    if (meta.Track.Count > 0)
                        Assert.Equal(meta.Track[0].Latitude, data.GetProperty("track")[0].GetProperty("lat").GetDouble(), 7);
                }
                await host.StopAsync();
            }
            // Each tag the camera gave is a metadata-changed entry by the dock, source recorder, before the clip's release was asked.
            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            var fromCamera = events.Where(e => e.Kind == CustodyEventKind.MetadataChanged && e.Detail!.Contains("(recorder)", StringComparison.Ordinal)).ToList();
            Assert.Equal(truth.Values.Count(m => m.Track.Count > 0) + truth.Values.Count(m => m.Important), fromCamera.Count);
            foreach (var entry in fromCamera)
            {
                Assert.DoesNotContain("@", entry.Actor, StringComparison.Ordinal); // the dock, not a person
                Assert.Contains(events, e => e.Kind == CustodyEventKind.ReleaseRequested && e.ClipId == entry.ClipId && e.Index > entry.Index);
            }
        }
        finally
        {
            Directory.Delete(cloud, recursive: true);
        }
    }

    [Fact]
    public async Task ACameraThatAnswersForAnotherClip_OrWithFixesOutsideTheRecording_IsAlertedOrTrimmed_AndItsClipsStillComeIn()
    {
        await using var harness = DockHarness.Create();
        string? first = null;
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 3, MinClipSize = 30_000, MaxClipSize = 40_000,
            SessionOptions = new DeviceSessionOptions
            {
                Rewrite = (request, reply) => reply switch
                {
                    // The first clip asked about gets the answer for another clip; the others carry a fix from two hours before the recording.
                    ClipMeta m when Interlocked.CompareExchange(ref first, m.ClipId, null) is null => m with { ClipId = "someone-else.mp4" },
                    ClipMeta { Track.Count: > 0 } m => m with
                    {
                        Track = [m.Track[0] with { TimeMs = m.Track[0].TimeMs - 2 * 3600_000 }, .. m.Track],
                    },
                    _ => reply,
                },
            },
        });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "AfterLocalVerify"), ("Dock:Cloud:Target", "none"));
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 3);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var alert = Assert.Single(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "recorder-metadata");
        Assert.Equal(first, alert.ClipId);
        Assert.Contains("someone-else.mp4", alert.Message, StringComparison.Ordinal);
        var tags = new TagStore(catalog.Database);
        foreach (var row in await catalog.Clips.ListClipsAsync(null, CancellationToken.None))
        {
            var data = await tags.ReadRecorderDataAsync(row.Id, CancellationToken.None);
            Assert.NotNull(data);
            if (row.ClipId == first) Assert.NotNull(data.Problem);
            else if (data.Track.Count > 0) Assert.Equal(1, data.Dropped);
        }
        Assert.Empty(fleet.Endpoints[0].Recorder.Clips); // every clip came in and was released all the same
    }
}
