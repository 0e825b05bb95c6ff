using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Metadata;

namespace Dock.Service.Tests;

/// <summary>What a tag value may be: bounded so that an old and a new value fit one custody entry, one line, a configured category.</summary>
public sealed class TagRulesTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-tags-").FullName;
    private readonly Ed25519Key _key = Ed25519Key.Generate();
    private ClipTagging _tagging = null!;

    public async Task InitializeAsync()
    {
        var catalog = await CatalogStores.OpenAsync(Path.Combine(_dir, "catalog.db"), TimeProvider.System, CancellationToken.None);
        var log = await CustodyLog.OpenAsync(catalog.Database, new CustodyJournal(Path.Combine(_dir, "custody")), _key, "dock-test", [_key.PublicKey],
            TimeProvider.System, CancellationToken.None);
        _tagging = new ClipTagging(catalog.Clips, new TagStore(catalog.Database), log, new MetadataOptions());
    }

    public Task DisposeAsync()
    {
        _key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public void FieldNames_RoundTrip()
    {
        foreach (var field in Enum.GetValues<TagField>())
        {
            Assert.True(Tags.TryParse(field.Name(), out var back));
            Assert.Equal(field, back);
        }
        Assert.Equal("case-number", TagField.CaseNumber.Name());
        Assert.False(Tags.TryParse("CaseNumber", out _));
    }

    [Theory]
    [InlineData(TagField.CaseNumber, "  A-117  ", "A-117")]
    [InlineData(TagField.CaseNumber, "   ", null)]
    [InlineData(TagField.Important, "TRUE", "true")]
    [InlineData(TagField.CaptureTime, "2026-12-03 08:15:00", "2026-12-03T08:15:00Z")]
    [InlineData(TagField.CaptureTime, "2026-12-03T16:15:00+08:00", "2026-12-03T08:15:00Z")]
    [InlineData(TagField.Category, "traffic", "traffic")]
    public void Values_AreNormalised(TagField field, string raw, string? expected) => Assert.Equal(expected, _tagging.Normalise(field, raw));

    [Theory]
    [InlineData(TagField.CaseNumber, "A-117\nB", "one line")]
    [InlineData(TagField.Category, "parking", "not a configured category")]
    [InlineData(TagField.Important, "yes", "true or false")]
    [InlineData(TagField.CaptureTime, "yesterday", "a date and time")]
    [InlineData(TagField.Collector, "P 100", "badge number")]
    public void BadValues_AreRefusedWithWhatIsValid(TagField field, string raw, string message) =>
        Assert.Contains(message, Assert.Throws<TagException>(() => _tagging.Normalise(field, raw)).Message, StringComparison.Ordinal);

    [Fact]
    public void AValue_IsBoundedInBytes_SoTwoAndAReasonFitOneCustodyEntry()
    {
        var chinese = new string('证', Tags.MaxValueBytes / 3);
        Assert.Equal(chinese, _tagging.Normalise(TagField.Purpose, chinese));
        Assert.Contains("bytes", Assert.Throws<TagException>(() => _tagging.Normalise(TagField.Purpose, chinese + "证")).Message, StringComparison.Ordinal);
        // Two values of the bound, the longest field name, a source and a reason of the bound: within a custody detail.
        int worst = "capture-place: \"\" -> \"\" (console); ".Length + 2 * Tags.MaxValueBytes + Tags.MaxReasonBytes;
        Assert.True(worst <= Dock.Crypto.Custody.CustodyEvent.MaxDetailBytes, $"{worst} bytes");
    }
}
