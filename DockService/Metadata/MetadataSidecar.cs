using System.Text.Json;
using Dock.Service.Catalog;

namespace Dock.Service.Metadata;

/// <summary>
/// A clip's current tags as the cloud holds them (hardware-specs/clip-metadata-v1.schema.json): a JSON document beside the clip's
/// manifest, <c>….metadata.json</c>, signed by the dock (<c>.sig</c>: the raw 64-byte Ed25519 signature over the file's exact
/// bytes, as for the manifest). <c>version</c> counts the clip's metadata-changed custody entries, so an evidence platform can tell
/// which is newer and an auditor can find the entries each version reflects. The bytes of a version are deterministic.
/// </summary>
public static class MetadataSidecar
{
    public const string Format = "dock-clip-metadata/v1";

    public static byte[] Build(string dockId, ClipRecord clip, ClipTags tags, long version)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("format", Format);
            json.WriteNumber("version", version);
            json.WriteString("dock", dockId);
            json.WriteString("recorder", clip.RecorderSerial);
            json.WriteString("clip", clip.ClipId);
            json.WriteString("sha256", clip.DeviceSha256);
            json.WriteStartObject("fields");
            foreach (var (field, value) in tags.Values.OrderBy(v => v.Key))
            {
                json.WriteStartObject(field.Name());
                json.WriteString("value", value.Value);
                json.WriteString("source", value.Source.Name());
                json.WriteString("setBy", value.SetBy);
                json.WriteString("setAt", Tags.Time(value.SetAt));
                json.WriteBoolean("derived", !value.Stored);
                if (value.RecorderTime is { } recorderTime) json.WriteString("recorderTime", Tags.Time(recorderTime));
                if (value.ClockOffsetMs is { } offset) json.WriteNumber("clockOffsetMs", offset);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartArray("missing");
            foreach (var field in tags.Missing) json.WriteStringValue(field.Name());
            json.WriteEndArray();
            if (tags.Recorder is { } recorder)
            {
                // What the camera kept beside the clip, on its own clock (like the manifest's recording times).
                json.WriteStartObject("recorderData");
                json.WriteBoolean("important", recorder.Important);
                json.WriteNumber("dropped", recorder.Dropped);
                json.WriteStartArray("track");
                foreach (var point in recorder.Track)
                {
                    json.WriteStartObject();
                    json.WriteString("time", RecorderTime(point.TimeMs));
                    json.WriteNumber("lat", Math.Round(point.Latitude, 7));
                    json.WriteNumber("lon", Math.Round(point.Longitude, 7));
                    if (point.AccuracyDm > 0) json.WriteNumber("accuracyM", point.AccuracyDm / 10.0);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteStartArray("markers");
                foreach (var marker in recorder.Markers)
                {
                    json.WriteStartObject();
                    json.WriteString("time", RecorderTime(marker.TimeMs));
                    json.WriteString("kind", MarkerName(marker.Kind));
                    json.WriteString("label", marker.Label);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>A camera time to the millisecond, UTC.</summary>
    public static string RecorderTime(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A marker kind's wire name: "officer", "emergency", "photo", "voice-note".</summary>
    public static string MarkerName(Dock.DeviceProtocol.Messages.MarkerKind kind) => kind switch
    {
        Dock.DeviceProtocol.Messages.MarkerKind.Officer => "officer",
        Dock.DeviceProtocol.Messages.MarkerKind.Emergency => "emergency",
        Dock.DeviceProtocol.Messages.MarkerKind.Photo => "photo",
        _ => "voice-note",
    };
}
