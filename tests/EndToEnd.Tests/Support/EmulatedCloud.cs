using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Tools.Bench;

namespace Dock.EndToEnd.Tests.Support;

/// <summary>
/// One cloud target of a kind — "file" (a folder), "s3" (s3rver) or "azure" (Azurite, its container created) — with bucket or container
/// "evidence" and <see cref="Prefix"/>, made the way `dock run` makes it: the targets read their credentials from the environment, so it is
/// set here and put back on dispose (tests that use this run one at a time).
/// </summary>
public sealed class EmulatedCloud : IAsyncDisposable
{
    private readonly StorageEmulator? _emulator;
    private readonly Dictionary<string, string?> _saved;

    private EmulatedCloud(string folder, StorageEmulator? emulator, Dictionary<string, string?> saved, CloudTargetUri uri, ICloudTarget target)
    {
        Folder = folder;
        _emulator = emulator;
        _saved = saved;
        Uri = uri;
        Target = target;
    }

    /// <summary>A scratch folder, deleted on dispose (the file target's store is its <c>cloud</c> subfolder).</summary>
    public string Folder { get; }
    public CloudTargetUri Uri { get; }
    public ICloudTarget Target { get; }

    /// <summary>The key prefix the URI names ("" for the file target, whose folder is the whole store).</summary>
    public string Prefix => Uri.Prefix;

    public static async Task<EmulatedCloud> StartAsync(string kind, string prefix = "p")
    {
        var folder = Directory.CreateTempSubdirectory("dock-cloud-").FullName;
        var emulator = kind switch
        {
            "s3" => await StorageEmulator.StartS3Async("evidence"),
            "azure" => await StorageEmulator.StartAzuriteAsync(),
            _ => null,
        };
        if (kind == "azure")
            await new Azure.Storage.Blobs.BlobServiceClient(emulator!.AzureConnectionString).GetBlobContainerClient("evidence").CreateIfNotExistsAsync();
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ENDPOINT_URL"] = kind == "s3" ? emulator!.Endpoint : null, ["AWS_ACCESS_KEY_ID"] = kind == "s3" ? "S3RVER" : null,
            ["AWS_SECRET_ACCESS_KEY"] = kind == "s3" ? "S3RVER" : null, ["AWS_REGION"] = kind == "s3" ? "us-east-1" : null,
            ["AZURE_STORAGE_CONNECTION_STRING"] = kind == "azure" ? emulator!.AzureConnectionString : null,
        };
        var saved = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        foreach (var (key, value) in environment) Environment.SetEnvironmentVariable(key, value);
        Directory.CreateDirectory(Path.Combine(folder, "cloud"));
        var text = kind switch { "s3" => $"s3://evidence/{prefix}", "azure" => $"azblob://evidence/{prefix}", _ => $"file:{Path.Combine(folder, "cloud")}" };
        Assert.True(CloudTargetUri.TryParse(text, out var uri, out var error), error);
        return new EmulatedCloud(folder, emulator, saved, uri, CloudTargets.Create(uri, folder)!);
    }

    public async ValueTask DisposeAsync()
    {
        await Target.DisposeAsync();
        foreach (var (key, value) in _saved) Environment.SetEnvironmentVariable(key, value);
        if (_emulator is not null) await _emulator.DisposeAsync();
        Directory.Delete(Folder, recursive: true);
    }
}
