using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Dock.Evidence;

/// <summary>
/// A case file export (hardware-specs/case-bundle-v1.md): every clip tagged with one case number, with what proves each one, in one
/// folder a court or an auditor checks offline. <c>bundle.json</c> is the index, signed by the dock (<c>bundle.json.sig</c>, 64 raw
/// bytes, like a manifest), so a clip or an entry taken out of the bundle is noticed, not only one altered in it.
/// </summary>
/// <remarks>
/// <code>
/// bundle.json, bundle.json.sig      the index (this record), signed
/// dock.pem                          the dock's public key (check it against the agency's copy)
/// clips/SERIAL/CLIP                 the evidence bytes, as the recorder made them
/// manifests/SERIAL/CLIP.manifest.json(.sig)   each clip's signed manifest, as stored
/// manifests/SERIAL/CLIP.metadata.json(.sig)   its tags at export time, signed
/// custody/entries/NNNNNNNNNNNN      every custody entry naming a bundled clip, and the export's own, exact bytes
/// custody/proofs/NNNNNNNNNNNN       each entry's inclusion proof in custody/checkpoint (hex nodes, one per line)
/// custody/checkpoint                a checkpoint signed after the export was recorded
/// custody/consistency/NNNNNNNNNNNN  from each manifest's checkpoint of that size to custody/checkpoint (hex nodes)
/// report.html, report.pdf           the chain-of-custody report for people, in zh-CN and English
/// </code>
/// </remarks>
public sealed record CaseBundleIndex(
    string Format,
    string Case,
    string Dock,
    string DockKey,
    DateTimeOffset ExportedAt,
    string ExportedBy,
    string Reason,
    long CheckpointSize,
    IReadOnlyList<BundleClip> Clips,
    IReadOnlyList<long> Entries,
    IReadOnlyList<long> ExportEntries,
    BundleReport Report)
{
    public const string FormatV1 = "dock-case-bundle/v1";
    public const string IndexFile = "bundle.json";
    public const string SignatureFile = "bundle.json.sig";
    public const string KeyFile = "dock.pem";
    public const string CheckpointFile = "custody/checkpoint";
    public const string ReportHtml = "report.html";
    public const string ReportPdf = "report.pdf";
    public const int MaxIndexBytes = 4 * 1024 * 1024;
    /// <summary>No more clips in one bundle: a case of more is exported in parts (the index stays small enough to read whole).</summary>
    public const int MaxClips = 5_000;

    public static string EntryFile(long index) => $"custody/entries/{index.ToString("D12", CultureInfo.InvariantCulture)}";
    public static string ProofFile(long index) => $"custody/proofs/{index.ToString("D12", CultureInfo.InvariantCulture)}";
    public static string ConsistencyFile(long size) => $"custody/consistency/{size.ToString("D12", CultureInfo.InvariantCulture)}";

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = CaseBundleJsonContext.Default,
    };

    public static JsonTypeInfo<CaseBundleIndex> TypeInfo => (JsonTypeInfo<CaseBundleIndex>)Json.GetTypeInfo(typeof(CaseBundleIndex));

    /// <summary>A path the index names, as a path under <paramref name="root"/>; null when it could leave the bundle (absolute, "..",
    /// a drive, a backslash) or is empty. The index is signed, but a verifier reads it before it knows that.</summary>
    public static string? Resolve(string root, string? relative)
    {
        if (string.IsNullOrEmpty(relative) || relative.Length > 1024 || relative.Contains('\\') || relative.Contains(':') || relative.Contains('\0')) return null;
        var parts = relative.Split('/');
        if (parts.Any(p => p.Length == 0 || p is "." or "..")) return null;
        return Path.Combine([root, .. parts]);
    }
}

/// <summary>One clip in a bundle: where its files are (relative, '/'-separated) and the custody entries that name it.</summary>
public sealed record BundleClip(string Recorder, string Clip, long Size, string Sha256, string File, string Manifest, string Metadata, IReadOnlyList<long> Entries);

/// <summary>The report's files and their SHA-256, so an altered report is noticed too (the PDF is null when none was printed).</summary>
public sealed record BundleReport(string Html, string HtmlSha256, string? Pdf, string? PdfSha256);

[JsonSerializable(typeof(CaseBundleIndex))]
internal sealed partial class CaseBundleJsonContext : JsonSerializerContext;
