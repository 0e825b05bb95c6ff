using System.Security.Cryptography;
using System.Text;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Fleet;
using Dock.Service.Upload;

namespace Dock.EndToEnd.Tests.Fleet;

/// <summary>
/// What the fleet asks of each kind of store, against a folder, s3rver and Azurite: a conditional read (an unchanged object is a 304 with no
/// body; a changed one comes back whole with a new ETag), a missing object, a bound on the body, a bounded listing in key order, and a
/// firmware image published (written, verified) and fetched by a dock into its cache (hashed, kept only when it matches).
/// </summary>
public sealed class FleetStoreTargetTests
{
    [Theory]
    [InlineData("file")]
    [InlineData("s3")]
    [InlineData("azure")]
    public async Task ConditionalReads_Listing_AndAFirmwareImageRoundTrip(string kind)
    {
        await using var emulated = await EmulatedCloud.StartAsync(kind, "unit-7");
        var cloud = emulated.Target;
        var folder = emulated.Folder;
        var store = new FleetStore(cloud, emulated.Prefix);

        // Conditional reads of one small object.
        await store.WriteStatusAsync("dock-b", "first", CancellationToken.None);
        var first = await cloud.FetchAsync(store.StatusKey("dock-b"), null, 1024, CancellationToken.None);
        Assert.Equal((FetchStatus.Found, "first"), (first.Status, Encoding.UTF8.GetString(first.Content!)));
        Assert.False(string.IsNullOrEmpty(first.ETag));
        var unchanged = await cloud.FetchAsync(store.StatusKey("dock-b"), first.ETag, 1024, CancellationToken.None);
        Assert.Equal(FetchStatus.NotModified, unchanged.Status);
        Assert.Null(unchanged.Content);
        await store.WriteStatusAsync("dock-b", "second, longer", CancellationToken.None);
        var changed = await cloud.FetchAsync(store.StatusKey("dock-b"), first.ETag, 1024, CancellationToken.None);
        Assert.Equal((FetchStatus.Found, "second, longer"), (changed.Status, Encoding.UTF8.GetString(changed.Content!)));
        Assert.NotEqual(first.ETag, changed.ETag);
        Assert.Equal(FetchStatus.Missing, (await cloud.FetchAsync(store.StatusKey("dock-none"), null, 1024, CancellationToken.None)).Status);
        var tooBig = await Assert.ThrowsAsync<CloudException>(() => cloud.FetchAsync(store.StatusKey("dock-b"), null, 4, CancellationToken.None));
        Assert.Equal(CloudFailure.Rejected, tooBig.Failure);

        // A bounded listing, in key order, of that prefix only.
        await store.WriteStatusAsync("dock-a", "a", CancellationToken.None);
        await store.WriteStatusAsync("dock-c", "c", CancellationToken.None);
        var all = await cloud.ListAsync(store.StatusPrefix, 10, CancellationToken.None);
        Assert.Equal([store.StatusKey("dock-a"), store.StatusKey("dock-b"), store.StatusKey("dock-c")], all);
        Assert.Equal(2, (await cloud.ListAsync(store.StatusPrefix, 2, CancellationToken.None)).Count);

        // A firmware image: published from beside the bundle (written and verified), then fetched by a dock into its cache.
        var bytes = new byte[1_500_000];
        new Random(3).NextBytes(bytes);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var image = new FirmwareImage("DSJ-SIM1", "2.0.0", sha, bytes.Length, new string('0', 128), 30);
        var source = Path.Combine(folder, sha + ".bin");
        await File.WriteAllBytesAsync(source, bytes);
        Assert.True(await store.PublishFirmwareAsync(image, source, "it@test", CancellationToken.None));
        Assert.False(await store.PublishFirmwareAsync(image, source, "it@test", CancellationToken.None)); // held already: checked, not written
        var cache = new FirmwareImages(Path.Combine(folder, "dock"));
        Assert.Empty(await cache.FetchMissingAsync(store, [image], CancellationToken.None));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(cache.PathOf(sha)));
        // An image the store does not hold as the bundle names it is not kept.
        var wrong = image with { Sha256 = new string('a', 64) };
        Assert.Single(await cache.FetchMissingAsync(store, [wrong], CancellationToken.None));
        Assert.False(File.Exists(cache.PathOf(wrong.Sha256)));
    }
}
