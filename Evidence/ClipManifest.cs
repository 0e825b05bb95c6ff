using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Dock.Evidence;

/// <summary>
/// The per-clip sidecar (hardware-specs/clip-manifest-v1.md). Its exact bytes are signed by the dock
/// (detached, 64 raw bytes in "NAME.sig"), so `openssl pkeyutl -verify -rawin` checks it; the
/// evidence file itself is never rewritten.
/// </summary>
public sealed record ClipManifest(
    string Format,
    ManifestClip Clip,
    ManifestRecorder Recorder,
    string OfficerId,
    ManifestTimes Times,
    ManifestDock Dock,
    ManifestCustody Custody)
{
    public const string FormatV1 = "dock-clip-manifest/v1";
    public const int MaxBytes = 1024 * 1024;

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Source-generated, so a trimmed dock-verify still reads manifests.
        TypeInfoResolver = ManifestJsonContext.Default,
    };

    /// <summary>The manifest's contract, for (de)serialising without reflection.</summary>
    public static JsonTypeInfo<ClipManifest> TypeInfo => (JsonTypeInfo<ClipManifest>)Json.GetTypeInfo(typeof(ClipManifest));
}

[JsonSerializable(typeof(ClipManifest))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))] // a manifest edited as a node keeps the same form (tests, tools)
internal sealed partial class ManifestJsonContext : JsonSerializerContext;

public sealed record ManifestClip(string RecorderSerial, string ClipId, long Size, string Sha256, int Flags, DateTimeOffset DeviceStart, DateTimeOffset DeviceEnd);

/// <summary>The recorder's identity; <see cref="Signature"/> is its record-time signature when it makes one (hex), else null.</summary>
/// <summary><see cref="SignatureFormat"/>: "docklink-v1.1" (every listed field and the officer) or, absent, the v1 signature (docklink-v1.md §7.5).</summary>
public sealed record ManifestRecorder(string Serial, string Model, string Firmware, string? PublicKey, string? Signature, string? SignatureFormat = null)
{
    public const string SignatureV11 = "docklink-v1.1";

    /// <summary>The v1.5 signature: the v1.1 fields and the recorder profile the clip was recorded under (<see cref="ConfigVersion"/>,
    /// <see cref="ConfigSha256"/>).</summary>
    public const string SignatureV15 = "docklink-v1.5";

    /// <summary>v1.5: the fleet bundle version of the profile the camera recorded the clip under (0: factory settings). Absent before v1.5.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ConfigVersion { get; init; }

    /// <summary>v1.5: that profile's SHA-256 (hex): the hash of the bundle's recorderProfiles entry for the model.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ConfigSha256 { get; init; }
}

/// <summary>Device times are the recorder's clock; <see cref="ClockOffsetMs"/> is recorder − dock when it docked.</summary>
public sealed record ManifestTimes(DateTimeOffset DeviceStart, DateTimeOffset DeviceEnd, DateTimeOffset DockStoredAt, long? ClockOffsetMs);

public sealed record ManifestDock(string Id, string PublicKey);

/// <summary>The clip's "stored" custody entry (exact text), its inclusion proof, and the signed checkpoint it is proven against.</summary>
public sealed record ManifestCustody(long Index, string Entry, IReadOnlyList<string> InclusionProof, string Checkpoint);
