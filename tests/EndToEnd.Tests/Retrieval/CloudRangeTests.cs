using System.Security.Cryptography;
using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Upload;

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
        await using var emulated = await EmulatedCloud.StartAsync(kind);
        var cloud = emulated.Target;
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
}
