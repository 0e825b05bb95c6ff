using Dock.EndToEnd.Tests.Support;
using Json.Schema;

namespace Dock.EndToEnd.Tests.Metadata;

/// <summary>hardware-specs/clip-metadata-v1.schema.json, loaded once: JsonSchema.Net registers a schema by its $id for the whole process.</summary>
internal static class SidecarSchema
{
    private static readonly Lazy<JsonSchema> Loaded = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(DockHarness.RepositoryRoot(), "hardware-specs", "clip-metadata-v1.schema.json"))));

    public static JsonSchema Instance => Loaded.Value;
}
