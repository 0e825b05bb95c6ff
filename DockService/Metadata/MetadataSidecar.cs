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
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }
}
