using Dock.Service.Configuration;
using Dock.Service.Retention;

namespace Dock.Service.Tests;

/// <summary>The retention arithmetic: the longest category wins, an uncategorised clip keeps the configured default, a category no longer
/// configured never shortens what was promised, and the clock starts at the cloud copy's verification.</summary>
public sealed class RetentionRulesTests
{
    private static readonly MetadataOptions Metadata = new()
    {
        Categories =
        [
            new() { Id = "traffic", Retention = TimeSpan.FromDays(180) },
            new() { Id = "complaint", Retention = TimeSpan.FromDays(365) },
            new() { Id = "criminal", Retention = TimeSpan.FromDays(3650) },
        ],
    };

    private static readonly RetentionOptions Retention = new() { Uncategorised = TimeSpan.FromDays(90) };

    [Theory]
    [InlineData(null, 90, null)]
    [InlineData("", 90, null)]
    [InlineData("traffic", 180, "traffic")]
    [InlineData("traffic,complaint", 365, "complaint")]
    [InlineData("criminal, traffic ,complaint", 3650, "criminal")]
    [InlineData("traffic,traffic", 180, "traffic")]
    // A category removed from the configuration: the longest configured retention, not the default.
    [InlineData("gone", 3650, "gone")]
    public void KeptFor_TheLongestOfTheClipsCategories(string? categories, int days, string? decidedBy)
    {
        var (keptFor, by) = RetentionRules.KeptFor(categories, Metadata, Retention);
        Assert.Equal(TimeSpan.FromDays(days), keptFor);
        Assert.Equal(decidedBy, by);
    }

    [Fact]
    public void Due_CountsFromTheCloudVerification_AndNeverOverflows()
    {
        var verified = new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 7, 30, 12, 0, 0, TimeSpan.Zero), RetentionRules.Due(verified, TimeSpan.FromDays(180)));
        Assert.Equal(DateTimeOffset.MaxValue, RetentionRules.Due(verified, TimeSpan.MaxValue));
    }

    [Fact]
    public void Categories_SplitTrimmedAndOnce()
    {
        Assert.Equal(["criminal", "traffic"], RetentionRules.Categories(" criminal,traffic,,criminal "));
        Assert.Empty(RetentionRules.Categories("  "));
    }
}
