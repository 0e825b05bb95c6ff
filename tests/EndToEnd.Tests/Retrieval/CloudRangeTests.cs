using System.Security.Cryptography;
using Dock.Crypto.Hashing;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Tools.Bench;

namespace Dock.EndToEnd.Tests.Retrieval;

/// <summary>The ranged reads a purged clip's playback and export use (ICloudTarget.OpenReadAsync), against a folder, s3rver and Azurite: the
/// start, the middle, the last byte and the whole object come back exactly as stored.</summary>
public sealed class CloudRangeTests
{
    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task RangedRead_ReturnsExactlyTheBytesAsked(string kind)
    {
        var data = new byte[6_000_003];
        new Random(16).NextBytes(data);
        var folder = Directory.CreateTempSubdirectory("dock-ranges-").FullName;
        await using var s3 = kind == "s3" ? await StorageEmulator.StartS3Async("evidence") : null;
        await using var azurite = kind == "azure" ? await StorageEmulator.StartAzuriteAsync() : null;
        if (azurite is not null)
            await new Azure.Storage.Blobs.BlobServiceClient(azurite.AzureConnectionString).GetBlobContainerClient("evidence").CreateIfNotExistsAsync();
        // The targets read their credentials from the environment, as `dock run` does; set here, put back after (the tests run one at a time).
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ENDPOINT_URL"] = s3?.Endpoint, ["AWS_ACCESS_KEY_ID"] = s3 is null ? null : "S3RVER", ["AWS_SECRET_ACCESS_KEY"] = s3 is null ? null : "S3RVER",
            ["AWS_REGION"] = s3 is null ? null : "us-east-1", ["AZURE_STORAGE_CONNECTION_STRING"] = azurite?.AzureConnectionString,
        };
        var saved = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var (key, value) in environment) Environment.SetEnvironmentVariable(key, value);
            Directory.CreateDirectory(Path.Combine(folder, "cloud"));
            var uri = kind switch { "s3" => "s3://evidence/p", "azure" => "azblob://evidence/p", _ => $"file:{Path.Combine(folder, "cloud")}" };
            Assert.True(CloudTargetUri.TryParse(uri, out var target, out var error), error);
            await using var cloud = CloudTargets.Create(target, folder)!;
            var sha = Sha256.ToHex(SHA256.HashData(data));
            await cloud.PutAsync("p/clips/clip.mp4", new MemoryStream(data), data.Length, new ObjectMetadata(sha, "dock-test", "R1", "clip.mp4", "video/mp4"),
                CancellationToken.None);
            foreach (var (offset, length) in new (long, long)[] { (0, 1000), (3_000_000, 4_194_304), (data.Length - 1, 1), (0, data.Length) })
            {
                await using var stream = await cloud.OpenReadAsync("p/clips/clip.mp4", offset, length, CancellationToken.None);
                var read = new MemoryStream();
                await stream.CopyToAsync(read);
                Assert.Equal(data.AsSpan((int)offset, (int)Math.Min(length, data.Length - offset)).ToArray(), read.ToArray());
            }
        }
        finally
        {
            foreach (var (key, value) in saved) Environment.SetEnvironmentVariable(key, value);
            Directory.Delete(folder, recursive: true);
        }
    }
}
