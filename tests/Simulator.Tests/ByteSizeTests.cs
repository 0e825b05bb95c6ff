using Dock.Simulator.Hosting;

namespace Dock.Simulator.Tests;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("200MB", 200_000_000, 200_000_000)]
    [InlineData("20MB-40MB", 20_000_000, 40_000_000)]
    [InlineData("1KiB-1MiB", 1024, 1 << 20)]
    public void TryParseRange_Valid(string text, long min, long max)
    {
        Assert.True(ByteSize.TryParseRange(text, out var lo, out var hi));
        Assert.Equal((min, max), (lo, hi));
    }

    [Theory]
    [InlineData("40MB-20MB")]
    [InlineData("MB")]
    [InlineData("1MB-")]
    [InlineData(null)]
    public void TryParseRange_Invalid(string? text) => Assert.False(ByteSize.TryParseRange(text, out _, out _));
}
