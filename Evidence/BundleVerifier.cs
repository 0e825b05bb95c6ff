using System.Text;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;

namespace Dock.Evidence;

/// <summary>
/// Checks a case file export (<see cref="CaseBundleIndex"/>) with nothing but the folder and a trusted dock key: the signed index,
/// the checkpoint, every custody entry's inclusion in it, each clip as <see cref="ClipVerifier"/> checks one, each metadata sidecar's
/// signature, that each manifest's older checkpoint is consistent with the bundle's (the log was never rewritten in between), and
/// the report's hashes. The first failing check decides the outcome, with the exit codes of `dock verify`.
/// </summary>
public static class BundleVerifier
{
    public static async Task<VerifyReport> VerifyAsync(string folder, byte[]? trustedDockKey, CancellationToken cancellationToken)
    {
        var steps = new List<VerifyStep>();
        var timeline = new List<string>();
        var outcome = VerifyOutcome.Verified;
        void Step(string name, bool ok, string detail, VerifyOutcome failure)
        {
            steps.Add(new VerifyStep(name, ok, detail));
            if (!ok && outcome == VerifyOutcome.Verified) outcome = failure;
        }
        VerifyReport Done() => new(outcome, steps, timeline);

        folder = Path.GetFullPath(folder);
        var indexPath = Path.Combine(folder, CaseBundleIndex.IndexFile);
        var sigPath = Path.Combine(folder, CaseBundleIndex.SignatureFile);
        if (!File.Exists(indexPath) || new FileInfo(indexPath).Length > CaseBundleIndex.MaxIndexBytes || !File.Exists(sigPath) || new FileInfo(sigPath).Length != 64)
        {
            Step("bundle index", false, $"need {indexPath} (≤ 4 MiB) and its 64-byte signature {sigPath}: not a case bundle", VerifyOutcome.Malformed);
            return Done();
        }
        var indexBytes = await File.ReadAllBytesAsync(indexPath, cancellationToken).ConfigureAwait(false);
        var signature = await File.ReadAllBytesAsync(sigPath, cancellationToken).ConfigureAwait(false);
        CaseBundleIndex? index = null;
        try
        {
            index = JsonSerializer.Deserialize(indexBytes, CaseBundleIndex.TypeInfo);
        }
        catch (JsonException)
        {
            // Judged below, after the signature: a signature over garbage fails first, which is the more useful answer.
        }

        // 1. The dock's signature over the index: it names every clip and entry, so none can be taken out unnoticed.
        var key = ClipVerifier.DockSignature.Check(indexBytes, signature, index?.DockKey, trustedDockKey, "bundle.json", Step);
        if (index is null || index.Format != CaseBundleIndex.FormatV1 || index.Clips is null || index.Entries is null || index.ExportEntries is null
            || index.Report is null || index.Dock is null || index.Clips.Count > CaseBundleIndex.MaxClips
            || index.Clips.Any(c => c is null || c.Recorder is null || c.Clip is null || c.Sha256 is null || c.Entries is null))
        {
            Step("bundle index", false, $"not a {CaseBundleIndex.FormatV1} index", VerifyOutcome.Malformed);
            return Done();
        }
        if (trustedDockKey is null)
            Step("dock key", false, "no --trust key given: the bundle's own key was used, which proves nothing about who signed it", VerifyOutcome.UnknownKey);
        Step("bundle index", true, $"case {index.Case}: {index.Clips.Count} clip(s), {index.Entries.Count} custody entries, exported {index.ExportedAt:O} " +
            $"by {index.ExportedBy} ({index.Reason})", VerifyOutcome.Malformed);

        // 2. The checkpoint every entry is proven against, signed after the export was recorded.
        var origin = ClipIds.LogOrigin(index.Dock);
        var checkpointText = await ReadSmallAsync(folder, CaseBundleIndex.CheckpointFile, cancellationToken).ConfigureAwait(false);
        string noteError = $"{CaseBundleIndex.CheckpointFile} is missing";
        Checkpoint? checkpoint = null;
        if (checkpointText is null || !SignedNote.TryOpen(Encoding.UTF8.GetString(checkpointText), origin, key ?? new byte[32], out var noteText, out noteError)
            || !Checkpoint.TryParse(noteText, out checkpoint, out noteError))
        {
            Step("checkpoint", false, noteError, VerifyOutcome.BadSignature);
            return Done();
        }
        Step("checkpoint", checkpoint.Size == index.CheckpointSize, $"{checkpoint.Origin} signed tree of {checkpoint.Size} entries" +
            (checkpoint.Size == index.CheckpointSize ? "" : $"; the index says {index.CheckpointSize}"), VerifyOutcome.BadProof);

        // 3. Every entry: its exact bytes lead to the checkpoint's root (a changed byte fails here, before its form is read).
        var entries = new Dictionary<long, CustodyEvent>();
        int failed = 0;
        foreach (var at in index.Entries.Distinct())
        {
            var bytes = await ReadSmallAsync(folder, CaseBundleIndex.EntryFile(at), cancellationToken).ConfigureAwait(false);
            var proof = await ReadNodesAsync(folder, CaseBundleIndex.ProofFile(at), cancellationToken).ConfigureAwait(false);
            if (bytes is null || proof is null)
            {
                Step($"entry {at}", false, $"{CaseBundleIndex.EntryFile(at)} or its proof is missing or malformed", VerifyOutcome.Malformed);
                failed++;
                continue;
            }
            if (at < 0 || at >= checkpoint.Size || !MerkleTree.VerifyInclusion(at, checkpoint.Size, MerkleTree.LeafHash(bytes), proof, checkpoint.RootHash))
            {
                Step($"entry {at}", false, "its bytes and proof do not lead to the checkpoint's root: the entry was altered", VerifyOutcome.BadProof);
                failed++;
                continue;
            }
            if (!CustodyEvent.TryParse(bytes, out var entry, out var error) || entry.Index != at)
            {
                Step($"entry {at}", false, error.Length > 0 ? error : $"the entry says index {entry.Index}", VerifyOutcome.BadProof);
                failed++;
                continue;
            }
            entries[at] = entry;
        }
        if (failed == 0) Step("custody entries", true, $"{entries.Count} entries proven included in the checkpoint", VerifyOutcome.BadProof);

        // 4. The export recorded itself, and that record is among them.
        var exports = index.ExportEntries.Where(entries.ContainsKey).Select(i => entries[i]).ToList();
        bool exportOk = index.ExportEntries.Count > 0 && exports.Count == index.ExportEntries.Count && exports.All(e => e.Kind == CustodyEventKind.Exported);
        Step("export entry", exportOk, exportOk ? $"the export is recorded: {string.Join(", ", exports.Select(e => e.Index))}"
            : "the export's own 'exported' entries are not all in the bundle", VerifyOutcome.BadProof);

        // 5. Each clip: as `dock verify` checks one, then its sidecar, its entries, and its checkpoint's consistency with the bundle's.
        foreach (var clip in index.Clips)
        {
            var name = $"{clip.Recorder}/{clip.Clip}";
            var clipPath = CaseBundleIndex.Resolve(folder, clip.File);
            var manifestPath = CaseBundleIndex.Resolve(folder, clip.Manifest);
            var metadataPath = CaseBundleIndex.Resolve(folder, clip.Metadata);
            if (clipPath is null || manifestPath is null || metadataPath is null)
            {
                Step(name, false, "the index names a file outside the bundle", VerifyOutcome.Malformed);
                continue;
            }
            var report = await ClipVerifier.VerifyAsync(clipPath, manifestPath, key, cancellationToken).ConfigureAwait(false);
            foreach (var step in report.Steps.Where(s => s.Name != "dock key" || !s.Ok))
                Step($"{name}: {step.Name}", step.Ok, step.Detail, report.Outcome == VerifyOutcome.Verified ? VerifyOutcome.Malformed : report.Outcome);
            if (report.Outcome == VerifyOutcome.Verified)
            {
                bool same = await SameClipAsync(manifestPath, clip, cancellationToken).ConfigureAwait(false);
                if (!same) Step($"{name}: index", false, "the index and the manifest disagree on the clip's recorder, id, size or hash", VerifyOutcome.HashMismatch);
            }
            await CheckSidecarAsync(metadataPath, clip, key, name, Step, cancellationToken).ConfigureAwait(false);
            var named = clip.Entries.Where(entries.ContainsKey).Select(i => entries[i]).ToList();
            bool allName = named.Count == clip.Entries.Count && named.All(e => e.RecorderSerial == clip.Recorder && e.ClipId == clip.Clip);
            bool hasStored = named.Any(e => e.Kind == CustodyEventKind.Stored && e.Sha256 == clip.Sha256);
            bool hasExport = named.Any(e => e.Kind == CustodyEventKind.Exported && index.ExportEntries.Contains(e.Index));
            Step($"{name}: custody", allName && hasStored && hasExport, allName && hasStored && hasExport
                ? $"{named.Count} entries, from {CustodyEvent.KindName(named[0].Kind)} to {CustodyEvent.KindName(named[^1].Kind)}"
                : "its entries are missing, name another clip, or lack its 'stored' or this export's 'exported' entry", VerifyOutcome.BadProof);
            await CheckConsistencyAsync(folder, manifestPath, origin, key, checkpoint, name, Step, cancellationToken).ConfigureAwait(false);
            foreach (var entry in named)
                timeline.Add($"{entry.At:O}  {name}  {CustodyEvent.KindName(entry.Kind)} by {entry.Actor} (entry {entry.Index})");
        }

        // 6. The report people read is the one the dock wrote.
        await CheckReportAsync(folder, index.Report.Html, index.Report.HtmlSha256, "report.html", Step, cancellationToken).ConfigureAwait(false);
        if (index.Report.Pdf is not null)
            await CheckReportAsync(folder, index.Report.Pdf, index.Report.PdfSha256, "report.pdf", Step, cancellationToken).ConfigureAwait(false);
        timeline.Sort(StringComparer.Ordinal);
        return Done();
    }

