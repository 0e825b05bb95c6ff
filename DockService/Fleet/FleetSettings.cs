using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;

namespace Dock.Service.Fleet;

/// <summary>Names a bundle uses for sites and docks (and configuration uses for Dock:Fleet:Site).</summary>
public static class FleetNames
{
    public static bool IsValid(string? name) => name is { Length: >= 1 and <= 64 } && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>The version and hash of the bundle whose settings a running dock was built with (null: none applied).</summary>
public sealed record AppliedSettings(long Version, string Sha256);

/// <summary>
/// A bundle's dock settings as configuration: the bundle's <c>dock</c> object, then its site's, then this dock's, flattened into
/// <c>Dock:…</c> keys (the bundle names them as the Dock section does, in camelCase; configuration keys ignore case). The dock keeps the
/// result in DATA/fleet/settings.json and reads it at start as a layer above appsettings.json and below the environment and the
/// command line: IT's bundle replaces an installation's defaults, and a setting the service unit states explicitly stays (the
/// fleet status lists such overrides).
/// </summary>
public static class FleetSettings
{
    private const string FileName = "settings.json";

    public static string PathFor(string dataDirectory) => Path.Combine(dataDirectory, "fleet", FileName);

    /// <summary>The configuration keys the bundle sets for <paramref name="dockId"/> at <paramref name="site"/>.</summary>
    public static Dictionary<string, string?> For(FleetBundle bundle, string dockId, string? site)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var layer in new[] { bundle.Dock, bundle.Site(site), bundle.ForDock(dockId) })
            if (layer is not null) Flatten(layer, "Dock", values);
        return values;
    }

    private static void Flatten(JsonNode? node, string path, Dictionary<string, string?> values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj) Flatten(child, $"{path}:{name}", values);
                break;
            case JsonArray array:
                // A list replaces the one below it element by element; a shorter list leaves the lower layer's extra elements, as
                // configuration binding does everywhere (fleet-bundle-v1.md §4 says so).
                for (int i = 0; i < array.Count; i++) Flatten(array[i], $"{path}:{i.ToString(CultureInfo.InvariantCulture)}", values);
                break;
            case JsonValue value:
                values[path] = value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => value.ToJsonString(),
                };
                break;
            default:
                values[path] = null;
                break;
        }
    }

    /// <summary>Writes the settings file for the applied bundle (durably, replacing the old one whole).</summary>
    public static void Write(string dataDirectory, long version, string sha256, IReadOnlyDictionary<string, string?> settings)
    {
        var path = PathFor(dataDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var json = JsonSerializer.Serialize(new SettingsFile(version, sha256, settings.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary()),
            FleetBundle.Written);
        FleetFiles.WriteDurably(path, json);
    }

    /// <summary>The settings file, or null when there is none or it cannot be read (then the dock runs without a bundle's settings, and its
    /// fleet worker rewrites the file from the applied bundle).</summary>
    public static (AppliedSettings Applied, IReadOnlyDictionary<string, string?> Settings)? Read(string dataDirectory)
    {
        var path = PathFor(dataDirectory);
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > FleetBundle.MaxBytes * 2L) return null;
            var file = JsonSerializer.Deserialize<SettingsFile>(File.ReadAllText(path));
            return file is null ? null : (new AppliedSettings(file.Version, file.Sha256), file.Settings.AsReadOnly());
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Puts the applied bundle's settings into <paramref name="configuration"/> above its JSON files (appsettings.json) and below
    /// everything after them (environment, command line, the CLI's own overrides). Returns what was applied.</summary>
    public static (AppliedSettings Applied, IReadOnlyDictionary<string, string?> Settings)? AddTo(IConfigurationBuilder configuration, string dataDirectory)
    {
        if (Read(Path.GetFullPath(dataDirectory)) is not { } read) return null;
        int position = 0;
        for (int i = 0; i < configuration.Sources.Count; i++)
            if (configuration.Sources[i] is JsonConfigurationSource) position = i + 1;
        configuration.Sources.Insert(position, new MemoryConfigurationSource { InitialData = read.Settings });
        return read;
    }

    /// <summary>The dock's settings as a one-shot command sees them (appsettings.json, the applied bundle's settings or
    /// <paramref name="candidate"/> in their place, the environment), bound.</summary>
    public static Configuration.DockOptions Options(string? dataDirectory, IReadOnlyDictionary<string, string?>? candidate = null)
    {
        var builder = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        if (candidate is not null) builder.AddInMemoryCollection(candidate);
        else if (dataDirectory is not null && Read(Path.GetFullPath(dataDirectory)) is { } applied) builder.AddInMemoryCollection(applied.Settings);
        builder.AddEnvironmentVariables();
        if (dataDirectory is not null) builder.AddInMemoryCollection(new Dictionary<string, string?> { ["Dock:DataDirectory"] = dataDirectory });
        return builder.Build().GetSection(Configuration.DockOptions.Section).Get<Configuration.DockOptions>() ?? new Configuration.DockOptions();
    }

    /// <summary>What would be wrong with the dock's settings under a bundle's <paramref name="candidate"/> settings (empty: nothing).</summary>
    public static IReadOnlyList<string> Validate(string? dataDirectory, IReadOnlyDictionary<string, string?> candidate)
    {
        Configuration.DockOptions options;
        try
        {
            options = Options(dataDirectory, candidate);
        }
        catch (InvalidOperationException ex)
        {
            return [ex.InnerException is { } inner ? $"{ex.Message} {inner.Message}" : ex.Message];
        }
        var result = new Configuration.DockOptionsValidator { RequireBays = false }.Validate(null, options);
        return result.Failed ? [.. result.Failures ?? []] : [];
    }

    private sealed record SettingsFile(long Version, string Sha256, Dictionary<string, string?> Settings);
}

/// <summary>Files the fleet code writes in the data folder: written beside, flushed to disk and renamed over, so a crash leaves the old
/// file or the new one, never half of one.</summary>
public static class FleetFiles
{
    public static void WriteDurably(string path, string text)
    {
        var staged = path + ".new";
        using (var file = new FileStream(staged, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(System.Text.Encoding.UTF8.GetBytes(text));
            file.Flush(flushToDisk: true);
        }
        File.Move(staged, path, overwrite: true);
    }
}
