using Dock.Service.Upload;
using Microsoft.Extensions.Time.Testing;

namespace Dock.Service.Tests;

/// <summary>The small rules of the uploader: target URIs, blackout windows, the bandwidth cap, object names.</summary>
public sealed class UploadRulesTests
{
    [Theory]
    [InlineData("none", CloudKind.None, "", "")]
    [InlineData("file:/srv/evidence", CloudKind.File, "/srv/evidence", "")]
    [InlineData("file:cloud", CloudKind.File, "cloud", "")]
    [InlineData("s3://evidence", CloudKind.S3, "evidence", "")]
    [InlineData("s3://evidence/unit-7/dock_1/", CloudKind.S3, "evidence", "unit-7/dock_1")]
    [InlineData("azblob://evidence/unit-7", CloudKind.AzureBlob, "evidence", "unit-7")]
    public void TargetUri_Valid(string text, CloudKind kind, string container, string prefix)
    {
        Assert.True(CloudTargetUri.TryParse(text, out var uri, out var error), error);
        Assert.Equal((kind, container, prefix), (uri.Kind, uri.Container, uri.Prefix));
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("ftp://x/y", "unknown scheme 'ftp'")]
    [InlineData("s3://AKIAXXXX:hunter2@evidence/x", "credentials come from the environment")]
    [InlineData("s3://Evidence", "not a valid bucket name")]
    [InlineData("azblob://ev.idence", "not a valid container name")]
    [InlineData("s3://evidence/../x", "prefix")]
    [InlineData("s3://evidence/a//b", "prefix")]
    public void TargetUri_Invalid_SaysWhyWithoutEchoingSecrets(string text, string message)
    {
        Assert.False(CloudTargetUri.TryParse(text, out _, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Blackout_InsideWaitsUntilTheEnd_WrapsMidnight_BadTextRefused()
    {
        Assert.True(UploadWindows.TryParse("07:00-09:00", out var morning, out _));
        Assert.True(UploadWindows.TryParse("22:00-06:00", out var night, out _));
        Assert.Equal(TimeSpan.FromMinutes(30), UploadWindows.WaitAt([morning, night], new TimeOnly(8, 30)));
        Assert.Equal(TimeSpan.Zero, UploadWindows.WaitAt([morning, night], new TimeOnly(9, 0)));
        Assert.Equal(TimeSpan.FromHours(7), UploadWindows.WaitAt([morning, night], new TimeOnly(23, 0)));
        Assert.Equal(TimeSpan.FromHours(1), UploadWindows.WaitAt([morning, night], new TimeOnly(5, 0)));
        Assert.False(UploadWindows.TryParse("7-9", out _, out var error));
        Assert.Contains("HH:mm-HH:mm", error, StringComparison.Ordinal);
        Assert.False(UploadWindows.TryParse("08:00-08:00", out _, out _));
    }

    [Fact]
    public async Task BandwidthCap_SpreadsReservationsAtTheConfiguredRate()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero));
        var limiter = new BandwidthLimiter(10_000_000, time); // 10 MB/s
        await limiter.AcquireAsync(10_000_000, CancellationToken.None); // the link is idle: no wait
        var second = limiter.AcquireAsync(5_000_000, CancellationToken.None);
        Assert.False(second.IsCompleted); // must wait for the first second's bytes
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void ObjectLayout_DateFromTheRecordingThenSerialAndClip()
    {
        var key = ObjectLayout.Clip("unit-7", new DateTimeOffset(2026, 1, 2, 23, 30, 0, TimeSpan.FromHours(-2)), "DSJ-1", "c.mp4");
        Assert.Equal("unit-7/clips/2026/01/03/DSJ-1/c.mp4", key); // UTC date
        Assert.Equal("unit-7/manifests/2026/01/03/DSJ-1/c.mp4.manifest.json", ObjectLayout.Manifest("unit-7", key));
        Assert.Equal("unit-7/manifests/2026/01/03/DSJ-1/c.mp4.manifest.json.sig", ObjectLayout.ManifestSignature("unit-7", key));
        // A clip id that looks like a dock file is still only evidence: its manifest is elsewhere, and no other clip's.
        var hostile = ObjectLayout.Clip("unit-7", new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero), "DSJ-1", "c.mp4.manifest.json");
        Assert.NotEqual(ObjectLayout.Manifest("unit-7", key), hostile);
        Assert.NotEqual(ObjectLayout.ManifestSignature("unit-7", key), ObjectLayout.Manifest("unit-7", hostile));
        // Objects uploaded before the split keep their manifests beside them.
        Assert.Equal("unit-7/2026/01/03/DSJ-1/c.mp4.manifest.json", ObjectLayout.Manifest("unit-7", "unit-7/2026/01/03/DSJ-1/c.mp4"));
        Assert.Equal("custody/dock-a/checkpoint-000000000042", ObjectLayout.Checkpoint("", "dock-a", 42));
    }
}
