using System.Text;
using System.Text.Json;
using Dock.EndToEnd.Tests.Support;
using Dock.Evidence;
using Dock.Simulator.Hosting;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Retrieval;

/// <summary>The case file export (R1): `dock export --case` writes a bundle that `dock verify --bundle` and dock-verify prove offline, whose
/// export is itself recorded and proven inside it, and in which every tamper fails with its own exit code.</summary>
public sealed class CaseBundleTests(ITestOutputHelper output)
{
    private const string Case = "京公(西)行罚决字〔2026〕204号";

    [Fact]
    public async Task CaseExport_VerifiesOffline_HoldsItsOwnExportEntry_AndEveryTamperFailsWithItsCode()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 150_000, MaxClipSize = 250_000 });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 4, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        var clips = (await catalog.Clips.ListClipsAsync(null, CancellationToken.None)).OrderBy(c => c.RecorderSerial).ThenBy(c => c.ClipId).ToList();
        // Three of the four clips belong to the case; one of them is marked state-secret (the host's export includes it).
        foreach (var clip in clips.Take(3))
            await Run("clips", "tag", clip.RecorderSerial, clip.ClipId, "--case", Case, "--purpose", "证明当事人拒不配合", "--reason", "filing");
        await Run("clips", "sensitivity", clips[1].RecorderSerial, clips[1].ClipId, "--level", "state-secret", "--reason", "names a witness");
        // A clip marked secret has its vault copy encrypted, whatever Dock:Vault:Encryption says (R6); the others stay as they were.
        Assert.Equal("DOCKVLT1", Encoding.ASCII.GetString((await File.ReadAllBytesAsync(Path.Combine(harness.DataDirectory, clips[1].VaultPath!))).AsSpan(0, 8)));
        Assert.NotEqual("DOCKVLT1", Encoding.ASCII.GetString((await File.ReadAllBytesAsync(Path.Combine(harness.DataDirectory, clips[0].VaultPath!))).AsSpan(0, 8)));
        var pem = await harness.TrustPemAsync();

        var bundle = Path.Combine(harness.DataDirectory, "bundle");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stdout = await Run("export", "--case", Case, "--out", bundle, "--reason", "filing with the court");
        output.WriteLine($"export: {clock.Elapsed.TotalSeconds:0.0} s\n{stdout}");
        var index = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(Path.Combine(bundle, "bundle.json")), CaseBundleIndex.TypeInfo)!;
        Assert.Equal(Case, index.Case);
        Assert.Equal(clips.Take(3).Select(c => $"{c.RecorderSerial}/{c.ClipId}").Order(), index.Clips.Select(c => $"{c.Recorder}/{c.Clip}").Order());
        // The export recorded itself before copying, one `exported` entry per clip, and those entries are in the bundle with their proofs.
        Assert.Equal(3, index.ExportEntries.Count);
        foreach (var at in index.ExportEntries)
        {
            var entry = await File.ReadAllTextAsync(Path.Combine(bundle, CaseBundleIndex.EntryFile(at).Replace('/', Path.DirectorySeparatorChar)));
            Assert.Contains("event: exported", entry, StringComparison.Ordinal);
            Assert.Contains($"case {Case} bundle to {bundle}: filing with the court", entry, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(bundle, CaseBundleIndex.ProofFile(at).Replace('/', Path.DirectorySeparatorChar))));
        }
        Assert.True(index.ExportEntries.All(i => i < index.CheckpointSize));
        // The report, in both languages, lists each hand-off; the PDF is Chromium's print of it.
        var html = await File.ReadAllTextAsync(Path.Combine(bundle, "report.html"));
        foreach (var text in new[] { "监管链报告", "Chain-of-custody report", Case, "state-secret", "exported", "调阅（导出）", clips[0].DeviceSha256 })
            Assert.Contains(text, html, StringComparison.Ordinal);
        // Each clip's section is headed "N. SERIAL / CLIP" (clip ids repeat across cameras).
        foreach (var clip in clips.Take(3)) Assert.Contains($"{clip.RecorderSerial} / {clip.ClipId}", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"{clips[3].RecorderSerial} / {clips[3].ClipId}", html, StringComparison.Ordinal);
        var pdf = await File.ReadAllBytesAsync(Path.Combine(bundle, "report.pdf"));
        Assert.Equal("%PDF-", Encoding.ASCII.GetString(pdf, 0, 5));
        Assert.True(pdf.Length > 10_000, $"a {pdf.Length}-byte PDF is not the report");

        // Offline, with the agency's copy of the dock key: the dock, and the court's own verifier.
        clock.Restart();
        var (code, verified, stderr) = await DockHarness.RunDockAsync("verify", "--bundle", bundle, "--trust", pem);
        output.WriteLine($"verify: {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(code == 0, verified + stderr);
        Assert.Contains("VERIFIED", verified, StringComparison.Ordinal);
        var (standalone, said) = await EvidenceToolTests.RunAsync("--bundle", bundle, "--trust", pem);
        Assert.True(standalone == 0, said);
        (code, _, _) = await DockHarness.RunDockAsync("verify", "--bundle", bundle);
        Assert.Equal(12, code); // no trusted key: unknown key
        (code, _, _) = await DockHarness.RunDockAsync("verify", "--bundle", bundle, Path.Combine(bundle, "report.html"), "--trust", pem);
        Assert.Equal(2, code); // a clip and a bundle at once: usage

        // Each tamper, on its own copy of the bundle, fails with its code.
        var first = index.Clips[0];
        var cases = new (string What, string File, int Code)[]
        {
            ("a byte of a clip", first.File, 10),
            ("a byte of a manifest", first.Manifest, 11),
            ("a byte of a metadata sidecar", first.Metadata, 11),
            ("a byte of a custody entry", CaseBundleIndex.EntryFile(first.Entries[0]), 13),
            ("a byte of the export's own entry", CaseBundleIndex.EntryFile(index.ExportEntries[^1]), 13),
            ("a byte of the report", "report.html", 10),
            ("a byte of the index", "bundle.json", 11),
        };
        foreach (var (what, file, expected) in cases)
        {
            var copy = Path.Combine(harness.DataDirectory, "tampered-" + Guid.NewGuid().ToString("N")[..8]);
            CopyFolder(bundle, copy);
            var path = Path.Combine(copy, file.Replace('/', Path.DirectorySeparatorChar));
            var bytes = await File.ReadAllBytesAsync(path);
            // A letter or digit in the middle, changed to another of its kind: the file keeps its form, only its content differs.
            int at = Enumerable.Range(bytes.Length / 2, bytes.Length - bytes.Length / 2).First(i => char.IsAsciiLetterOrDigit((char)bytes[i]));
            bytes[at] = bytes[at] == (byte)'7' ? (byte)'8' : (byte)'7';
            await File.WriteAllBytesAsync(path, bytes);
            (code, verified, stderr) = await DockHarness.RunDockAsync("verify", "--bundle", copy, "--trust", pem);
            Assert.True(code == expected, $"{what}: exit {code}, expected {expected}\n{verified}{stderr}");
            (standalone, said) = await EvidenceToolTests.RunAsync("--bundle", copy, "--trust", pem);
            Assert.True(standalone == expected, $"{what} (dock-verify): exit {standalone}\n{said}");
        }
        // Any one character changed anywhere in the index, a manifest, a sidecar or the checkpoint is refused, never a crash of the verifier.
        ClipVerifier.TryReadPublicKeyPem(await File.ReadAllTextAsync(pem), out var trusted);
        var flipped = Path.Combine(harness.DataDirectory, "flipped");
        CopyFolder(bundle, flipped);
        int tried = 0;
        foreach (var file in new[] { "bundle.json", first.Manifest, first.Metadata, CaseBundleIndex.CheckpointFile })
        {
            var path = Path.Combine(flipped, file.Replace('/', Path.DirectorySeparatorChar));
            var original = await File.ReadAllBytesAsync(path);
            for (int i = 0; i < original.Length; i += 5)
            {
                if (!char.IsAsciiLetterOrDigit((char)original[i])) continue;
                var bytes = (byte[])original.Clone();
                bytes[i] = bytes[i] == (byte)'7' ? (byte)'8' : (byte)'7';
                await File.WriteAllBytesAsync(path, bytes);
                var report = await BundleVerifier.VerifyAsync(flipped, trusted, CancellationToken.None);
                Assert.True(report.Outcome != VerifyOutcome.Verified, $"{file} with byte {i} changed still verifies");
                tried++;
            }
            await File.WriteAllBytesAsync(path, original);
        }
        output.WriteLine($"{tried} one-character changes refused");

        // A clip taken out of the bundle (files and all) is noticed: the signed index still names it.
        var removed = Path.Combine(harness.DataDirectory, "removed");
        CopyFolder(bundle, removed);
        File.Delete(Path.Combine(removed, first.File.Replace('/', Path.DirectorySeparatorChar)));
        (code, _, _) = await DockHarness.RunDockAsync("verify", "--bundle", removed, "--trust", pem);
        Assert.Equal(14, code);

        // The export is in the audit, one row per clip; a case with no clip, and an output folder that is not empty, are refused.
        var audit = JsonDocument.Parse(await Run("audit", "--json")).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, audit.Count(r => r.GetProperty("kind").GetString() == "export"));
        var (refused, _, why) = await DockHarness.RunDockAsync("export", "--case", "NO-SUCH-CASE", "--out", Path.Combine(harness.DataDirectory, "b2"),
            "--reason", "r", "--data", harness.DataDirectory);
        Assert.Equal(2, refused);
        Assert.Contains("no clip is tagged with case number NO-SUCH-CASE", why, StringComparison.Ordinal);
        (refused, _, why) = await DockHarness.RunDockAsync("export", "--case", Case, "--out", bundle, "--reason", "r", "--data", harness.DataDirectory);
        Assert.Equal(2, refused);
        Assert.Contains("is not empty", why, StringComparison.Ordinal);

        async Task<string> Run(params string[] args)
        {
            var (exit, stdout, stderr) = await DockHarness.RunDockAsync([.. args, "--data", harness.DataDirectory]);
            Assert.True(exit == 0, $"dock {string.Join(' ', args)}: exit {exit}\n{stdout}{stderr}");
            return stdout;
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
