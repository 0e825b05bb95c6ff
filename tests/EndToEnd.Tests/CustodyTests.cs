using Dock.Evidence;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Custody;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>Chain of custody on real ingests: manifests, signatures, the custody log and `dock verify`.</summary>
public sealed class CustodyTests : IAsyncLifetime
{
    private DockHarness _harness = null!;
    private string _clip = null!;

    public async Task InitializeAsync()
    {
        _harness = DockHarness.Create();
        await _harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 300_000, MaxClipSize = 600_000 });
        var (host, activity) = await _harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 4);
            await host.StopAsync();
        }
        _clip = Directory.EnumerateFiles(Path.Combine(_harness.DataDirectory, "vault", "clips"), "*.mp4", SearchOption.AllDirectories).Order().First();
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    private string Manifest => ClipVerifier.DefaultManifestPath(_clip);

    private Task<string> TrustPemAsync() => _harness.TrustPemAsync();

    private static byte[] Key(string pem) => ClipVerifier.TryReadPublicKeyPem(pem, out var key) ? key : throw new InvalidOperationException("bad pem");

    [Fact]
    public async Task Verify_IntactClip_ExitZeroWithTimeline()
    {
        var (code, stdout, _) = await DockHarness.RunDockAsync("verify", _clip, "--trust", await TrustPemAsync(), "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("Verified", doc.RootElement.GetProperty("outcome").GetString());
        Assert.All(doc.RootElement.GetProperty("steps").EnumerateArray(), s => Assert.True(s.GetProperty("ok").GetBoolean(), s.ToString()));
        Assert.Contains(doc.RootElement.GetProperty("timeline").EnumerateArray(), t => t.GetString()!.Contains("stored by dock", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ManifestSignature_VerifiesWithStockOpenssl()
    {
        var pem = await TrustPemAsync();
        using var ok = Process.Start(new ProcessStartInfo("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", Manifest, "-sigfile", Manifest + ".sig"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await ok.StandardOutput.ReadToEndAsync() + await ok.StandardError.ReadToEndAsync();
        await ok.WaitForExitAsync();
        Assert.True(ok.ExitCode == 0, output);
        Assert.Contains("Signature Verified Successfully", output, StringComparison.Ordinal);

        var tampered = Manifest + ".tampered";
        var bytes = await File.ReadAllBytesAsync(Manifest);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(tampered, bytes);
        using var bad = Process.Start(new ProcessStartInfo("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", tampered, "-sigfile", Manifest + ".sig"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await bad.WaitForExitAsync();
        Assert.NotEqual(0, bad.ExitCode);
    }

    [Fact]
    public async Task Verify_FlippedByteInClip_HashMismatch()
    {
        var copy = Copy(_clip, out var manifest);
        var bytes = await File.ReadAllBytesAsync(copy);
        bytes[12_345] ^= 0x80;
        await File.WriteAllBytesAsync(copy, bytes);

        var report = await ClipVerifier.VerifyAsync(copy, manifest, Key(await File.ReadAllTextAsync(await TrustPemAsync())), CancellationToken.None);

        Assert.Equal(VerifyOutcome.HashMismatch, report.Outcome);
    }

    [Fact]
    public async Task Verify_FlippedByteInManifest_BadSignature()
    {
        var copy = Copy(_clip, out var manifest);
        var text = await File.ReadAllTextAsync(manifest);
        await File.WriteAllTextAsync(manifest, text.Replace("\"officerId\": \"P", "\"officerId\": \"Q", StringComparison.Ordinal));

        var report = await ClipVerifier.VerifyAsync(copy, manifest, Key(await File.ReadAllTextAsync(await TrustPemAsync())), CancellationToken.None);

        Assert.Equal(VerifyOutcome.BadSignature, report.Outcome);
    }

    [Fact]
    public async Task Verify_RecorderSignatureNotTheRecorders_BadSignatureEvenWhenTheDockSignedIt()
    {
        // A dock (or whoever holds its key) cannot vouch for footage the recorder never signed.
        var copy = Copy(_clip, out var manifest);
        var text = await File.ReadAllTextAsync(manifest);
        var signature = System.Text.RegularExpressions.Regex.Match(text, "\"signature\": \"([0-9a-f]{128})\"").Groups[1].Value;
        Assert.Equal(128, signature.Length);
        var forged = (signature[0] == 'a' ? "b" : "a") + signature[1..];
        var bytes = System.Text.Encoding.UTF8.GetBytes(text.Replace(signature, forged, StringComparison.Ordinal));
        await File.WriteAllBytesAsync(manifest, bytes);
        using (var dockKey = KeyFile.Load(_harness.Paths.KeyFile))
            await File.WriteAllBytesAsync(manifest + ".sig", dockKey.Sign(bytes));

        var report = await ClipVerifier.VerifyAsync(copy, manifest, Key(await File.ReadAllTextAsync(await TrustPemAsync())), CancellationToken.None);

        Assert.Equal(VerifyOutcome.BadSignature, report.Outcome);
        Assert.False(Assert.Single(report.Steps, s => s.Name == "recorder signature").Ok);
        Assert.True(Assert.Single(report.Steps, s => s.Name == "dock signature").Ok);
    }

    [Fact]
    public async Task Verify_ManifestResignedWithSubstitutedKey_UnknownKey()
    {
        var copy = Copy(_clip, out var manifest);
        using var attacker = Ed25519Key.Generate();
        var node = JsonNode.Parse(await File.ReadAllTextAsync(manifest))!;
        node["dock"]!["publicKey"] = Convert.ToHexStringLower(attacker.PublicKey);
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString(ClipManifest.Json));
        await File.WriteAllBytesAsync(manifest, bytes);
        await File.WriteAllBytesAsync(manifest + ".sig", attacker.Sign(bytes));

        var report = await ClipVerifier.VerifyAsync(copy, manifest, Key(await File.ReadAllTextAsync(await TrustPemAsync())), CancellationToken.None);
        Assert.Equal(VerifyOutcome.UnknownKey, report.Outcome);

        var trustingAttacker = await ClipVerifier.VerifyAsync(copy, manifest, null, CancellationToken.None);
        Assert.Equal(VerifyOutcome.UnknownKey, trustingAttacker.Outcome); // Without --trust nothing is vouched for.
    }

    [Fact]
    public async Task Verify_ProofThatDoesNotReachTheCheckpoint_BadProof()
    {
        // Even a manifest signed by the real dock key (a dock bug, or a stolen key) must carry a proof that holds.
        var copy = Copy(_clip, out var manifest);
        using var dockKey = KeyFile.Load(_harness.Paths.KeyFile);
        var node = JsonNode.Parse(await File.ReadAllTextAsync(manifest))!;
        var proof = node["custody"]!["inclusionProof"]!.AsArray();
        proof[0] = new string('0', 64);
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString(ClipManifest.Json));
        await File.WriteAllBytesAsync(manifest, bytes);
        await File.WriteAllBytesAsync(manifest + ".sig", dockKey.Sign(bytes));

        var report = await ClipVerifier.VerifyAsync(copy, manifest, dockKey.PublicKey, CancellationToken.None);

        Assert.Equal(VerifyOutcome.BadProof, report.Outcome);
    }

    [Fact]
    public async Task Verify_CheckpointForgedByAnotherKey_BadSignature()
    {
        var copy = Copy(_clip, out var manifest);
        using var dockKey = KeyFile.Load(_harness.Paths.KeyFile);
        using var forger = Ed25519Key.Generate();
        var node = JsonNode.Parse(await File.ReadAllTextAsync(manifest))!;
        var origin = "dock/" + node["dock"]!["id"]!.GetValue<string>();
        var note = node["custody"]!["checkpoint"]!.GetValue<string>();
        node["custody"]!["checkpoint"] = SignedNote.Sign(note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)], origin, forger);
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString(ClipManifest.Json));
        await File.WriteAllBytesAsync(manifest, bytes);
        await File.WriteAllBytesAsync(manifest + ".sig", dockKey.Sign(bytes));

        var report = await ClipVerifier.VerifyAsync(copy, manifest, dockKey.PublicKey, CancellationToken.None);

        Assert.Equal(VerifyOutcome.BadSignature, report.Outcome);
        Assert.Contains(report.Steps, s => s.Name == "checkpoint" && !s.Ok);
    }

    [Fact]
    public async Task Verify_GarbageManifest_Malformed()
    {
        var copy = Copy(_clip, out var manifest);
        await File.WriteAllTextAsync(manifest, "{ not json");
        Assert.Equal(VerifyOutcome.BadSignature, (await ClipVerifier.VerifyAsync(copy, manifest, new byte[32], CancellationToken.None)).Outcome);
        File.Delete(manifest + ".sig");
        Assert.Equal(VerifyOutcome.Malformed, (await ClipVerifier.VerifyAsync(copy, manifest, null, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task CustodyLog_EveryClipHasItsStepsInOrder_AndCheckpointsAreConsistent()
    {
        var catalog = await _harness.CatalogAsync();
        var entries = new List<CustodyEvent>();
        var leaves = new List<byte[]>();
        await foreach (var (index, bytes, leaf) in CustodyLog.ReadEntriesAsync(catalog.Database, CancellationToken.None))
        {
            Assert.True(CustodyEvent.TryParse(bytes, out var entry, out var error), error);
            Assert.Equal(index, entry.Index);
            Assert.Equal(MerkleTree.LeafHash(bytes), leaf);
            entries.Add(entry);
            leaves.Add(leaf);
        }
        // First the equipment manager's enrolments, then every clip's steps in order.
        Assert.All(entries.Take(2), e => Assert.Equal(CustodyEventKind.RecorderEnrolled, e.Kind));
        foreach (var clip in entries.Where(e => e.ClipId is not null).GroupBy(e => (e.RecorderSerial, e.ClipId)))
        {
            Assert.Equal(
                [CustodyEventKind.Acquired, CustodyEventKind.HashVerified, CustodyEventKind.SignatureVerified, CustodyEventKind.Stored,
                    CustodyEventKind.HashVerified, CustodyEventKind.Queued, CustodyEventKind.Uploading, CustodyEventKind.Uploaded,
                    CustodyEventKind.CloudVerified, CustodyEventKind.ReleaseRequested, CustodyEventKind.Released],
                // Other tests here export clips; tags from the camera (place, importance) come in beside the upload, in no fixed order with it.
                clip.Select(e => e.Kind).Where(k => k is not (CustodyEventKind.Exported or CustodyEventKind.MetadataChanged)));
            // …but always before the clip may leave the camera (docklink-v1.md §5.14).
            var release = clip.Single(e => e.Kind == CustodyEventKind.ReleaseRequested);
            Assert.All(clip.Where(e => e.Kind == CustodyEventKind.MetadataChanged), e => Assert.True(e.Index < release.Index));
        }
        Assert.Equal(4, entries.Where(e => e.ClipId is not null).GroupBy(e => (e.RecorderSerial, e.ClipId)).Count());

        using var dockKey = KeyFile.Load(_harness.Paths.KeyFile);
        var checkpoints = new List<Checkpoint>();
        foreach (var (_, note) in await CustodyLog.ReadCheckpointsAsync(catalog.Database, CancellationToken.None))
        {
            var origin = note[..note.IndexOf('\n', StringComparison.Ordinal)];
            Assert.True(SignedNote.TryOpen(note, origin, dockKey.PublicKey, out var text, out var error), error);
            Assert.True(Checkpoint.TryParse(text, out var checkpoint, out error), error);
            Assert.Equal(MerkleTree.Root(leaves, checkpoint.Size), checkpoint.RootHash);
            checkpoints.Add(checkpoint);
        }
        // Each clip was committed to by a signed checkpoint before the recorder was told to release it.
        foreach (var clip in entries.Where(e => e.ClipId is not null).GroupBy(e => (e.RecorderSerial, e.ClipId)))
        {
            long stored = clip.Single(e => e.Kind == CustodyEventKind.Stored).Index;
            long released = clip.Single(e => e.Kind == CustodyEventKind.Released).Index;
            Assert.Contains(checkpoints, c => c.Size > stored && c.Size <= released);
        }
        foreach (var (older, newer) in checkpoints.Zip(checkpoints.Skip(1)))
            Assert.True(MerkleTree.VerifyConsistency(older.Size, newer.Size, older.RootHash, newer.RootHash, MerkleTree.ConsistencyProof(leaves, older.Size, newer.Size)));
    }

    private async Task<(string Dir, string Pem)> ExportAsync()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("dock-log-").FullName, "export");
        var (code, stdout, stderr) = await DockHarness.RunDockAsync("log", "export", dir, "--data", _harness.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains("Exported", stdout, StringComparison.Ordinal);
        return (dir, await TrustPemAsync());
    }

    private static async Task<(int Code, string Output)> VerifyLogAsync(string dir, string pem)
    {
        var (code, stdout, stderr) = await DockHarness.RunDockAsync("log", "verify", dir, "--trust", pem);
        return (code, stdout + stderr);
    }

    [Fact]
    public async Task LogExport_IsCompleteAndVerifies_AndRecordsTheExport()
    {
        var (dir, pem) = await ExportAsync();
        var entries = Directory.GetFiles(Path.Combine(dir, "entries")).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Enumerable.Range(0, entries.Count).Select(i => i.ToString("D12", System.Globalization.CultureInfo.InvariantCulture)),
            entries.Select(Path.GetFileName));
        Assert.Contains("event: exported", await File.ReadAllTextAsync(entries[^1]), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "checkpoint")));
        // The latest checkpoint commits to every entry, the export event included.
        Assert.Equal(entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (await File.ReadAllLinesAsync(Path.Combine(dir, "checkpoint")))[1]);

        var (code, output) = await VerifyLogAsync(dir, pem);
        Assert.True(code == 0, output);
        Assert.Contains("VERIFIED", output, StringComparison.Ordinal);
        // Exporting into a folder that is not empty is refused.
        var (again, _, stderr) = await DockHarness.RunDockAsync("log", "export", dir, "--data", _harness.DataDirectory);
        Assert.Equal(2, again);
        Assert.Contains("not empty", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogVerify_FlippedByteInAnEntry_BadProof()
    {
        var (dir, pem) = await ExportAsync();
        var file = Path.Combine(dir, "entries", "000000000003");
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[^3] ^= 0x01;
        await File.WriteAllBytesAsync(file, bytes);
        var (code, output) = await VerifyLogAsync(dir, pem);
        Assert.True(code == 13, output);
        Assert.Contains("altered, removed, inserted or reordered", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogVerify_RemovedEvent_BadProof()
    {
        var (dir, pem) = await ExportAsync();
        File.Delete(Path.Combine(dir, "entries", "000000000005"));
        var (code, output) = await VerifyLogAsync(dir, pem);
        Assert.True(code == 13, output);
    }

    [Fact]
    public async Task LogVerify_ReorderedEvents_BadProof()
    {
        var (dir, pem) = await ExportAsync();
        var a = Path.Combine(dir, "entries", "000000000006");
        var b = Path.Combine(dir, "entries", "000000000007");
        var bytesA = await File.ReadAllBytesAsync(a);
        await File.WriteAllBytesAsync(a, await File.ReadAllBytesAsync(b));
        await File.WriteAllBytesAsync(b, bytesA);
        var (code, output) = await VerifyLogAsync(dir, pem);
        Assert.True(code == 13, output);
    }

    [Fact]
    public async Task LogVerify_ForgedCheckpoint_BadSignature_OrUnknownKeyWhenSignedByAnotherKey()
    {
        var (dir, pem) = await ExportAsync();
        // A checkpoint claiming another root under the dock's signature line.
        var latest = Path.Combine(dir, "checkpoint");
        var lines = (await File.ReadAllTextAsync(latest)).Split('\n');
        lines[2] = Convert.ToBase64String(new byte[32]);
        await File.WriteAllTextAsync(latest, string.Join('\n', lines));
        var (code, output) = await VerifyLogAsync(dir, pem);
        Assert.True(code == 11, output);

        // The same log, re-signed by someone else's key, with the real dock key trusted.
        var (dir2, _) = await ExportAsync();
        using var attacker = Ed25519Key.Generate();
        var note = await File.ReadAllTextAsync(Path.Combine(dir2, "checkpoint"));
        var origin = note[..note.IndexOf('\n', StringComparison.Ordinal)];
        var body = note[..(note.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
        foreach (var file in Directory.GetFiles(Path.Combine(dir2, "checkpoints"))) File.Delete(file);
        await File.WriteAllTextAsync(Path.Combine(dir2, "checkpoint"), SignedNote.Sign(body, origin, attacker));
        (code, output) = await VerifyLogAsync(dir2, pem);
        Assert.True(code == 12, output);
    }

    [Fact]
    public async Task ClipsExport_CopyVerifies_AndTheRetrievalIsACustodyEvent()
    {
        var serial = Service.Vault.SafeName.Decode(Path.GetFileName(Path.GetDirectoryName(_clip)!))!;
        var clipId = Service.Vault.SafeName.Decode(Path.GetFileName(_clip))!;
        var target = Directory.CreateTempSubdirectory("dock-clip-export-").FullName;
        var (code, stdout, stderr) = await DockHarness.RunDockAsync("clips", "export", serial, clipId, target, "--reason", "case 2026-117 review",
            "--data", _harness.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains("custody entry", stdout, StringComparison.Ordinal);
        var (verify, output, _) = await DockHarness.RunDockAsync("verify", Path.Combine(target, clipId), "--trust", await TrustPemAsync());
        Assert.True(verify == 0, output);
        var exported = Assert.Single((await EnrolmentTests.EventsAsync(await _harness.CatalogAsync())),
            e => e.Kind == CustodyEventKind.Exported && e.ClipId == clipId);
        Assert.Contains("case 2026-117 review", exported.Detail, StringComparison.Ordinal);

        (code, _, stderr) = await DockHarness.RunDockAsync("clips", "export", serial, "no-such-clip.mp4", target, "--reason", "x", "--data", _harness.DataDirectory);
        Assert.Equal(2, code);
        Assert.Contains("no clip", stderr, StringComparison.Ordinal);
    }

    private string Copy(string clip, out string manifest)
    {
        var dir = Directory.CreateTempSubdirectory("dock-tamper-").FullName;
        var copy = Path.Combine(dir, Path.GetFileName(clip));
        File.Copy(clip, copy);
        manifest = copy + ".manifest.json";
        File.Copy(ClipVerifier.DefaultManifestPath(clip), manifest);
        File.Copy(ClipVerifier.DefaultManifestPath(clip) + ".sig", manifest + ".sig");
        return copy;
    }
}