    private static async Task<bool> SameClipAsync(string manifestPath, BundleClip clip, CancellationToken cancellationToken)
    {
        var manifest = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(manifestPath, cancellationToken).ConfigureAwait(false), ClipManifest.TypeInfo);
        return manifest?.Clip is { } m && m.RecorderSerial == clip.Recorder && m.ClipId == clip.Clip && m.Size == clip.Size && m.Sha256 == clip.Sha256;
    }

    private static async Task CheckSidecarAsync(string path, BundleClip clip, byte[]? key, string name, Action<string, bool, string, VerifyOutcome> step,
        CancellationToken cancellationToken)
    {
        var sig = path + ".sig";
        if (!File.Exists(path) || new FileInfo(path).Length > ClipManifest.MaxBytes || !File.Exists(sig) || new FileInfo(sig).Length != 64)
        {
            step($"{name}: metadata", false, $"need {path} (≤ 1 MiB) and its 64-byte signature", VerifyOutcome.Malformed);
            return;
        }
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        var signature = await File.ReadAllBytesAsync(sig, cancellationToken).ConfigureAwait(false);
        if (key is null || !Ed25519Key.Verify(key, bytes, signature))
        {
            step($"{name}: metadata", false, "the metadata sidecar's signature does not verify: its tags were altered", VerifyOutcome.BadSignature);
            return;
        }
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            bool same = root.GetProperty("recorder").GetString() == clip.Recorder && root.GetProperty("clip").GetString() == clip.Clip
                && root.GetProperty("sha256").GetString() == clip.Sha256;
            string? caseNumber = root.TryGetProperty("fields", out var fields) && fields.TryGetProperty("case-number", out var c) ? c.GetProperty("value").GetString() : null;
            step($"{name}: metadata", same, same ? $"tags signed by the dock; case number {caseNumber}" : "the sidecar describes another clip", VerifyOutcome.Malformed);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            step($"{name}: metadata", false, "the sidecar is not a dock-clip-metadata/v1 document", VerifyOutcome.Malformed);
        }
    }

    /// <summary>The checkpoint the manifest carries (signed when the clip was stored) and the bundle's are two views of one log: RFC 9162
    /// consistency between them shows no entry before the older one was changed or removed since.</summary>
    private static async Task CheckConsistencyAsync(string folder, string manifestPath, string origin, byte[]? key, Checkpoint bundle, string name,
        Action<string, bool, string, VerifyOutcome> step, CancellationToken cancellationToken)
    {
        ClipManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(manifestPath, cancellationToken).ConfigureAwait(false), ClipManifest.TypeInfo);
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return; // Already reported by the clip's own checks.
        }
        if (manifest?.Custody?.Checkpoint is not { } note || key is null || !SignedNote.TryOpen(note, origin, key, out var text, out _)
            || !Checkpoint.TryParse(text, out var older, out _))
            return; // Likewise.
        if (older.Size == bundle.Size)
        {
            step($"{name}: consistency", older.RootHash.AsSpan().SequenceEqual(bundle.RootHash), "its manifest's checkpoint is the bundle's", VerifyOutcome.BadProof);
            return;
        }
        var proof = await ReadNodesAsync(folder, CaseBundleIndex.ConsistencyFile(older.Size), cancellationToken).ConfigureAwait(false);
        bool ok = proof is not null && older.Size < bundle.Size && MerkleTree.VerifyConsistency(older.Size, bundle.Size, older.RootHash, bundle.RootHash, proof);
        step($"{name}: consistency", ok, ok ? $"the log of {older.Size} entries its manifest was proven in is a prefix of the bundle's {bundle.Size}"
            : $"no valid consistency proof from the manifest's checkpoint ({older.Size} entries) to the bundle's: the log was rewritten", VerifyOutcome.BadProof);
    }

    private static async Task CheckReportAsync(string folder, string relative, string? sha, string label, Action<string, bool, string, VerifyOutcome> step,
        CancellationToken cancellationToken)
    {
        var path = CaseBundleIndex.Resolve(folder, relative);
        if (path is null || !File.Exists(path))
        {
            step(label, false, $"{relative} is missing", VerifyOutcome.Malformed);
            return;
        }
        var found = Sha256.ToHex(await Sha256.HashFileAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false));
        step(label, found == sha, found == sha ? $"sha256 {found}, as the index says" : $"sha256 {found}, the index says {sha}: the report was altered",
            VerifyOutcome.HashMismatch);
    }

    private static async Task<byte[]?> ReadSmallAsync(string folder, string relative, CancellationToken cancellationToken)
    {
        var path = CaseBundleIndex.Resolve(folder, relative);
        if (path is null || !File.Exists(path) || new FileInfo(path).Length > LogExport.MaxEntryBytes) return null;
        return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A proof file: 32-byte hex nodes, one per line (at most 64: a tree of 2⁶⁴ entries needs no more).</summary>
    private static async Task<List<byte[]>?> ReadNodesAsync(string folder, string relative, CancellationToken cancellationToken)
    {
        if (await ReadSmallAsync(folder, relative, cancellationToken).ConfigureAwait(false) is not { } bytes) return null;
        var nodes = new List<byte[]>();
        foreach (var line in Encoding.ASCII.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (nodes.Count == 64 || !Hex.TryParse(line, 32, out var node)) return null;
            nodes.Add(node);
        }
        return nodes;
    }

    /// <summary>Writes a proof file's text (the inverse of the reader).</summary>
    public static string ProofText(IEnumerable<byte[]> nodes) => string.Concat(nodes.Select(n => Convert.ToHexStringLower(n) + "\n"));
}
