using System.Globalization;

namespace Dock.Service.Upload;

/// <summary>
/// Object names in the cloud (README, "Cloud layout"): PREFIX/yyyy/MM/dd/SERIAL/CLIP (the recording's UTC
/// start date on the recorder's clock), its manifest and signature beside it, and the custody checkpoints
/// under PREFIX/custody/DOCKID/. Names are deterministic, so an upload repeated after a crash overwrites
/// the same object instead of making a second one.
/// </summary>
public static class ObjectLayout
{
    public static string Clip(string prefix, DateTimeOffset recordedAt, string serial, string clipId) =>
        Join(prefix, recordedAt.UtcDateTime.ToString("yyyy'/'MM'/'dd", CultureInfo.InvariantCulture), serial, clipId);

    public static string Manifest(string clipKey) => clipKey + ".manifest.json";

    public static string ManifestSignature(string clipKey) => clipKey + ".manifest.json.sig";

    public static string Checkpoint(string prefix, string dockId, long size) =>
        Join(prefix, "custody", dockId, $"checkpoint-{size.ToString("D12", CultureInfo.InvariantCulture)}");

    private static string Join(params string[] parts) => string.Join('/', parts.Where(p => p.Length > 0));
}
