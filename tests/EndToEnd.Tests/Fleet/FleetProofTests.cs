using System.Text.Json.Nodes;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.EndToEnd.Tests.Support;
using Dock.Evidence;
using Dock.Service.Fleet;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;

namespace Dock.EndToEnd.Tests.Fleet;

/// <summary>
/// The auditor's question (fleet-bundle-v1.md §6): which configuration did the camera run when it recorded this clip? Bundles 6 and 7 are
/// published (a signed bundle log); the dock applies 7 and writes its profile to the camera; the camera records a clip, signing the profile it
/// records under (DockLink v1.5). `dock fleet prove` then shows, link by link with inclusion proofs, that the clip was recorded under version
/// 7; a clip from before says factory settings; a manifest re-signed by the dock to claim version 6 fails on the recorder's signature.
/// </summary>
public sealed class FleetProofTests
{
    [Fact]
    public async Task AClipRecordedUnderVersion7_IsProvedToBe_WithInclusionProofs_AndNotEvenTheDockCanClaimAnother()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 1, MinClipSize = 50_000, MaxClipSize = 50_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        var agencyKey = Path.Combine(harness.DataDirectory, "keys", "demo-agency.key");
        var cloud = Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "cloud")).FullName;
        string Bundle(long version, string codec)
        {
            var json = new JsonObject
            {
                ["format"] = FleetBundle.Format, ["version"] = version, ["created"] = "2026-12-04T08:00:00Z",
                ["recorderProfiles"] = new JsonArray(new JsonObject { ["model"] = recorder.Options.Model, ["codec"] = codec, ["preRecordSeconds"] = 30 }),
            };
            var file = Path.Combine(harness.DataDirectory, $"v{version}.note");
            using var agency = KeyFile.Load(agencyKey);
            File.WriteAllText(file, BundleNote.Sign(json.ToJsonString(), agency));
            return file;
        }
        var v6 = Bundle(6, "h264");
        var v7 = Bundle(7, "h265");
        await RunAsync("fleet", "publish", v6, "--cloud", $"file:{cloud}", "--agency-key", agencyKey);
        await RunAsync("fleet", "publish", v7, "--cloud", $"file:{cloud}", "--agency-key", agencyKey);
        await RunAsync("fleet", "apply", v7, "--data", harness.DataDirectory);

        // First docking: its factory-settings clip comes in, then the dock writes bundle 7's profile to it.
        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await harness.WaitForCatalogAsync(async c => (await EnrolmentTests.EventsAsync(c)).Any(e => e.Kind == CustodyEventKind.RecorderConfigured),
                "the profile of version 7 written");
            await host.StopAsync();
        }
        Assert.Equal(7UL, recorder.Config.Version);
        // On shift: it records under that profile; docked again, the clip comes in.
        var start = DateTimeOffset.UtcNow.AddMinutes(-20);
        recorder.AddClip(SimulatedClip.Synthetic($"{start:yyyyMMdd-HHmmss}-0100.mp4", 60_000, 4242, start, start.AddMinutes(10), ClipFlags.None));
        (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 1);
            await host.StopAsync();
        }
        var rows = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        var before = rows.Single(r => r.ConfigVersion == 0);
        var under7 = rows.Single(r => r.ConfigVersion == 7);
        var trust = await harness.TrustPemAsync();

        var clip = Path.Combine(harness.DataDirectory, under7.VaultPath!);
        var (code, said, err) = await DockHarness.RunDockAsync("fleet", "prove", clip, "--cloud", $"file:{cloud}", "--config-key", agencyKey, "--trust", trust);
        Assert.True(code == 0, said + err);
        Assert.Contains("the recorder signed that it ran profile " + under7.ConfigSha256 + " of fleet bundle version 7", said, StringComparison.Ordinal);
        Assert.Contains("entry 1 (version 7", said, StringComparison.Ordinal); // the log's second entry, after version 6
        Assert.Contains("is in the signed tree", said, StringComparison.Ordinal);
        Assert.Contains("the clip was recorded under fleet bundle version 7", said, StringComparison.Ordinal);
        Assert.Contains("is in the checkpointed tree", said, StringComparison.Ordinal); // the dock's custody proof for the clip itself

        // The clip from before the profile was written: the camera's factory settings, no bundle.
        (code, said, err) = await DockHarness.RunDockAsync("fleet", "prove", Path.Combine(harness.DataDirectory, before.VaultPath!), "--cloud", $"file:{cloud}",
            "--config-key", agencyKey, "--trust", trust);
        Assert.True(code == 0, said + err);
        Assert.Contains("factory settings", said, StringComparison.Ordinal);

        // A dock that rewrites the manifest to say version 6 (and signs it again with its own key) is caught by the recorder's signature.
        var forged = Path.Combine(harness.DataDirectory, "forged");
        Directory.CreateDirectory(forged);
        var copy = Path.Combine(forged, "clip.mp4");
        File.Copy(clip, copy);
        var manifest = JsonNode.Parse(await File.ReadAllTextAsync(ClipVerifier.DefaultManifestPath(clip)))!;
        manifest["recorder"]!["configVersion"] = 6;
        manifest["recorder"]!["configSha256"] = BundleNote.Peek(await File.ReadAllTextAsync(v6)).RecorderProfiles[0].Sha256;
        var bytes = System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString());
        await File.WriteAllBytesAsync(copy + ".manifest.json", bytes);
        using (var dockKey = Dock.Service.Identity.DockKey.Load(harness.Paths, create: false))
            await File.WriteAllBytesAsync(copy + ".manifest.json.sig", dockKey.Sign(bytes));
        (code, said, _) = await DockHarness.RunDockAsync("fleet", "prove", copy, "--cloud", $"file:{cloud}", "--config-key", agencyKey, "--trust", trust);
        Assert.Equal((int)VerifyOutcome.BadSignature, code);
        Assert.Contains("the record-time signature does not verify", said, StringComparison.Ordinal);

        // A manifest that is not JSON at all: a failed proof with its reason, never a crash of the prover.
        await File.WriteAllTextAsync(copy + ".manifest.json", "{not json");
        (code, said, err) = await DockHarness.RunDockAsync("fleet", "prove", copy, "--cloud", $"file:{cloud}", "--config-key", agencyKey, "--trust", trust);
        Assert.True(code == (int)VerifyOutcome.BadSignature, said + err);
        Assert.DoesNotContain("Unhandled exception", err, StringComparison.Ordinal);
    }

    private static async Task RunAsync(params string[] args)
    {
        var (code, said, err) = await DockHarness.RunDockAsync(args);
        Assert.True(code == 0, $"dock {string.Join(' ', args)}: {said}{err}");
    }
}
