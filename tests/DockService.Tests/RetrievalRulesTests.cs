using Dock.Service.Api;
using Dock.Service.Cli;
using Dock.Service.Configuration;
using Dock.Service.Retrieval;
using Dock.Service.Users;

namespace Dock.Service.Tests;

/// <summary>The pure rules of supervised retrieval: HTTP ranges, the merged record of ranges served, clearance from roles and configuration,
/// and the audit's --since.</summary>
public sealed class RetrievalRulesTests
{
    [Theory]
    [InlineData("", 1000, 0, 999, false)]
    [InlineData("bytes=0-", 1000, 0, 999, true)]
    [InlineData("bytes=100-199", 1000, 100, 199, true)]
    [InlineData("bytes=900-5000", 1000, 900, 999, true)]
    [InlineData("bytes=-100", 1000, 900, 999, true)]
    [InlineData("bytes=-5000", 1000, 0, 999, true)]
    [InlineData("bytes=10-20, 30-40", 1000, 10, 20, true)]
    public void Range_IsServedAsAsked_WithinTheClip(string header, long size, long from, long to, bool partial) =>
        Assert.Equal((from, to, partial), RetrievalApi.ParseRange(header, size));

    [Theory]
    [InlineData("bytes=1000-", 1000)]
    [InlineData("bytes=200-100", 1000)]
    [InlineData("bytes=-0", 1000)]
    [InlineData("items=0-10", 1000)]
    [InlineData("bytes=abc-", 1000)]
    [InlineData("bytes=5-", 0)]
    [InlineData("bytes=99999999999999999999-", 1000)]
    public void Range_ThatCannotBeServed_IsNull(string header, long size) => Assert.Null(RetrievalApi.ParseRange(header, size));

    [Fact]
    public void RangesServed_MergeOverlappingAndTouching_AndStayBounded()
    {
        var ranges = ByteRanges.Add([], 0, 99, 4);
        ranges = ByteRanges.Add(ranges, 100, 199, 4);     // touching: one range
        ranges = ByteRanges.Add(ranges, 150, 300, 4);     // overlapping
        ranges = ByteRanges.Add(ranges, 1000, 1099, 4);
        Assert.Equal("0-300,1000-1099", ByteRanges.Format(ranges));
        Assert.Equal(401, ByteRanges.Total(ranges));
        for (int i = 0; i < 10; i++) ranges = ByteRanges.Add(ranges, 2000 + i * 1000, 2000 + i * 1000 + 9, 4);
        Assert.Equal(4, ranges.Count);                    // the closest ones merged: the span is still covered
        Assert.Equal(0, ranges[0].From);
        Assert.Equal(11009, ranges[^1].To);
        Assert.Equal(ranges, ByteRanges.Parse(ByteRanges.Format(ranges)));
        Assert.Empty(ByteRanges.Parse("junk,5-1,-3"));
    }

    [Fact]
    public void Clearance_FollowsTheConfiguredRoles_DefaultsForLevelsNotConfigured_AndKeysInAnyCase()
    {
        var options = new RetrievalOptions();
        options.Roles["STATE-SECRET"] = "auditor";        // configuration keys are case-insensitive
        options.Roles.Remove("trade-secret");             // not configured: the default (supervisor, auditor)
        var auditor = Clearance.For([Roles.Auditor], options);
        Assert.True(auditor.Allows(SensitivityLevel.StateSecret));
        Assert.True(auditor.Allows(SensitivityLevel.TradeSecret));
        var supervisor = Clearance.For([Roles.Supervisor], options);
        Assert.False(supervisor.Allows(SensitivityLevel.StateSecret));
        Assert.True(supervisor.Allows(SensitivityLevel.None));
        var manager = Clearance.For([Roles.EquipmentManager], options);
        Assert.Empty(manager.Levels);
        Assert.True(Clearance.For([Roles.ItAdmin, Roles.Supervisor], options).Allows(SensitivityLevel.PersonalPrivacy));
    }

    [Fact]
    public void AuditSince_TakesADateATimeOrASpan()
    {
        var now = new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);
        Assert.True(AuditCommand.TryParseSince("24h", now, out var at));
        Assert.Equal(now.AddHours(-24), at);
        Assert.True(AuditCommand.TryParseSince("7d", now, out at));
        Assert.Equal(now.AddDays(-7), at);
        Assert.True(AuditCommand.TryParseSince("2026-12-01", now, out at));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), at);
        Assert.True(AuditCommand.TryParseSince("2026-12-01T08:00:00Z", now, out at));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero), at);
        Assert.False(AuditCommand.TryParseSince("yesterday", now, out _));
        Assert.False(AuditCommand.TryParseSince("5y", now, out _));
    }

    [Fact]
    public void Validator_RefusesAnUnknownLevelOrRole()
    {
        var options = new DockOptions();
        options.Retrieval.Roles["top-secret"] = "supervisor";
        options.Retrieval.Roles["state-secret"] = "supervisor,chief";
        var result = new DockOptionsValidator { RequireBays = false }.Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("Dock:Retrieval:Roles:top-secret is not a sensitivity level", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("'chief' is not a role", result.FailureMessage, StringComparison.Ordinal);
    }
}
