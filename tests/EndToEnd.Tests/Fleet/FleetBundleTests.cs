using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Fleet;

namespace Dock.EndToEnd.Tests.Fleet;

/// <summary>
/// Fleet bundles through the `dock` CLI as IT staff use it: written from a dock's settings, signed by the agency key, checked by OpenSSL,
/// applied; and every refusal (unsigned, forged, unknown key, replayed, schema) alerted with the dock's configuration left as it was.
/// </summary>
public sealed class FleetBundleTests
{
    private static string AgencyKeyFile(DockHarness harness) => Path.Combine(harness.DataDirectory, "keys", "demo-agency.key");

    private static async Task<string> RunOkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await DockHarness.RunDockAsync(args);
        Assert.True(code == 0, $"dock {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    /// <summary>A signed bundle of <paramref name="version"/>, with <paramref name="edit"/> applied to its JSON first.</summary>
    private static async Task<string> SignedBundleAsync(DockHarness harness, string dir, long version, Action<JsonObject>? edit = null, string? key = null)
    {
        var path = Path.Combine(dir, $"bundle-{version}-{Guid.NewGuid():N}.json");
        await RunOkAsync("fleet", "bundle", "new", "--out", path, "--version", version.ToString(), "--data", harness.DataDirectory);
        if (edit is not null)
        {
            var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsObject();
            edit(json);
            await File.WriteAllTextAsync(path, json.ToJsonString());
        }
        await RunOkAsync("fleet", "bundle", "sign", path, "--agency-key", key ?? AgencyKeyFile(harness));
        return path;
    }

    private static async Task<IReadOnlyList<CustodyEvent>> AppliedEntriesAsync(DockHarness harness)
    {
        var catalog = await harness.CatalogAsync();
        return [.. (await EnrolmentTests.EventsAsync(catalog)).Where(e => e.Kind == CustodyEventKind.ConfigurationApplied)];
    }

    [Fact]
    public async Task SignedBundle_Applies_OpenSslChecksItsSignature_AndEveryRefusalIsAlerted_WithTheConfigurationKept()
    {
        await using var harness = DockHarness.Create();
        var dir = Path.Combine(harness.DataDirectory, "it");
        Directory.CreateDirectory(dir);

        // `bundle new` writes a valid unsigned bundle of the dock's settings, version 1; unsigned, it is refused.
        var unsigned = Path.Combine(dir, "unsigned.json");
        await RunOkAsync("fleet", "bundle", "new", "--out", unsigned, "--data", harness.DataDirectory);
        var fresh = JsonNode.Parse(await File.ReadAllTextAsync(unsigned))!;
        Assert.Equal(1, fresh["version"]!.GetValue<long>());
        Assert.Equal("AfterCloudVerify", fresh["dock"]!["releasePolicy"]!.GetValue<string>());
        var (code, _, stderr) = await DockHarness.RunDockAsync("fleet", "apply", unsigned, "--data", harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("refused (unsigned)", stderr, StringComparison.Ordinal);

        // Version 2, keeping footage on the cameras: signed by the agency key that endorsed the dock, it applies.
        var v2 = await SignedBundleAsync(harness, dir, 2, json => json["dock"]!["releasePolicy"] = "Never");
        var note = await File.ReadAllTextAsync(v2);
        Assert.StartsWith(BundleNote.PurposeLine + "\n{", note, StringComparison.Ordinal);
        Assert.Contains("\n\n\u2014 dock-fleet-config ", note, StringComparison.Ordinal);
        var stdout = await RunOkAsync("fleet", "apply", v2, "--data", harness.DataDirectory);
        Assert.Contains("applied fleet bundle version 2", stdout, StringComparison.Ordinal);
        Assert.Contains("already applied", await RunOkAsync("fleet", "apply", v2, "--data", harness.DataDirectory), StringComparison.Ordinal);
        var applied = Assert.Single(await AppliedEntriesAsync(harness));
        Assert.Equal(BundleNote.HashOf(note), applied.Sha256);
        Assert.Contains("fleet bundle version 2", applied.Detail, StringComparison.Ordinal);
        Assert.Equal("Never", FleetSettings.Read(harness.DataDirectory)!.Value.Settings["Dock:releasePolicy"]);
        Assert.Equal("Never", ReleasePolicyOf(harness));

        // OpenSSL checks the signature over the note's text alone (fleet-bundle-v1.md §3).
        var pem = Path.Combine(dir, "agency.pem");
        await File.WriteAllTextAsync(pem, Ed25519Key.PublicKeyPem(harness.AgencyKey));
        Assert.Contains("valid: fleet bundle version 2", await RunOkAsync("fleet", "bundle", "verify", v2, "--trust", pem), StringComparison.Ordinal);
        int split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(dir, "text"), note[..(split + 1)]);
        var blob = Convert.FromBase64String(note[(split + 2)..].Trim().Split(' ')[2]);
        await File.WriteAllBytesAsync(Path.Combine(dir, "sig"), blob[4..]);
        Assert.Equal(0, await OpenSslVerifyAsync(dir, pem));
        await File.WriteAllTextAsync(Path.Combine(dir, "text"), note[..(split + 1)].Replace("\"Never\"", "\"AfterLocalVerify\"", StringComparison.Ordinal));
        Assert.NotEqual(0, await OpenSslVerifyAsync(dir, pem));

        // The refusals: each exits 2 with its reason, raises the alert, and leaves version 2 in force.
        var forged = Path.Combine(dir, "forged.note");
        await File.WriteAllTextAsync(forged, note.Replace("\"Never\"", "\"AfterLocalVerify\"", StringComparison.Ordinal).Replace("\"version\": 2", "\"version\": 3", StringComparison.Ordinal));
        var strangerKey = Path.Combine(dir, "stranger.key");
        KeyFile.LoadOrCreate(strangerKey).Dispose();
        var unknown = await SignedBundleAsync(harness, dir, 4, key: strangerKey);
        var schema = Path.Combine(dir, "schema.note");
        using (var agency = KeyFile.Load(AgencyKeyFile(harness)))
        {
            var bad = JsonNode.Parse(fresh.ToJsonString())!.AsObject();
            bad["version"] = 5;
            bad["dock"]!["releasePolicy"] = "WheneverYouLike";
            await File.WriteAllTextAsync(schema, SignedNote.Sign(BundleNote.PurposeLine + "\n" + bad.ToJsonString() + "\n", BundleNote.KeyName, agency));
        }
        var v1 = await SignedBundleAsync(harness, dir, 1, json => json["dock"]!["releasePolicy"] = "AfterLocalVerify");
        foreach (var (file, reason) in new[] { (forged, "bad-signature"), (unknown, "unknown-key"), (schema, "schema"), (v1, "version-not-higher") })
        {
            (code, _, stderr) = await DockHarness.RunDockAsync("fleet", "apply", file, "--data", harness.DataDirectory);
            Assert.True(code == 2, $"{reason}: exit {code}, {stderr}");
            Assert.Contains($"refused ({reason})", stderr, StringComparison.Ordinal);
            var catalog = await harness.CatalogAsync();
            var alert = (await catalog.Alerts.ListAlertsAsync(CancellationToken.None)).Single(a => a.Kind == FleetConfiguration.RefusedAlert && a.IsOpen);
            Assert.Contains($"({reason})", alert.Message, StringComparison.Ordinal);
            Assert.Contains("keeps version 2", alert.Message, StringComparison.Ordinal);
            Assert.Equal(2, FleetSettings.Read(harness.DataDirectory)!.Value.Applied.Version);
            Assert.Equal("Never", ReleasePolicyOf(harness));
        }
        Assert.Single(await AppliedEntriesAsync(harness));
        (code, _, stderr) = await DockHarness.RunDockAsync("fleet", "bundle", "verify", unknown, "--trust", pem);
        Assert.Equal(2, code);
        Assert.Contains("refused (unknown-key)", stderr, StringComparison.Ordinal);

        // A rollback is a new, higher version restoring the old value: it applies, and resolves the alert.
        var v6 = await SignedBundleAsync(harness, dir, 6, json => json["dock"]!["releasePolicy"] = "AfterCloudVerify");
        await RunOkAsync("fleet", "apply", v6, "--data", harness.DataDirectory);
        Assert.Equal("AfterCloudVerify", ReleasePolicyOf(harness));
        var done = await harness.CatalogAsync();
        {
            var catalog = done;
            Assert.DoesNotContain(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == FleetConfiguration.RefusedAlert && a.IsOpen);
        }
        Assert.Equal([2L, 6L], (await AppliedEntriesAsync(harness)).Select(e => long.Parse(e.Detail!.Split(' ')[3])));
    }

    private static string ReleasePolicyOf(DockHarness harness) => FleetSettings.Options(harness.DataDirectory).ReleasePolicy.ToString();

    private static async Task<int> OpenSslVerifyAsync(string dir, string pem)
    {
        var info = new ProcessStartInfo("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", Path.Combine(dir, "text"),
            "-sigfile", Path.Combine(dir, "sig")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
