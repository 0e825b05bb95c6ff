using System.Text;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.Evidence;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Metadata;
using Dock.Service.Retrieval;
using Dock.Service.Vault;

namespace Dock.Service.Exports;

/// <summary>What a case export wrote: where, how many clips and bytes, the export's own entries, and what it left out and why.</summary>
public sealed record CaseExport(string Folder, string Case, int Clips, long Bytes, IReadOnlyList<long> ExportEntries, long CheckpointSize, bool Pdf,
    IReadOnlyList<string> NotIncluded);

/// <summary>The signing the bundle needs: the dock's key, as the running dock or a command-line tool holds it.</summary>
public sealed record BundleSigner(string DockId, byte[] PublicKey, Func<byte[], byte[]> Sign);

/// <summary>
/// Archives a case into its case file (R1, 归档保存入卷): every clip tagged with the case number, with its manifest, its tags as a
/// signed sidecar, every custody entry naming it with an inclusion proof, a checkpoint signed after the export was recorded, the
/// dock's key and a chain-of-custody report in HTML and PDF (hardware-specs/case-bundle-v1.md). The export is a retrieval (R5):
/// an `exported` entry per clip is written <b>before</b> the first byte is copied, so no copy leaves without its record, and those
/// entries are in the bundle with their proofs. The CLI (`dock export --case`) and the HTTP API call it.
/// </summary>
public sealed class CaseExports(CatalogStores catalog, CustodyLog log, ClipContent content, ClipTagging tagging, TagStore tags, ClipSensitivity sensitivity,
    Retrievals retrievals, BundleSigner signer, string? chromium)
{
    /// <summary>How long Chromium may take to print the report.</summary>
    public static readonly TimeSpan PrintTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Writes the case's bundle into <paramref name="target"/> (new or empty). <paramref name="clearance"/> is what the person may
    /// retrieve (null: the dock's host, all of it); a case holding a clip above it is refused whole, before anything is recorded or copied.
    /// Each clip's export is also a row of the retrieval audit, naming <paramref name="who"/>.
    /// </summary>
    public async Task<CaseExport> ExportAsync(string caseNumber, string target, string reason, Retriever who, Clearance? clearance, bool pdf,
        CancellationToken cancellationToken)
    {
        var actor = who.Actor;
        if (Tags.TextProblem(caseNumber, Tags.MaxValueBytes) is { } bad) throw new ExportException($"--case: {bad}");
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new ExportException($"{target} is not empty; export into a new or empty folder (a bundle is never merged into another).");
        string? browser = null;
        if (pdf && (browser = PdfPrinter.Find(chromium)) is null)
            throw new ExportException($"no Chromium to print the report to PDF ({chromium ?? "/usr/bin/chromium"} not found): install Debian's `chromium`, " +
                "or set Dock:Export:Chromium to the browser's path.");

        var rows = await tags.ClipsOfCaseAsync(caseNumber, CaseBundleIndex.MaxClips + 1, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0) throw new ExportException($"no clip is tagged with case number {caseNumber} (tag clips with `dock clips tag … --case {caseNumber}`).",
            notFound: true);
        if (rows.Count > CaseBundleIndex.MaxClips)
            throw new ExportException($"case {caseNumber} holds more than {CaseBundleIndex.MaxClips} clips: more than one bundle can hold.");
        var clips = new List<ClipRecord>();
        var notIncluded = new List<string>();
        foreach (var row in rows)
        {
            if (await catalog.Clips.GetClipAsync(row, cancellationToken).ConfigureAwait(false) is not { } clip) continue;
            if (clip.ManifestPath is null || clip.CustodyIndex is null || clip.State is not (ClipState.Verified or ClipState.Released))
                notIncluded.Add($"{clip.RecorderSerial}/{clip.ClipId}: {clip.State.ToDb()}, no proven copy yet (未入库，无可证明的副本)");
            else clips.Add(clip);
        }
        if (clips.Count == 0) throw new ExportException($"no clip of case {caseNumber} has a proven copy yet: {string.Join("; ", notIncluded)}");
        var levels = await sensitivity.LevelsAsync([.. clips.Select(c => c.Id)], cancellationToken).ConfigureAwait(false);
        if (clearance is not null && clips.Count(c => !clearance.Allows(levels.GetValueOrDefault(c.Id))) is var above and > 0)
            throw new ExportException($"case {caseNumber} holds {above} clip(s) above your clearance; ask a person cleared for them to export the case.", forbidden: true);

        // R5: the retrieval is recorded before any byte leaves, one entry per clip (each clip's own trail shows it), then a checkpoint over them.
        var detail = CustodyEvent.FitDetail($"case {caseNumber} bundle to {target}: {reason}");
        var exported = await log.AppendAllAsync([.. clips.Select(c => (Func<long, DateTimeOffset, CustodyEvent>)((index, at) =>
            new CustodyEvent(index, CustodyEventKind.Exported, at, log.DockId, actor, c.RecorderSerial, c.ClipId, c.DeviceSha256, c.Size, Detail: detail)))],
            cancellationToken).ConfigureAwait(false);
        var (checkpoint, note) = await log.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        await retrievals.RecordExportAsync(who, [.. clips.Zip(exported, (c, e) => (c, e.Index))], $"export: {reason}", cancellationToken).ConfigureAwait(false);

        Directory.CreateDirectory(target);
        long bytes = 0;
        var bundled = new List<BundleClip>();
        var reportClips = new List<ReportClip>();
        var allEntries = new SortedSet<long>();
        var consistencyFrom = new SortedSet<long>();
        foreach (var clip in clips)
        {
            var relative = $"clips/{SafeName.Encode(clip.RecorderSerial)}/{SafeName.Encode(clip.ClipId)}";
            var manifestRelative = $"manifests/{SafeName.Encode(clip.RecorderSerial)}/{SafeName.Encode(clip.ClipId)}{ClipVault.ManifestSuffix}";
            var metadataRelative = manifestRelative[..^ClipVault.ManifestSuffix.Length] + ".metadata.json";
            var from = await CopyClipAsync(clip, Resolve(target, relative), cancellationToken).ConfigureAwait(false);
            bytes += clip.Size;
            var manifest = content.Vault.Resolve(clip.ManifestPath!);
            File.Copy(manifest, Resolve(target, manifestRelative));
            File.Copy(manifest + ClipVault.SignatureSuffix, Resolve(target, manifestRelative) + ClipVault.SignatureSuffix);
            if (ManifestCheckpointSize(manifest) is { } older && older < checkpoint.Size) consistencyFrom.Add(older);

            var clipTags = await tagging.ReadAsync(clip, cancellationToken).ConfigureAwait(false);
            var (version, _) = await tags.VersionAsync(clip.Id, cancellationToken).ConfigureAwait(false);
            var sidecar = MetadataSidecar.Build(log.DockId, clip, clipTags, version);
            await File.WriteAllBytesAsync(Resolve(target, metadataRelative), sidecar, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(Resolve(target, metadataRelative) + ClipVault.SignatureSuffix, signer.Sign(sidecar), cancellationToken).ConfigureAwait(false);

            var entries = new List<CustodyEvent>();
            foreach (var (at, entryBytes) in await log.ReadClipEntriesAsync(clip.RecorderSerial, clip.ClipId, cancellationToken, limit: 10_000).ConfigureAwait(false))
            {
                if (at >= checkpoint.Size) continue; // appended after the checkpoint (by the running dock): the next export's
                await WriteEntryAsync(target, at, entryBytes, checkpoint.Size, cancellationToken).ConfigureAwait(false);
                allEntries.Add(at);
                if (CustodyEvent.TryParse(entryBytes, out var parsed, out _)) entries.Add(parsed);
            }
            bundled.Add(new BundleClip(clip.RecorderSerial, clip.ClipId, clip.Size, clip.DeviceSha256, relative, manifestRelative, metadataRelative,
                [.. entries.Select(e => e.Index)]));
            reportClips.Add(new ReportClip(clip, clipTags, SensitivityLevels.Name(levels.GetValueOrDefault(clip.Id)), entries, relative, from));
        }
        foreach (var older in consistencyFrom)
            await WriteTextAsync(target, CaseBundleIndex.ConsistencyFile(older), BundleVerifier.ProofText(log.ConsistencyProof(older, checkpoint.Size)),
                cancellationToken).ConfigureAwait(false);
        await WriteTextAsync(target, CaseBundleIndex.CheckpointFile, note, cancellationToken).ConfigureAwait(false);
        await WriteTextAsync(target, CaseBundleIndex.KeyFile, Ed25519Key.PublicKeyPem(signer.PublicKey), cancellationToken).ConfigureAwait(false);

        var exportedAt = exported[0].At;
        var header = new ReportHeader(caseNumber, log.DockId, Ed25519Key.Fingerprint(signer.PublicKey), exportedAt, actor, reason, checkpoint.Size,
            Convert.ToHexStringLower(checkpoint.RootHash), notIncluded);
        var html = Resolve(target, CaseBundleIndex.ReportHtml);
        await File.WriteAllTextAsync(html, CaseReport.Build(header, reportClips), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        string? pdfSha = null;
        if (browser is not null)
        {
            var pdfPath = Resolve(target, CaseBundleIndex.ReportPdf);
            await PdfPrinter.PrintAsync(browser, html, pdfPath, PrintTimeout, cancellationToken).ConfigureAwait(false);
            pdfSha = Sha256.ToHex(await Sha256.HashFileAsync(pdfPath, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        var index = new CaseBundleIndex(CaseBundleIndex.FormatV1, caseNumber, log.DockId, Convert.ToHexStringLower(signer.PublicKey), exportedAt, actor, reason,
            checkpoint.Size, bundled, [.. allEntries], [.. exported.Select(e => e.Index)],
            new BundleReport(CaseBundleIndex.ReportHtml, Sha256.ToHex(await Sha256.HashFileAsync(html, cancellationToken: cancellationToken).ConfigureAwait(false)),
                pdfSha is null ? null : CaseBundleIndex.ReportPdf, pdfSha));
        var indexBytes = JsonSerializer.SerializeToUtf8Bytes(index, CaseBundleIndex.TypeInfo);
        await File.WriteAllBytesAsync(Path.Combine(target, CaseBundleIndex.IndexFile), indexBytes, cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(target, CaseBundleIndex.SignatureFile), signer.Sign(indexBytes), cancellationToken).ConfigureAwait(false);
        return new CaseExport(target, caseNumber, clips.Count, bytes, [.. exported.Select(e => e.Index)], checkpoint.Size, pdfSha is not null, notIncluded);
    }

    /// <summary>Copies the clip from the copy the dock holds (vault, else cloud), hashing as it goes; a copy that does not hash to the
    /// recorded SHA-256 is refused, never bundled.</summary>
    private async Task<string> CopyClipAsync(ClipRecord clip, string path, CancellationToken cancellationToken)
    {
        var (source, where) = await content.OpenAsync(clip, 0, clip.Size, cancellationToken).ConfigureAwait(false);
        using var hash = Sha256.CreateIncremental();
        await using (source.ConfigureAwait(false))
        {
            await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        var sha = Sha256.ToHex(hash.GetHashAndReset());
        if (sha != clip.DeviceSha256)
            throw new ExportException($"the copy of {clip.RecorderSerial}/{clip.ClipId} read from {where} hashes to {sha}, not the recorded {clip.DeviceSha256}: " +
                "that copy or the target disk is damaged. The bundle is incomplete; do not use it.");
        return where == "vault" ? "vault copy, 本地副本" : $"cloud copy {where}, 云端副本";
    }

    private async Task WriteEntryAsync(string target, long index, byte[] entry, long size, CancellationToken cancellationToken)
    {
        var path = Resolve(target, CaseBundleIndex.EntryFile(index));
        if (File.Exists(path)) return;
        await File.WriteAllBytesAsync(path, entry, cancellationToken).ConfigureAwait(false);
        await WriteTextAsync(target, CaseBundleIndex.ProofFile(index), BundleVerifier.ProofText(log.InclusionProof(index, size)), cancellationToken)
            .ConfigureAwait(false);
    }

    private static Task WriteTextAsync(string target, string relative, string text, CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(Resolve(target, relative), text, new UTF8Encoding(false), cancellationToken);

    /// <summary>The bundle path of <paramref name="relative"/>, its folder created.</summary>
    private static string Resolve(string target, string relative)
    {
        var path = CaseBundleIndex.Resolve(target, relative) ?? throw new ExportException($"'{relative}' is not a bundle path.");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>The size of the checkpoint a manifest was proven against (line 2 of its note), to prove it consistent with the bundle's.</summary>
    private static long? ManifestCheckpointSize(string manifestPath)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize(File.ReadAllBytes(manifestPath), ClipManifest.TypeInfo);
            var lines = manifest?.Custody?.Checkpoint?.Split('\n');
            return lines is { Length: > 2 } && long.TryParse(lines[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
                ? size : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }
}
