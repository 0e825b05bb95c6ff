using System.Globalization;

namespace Dock.Service.Upload;

/// <summary>
/// Object names in the cloud (README, "Cloud layout"): PREFIX/clips/yyyy/MM/dd/SERIAL/CLIP (the recording's UTC start date on
/// the recorder's clock), its manifest and signature at the same path under PREFIX/manifests/ with its tags' signed sidecar beside
/// them, and the custody checkpoints
/// under PREFIX/custody/DOCKID/. Recorders name clips, so evidence and the dock's files never share a folder: no clip id can
/// address a manifest. Names are deterministic, so an upload repeated after a crash overwrites the same object instead of
/// making a second one.
/// </summary>
public static class ObjectLayout
{
    public static string Clip(string prefix, DateTimeOffset recordedAt, string serial, string clipId) =>
        Join(prefix, "clips", recordedAt.UtcDateTime.ToString("yyyy'/'MM'/'dd", CultureInfo.InvariantCulture), serial, clipId);

    /// <summary>The manifest of the clip object <paramref name="clipKey"/>. Objects uploaded before the clips/ and manifests/ split
    /// (no "clips/" after the prefix) keep their manifests beside them, where they were put.</summary>
    public static string Manifest(string prefix, string clipKey)
    {
        var clips = Join(prefix, "clips") + "/";
        return clipKey.StartsWith(clips, StringComparison.Ordinal)
            ? Join(prefix, "manifests") + "/" + clipKey[clips.Length..] + ".manifest.json"
            : clipKey + ".manifest.json";
    }

    public static string ManifestSignature(string prefix, string clipKey) => Manifest(prefix, clipKey) + ".sig";

    /// <summary>The clip's tags (Metadata/MetadataSidecar) beside its manifest: the same name ending in .metadata.json, and its .sig.</summary>
    public static string Metadata(string prefix, string clipKey) =>
        Manifest(prefix, clipKey)[..^".manifest.json".Length] + ".metadata.json";

    public static string MetadataSignature(string prefix, string clipKey) => Metadata(prefix, clipKey) + ".sig";

    public static string Checkpoint(string prefix, string dockId, long size) =>
        Join(prefix, "custody", dockId, $"checkpoint-{size.ToString("D12", CultureInfo.InvariantCulture)}");

    private static string Join(params string[] parts) => string.Join('/', parts.Where(p => p.Length > 0));
}
