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
    private CatalogStores _catalog = null!;
    private CustodyLog _log = null!;

    public async Task InitializeAsync()
    {
        _catalog = await CatalogStores.OpenAsync(Path.Combine(_dir, "catalog.db"), TimeProvider.System, CancellationToken.None);
        _log = await CustodyLog.OpenAsync(_catalog.Database, new CustodyJournal(Path.Combine(_dir, "custody")), _key, "dock-test", [_key.PublicKey],
            TimeProvider.System, CancellationToken.None);
        _tagging = new ClipTagging(_catalog.Clips, new TagStore(_catalog.Database), _log, new MetadataOptions());
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

    [Fact]
    public async Task AChangeMadeMeanwhile_IsNotOverwrittenWithAStaleOldValue_AndTheOtherFieldsStillGoIn()
    {
        long row;
        await using (var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None))
        {
            var now = _catalog.Database.Now();
            await CatalogDatabase.ExecAsync(c, null, "INSERT INTO recorders(serial, model, firmware, officer_id, first_seen, last_seen) VALUES ('CAM-1', 'M', '1', 'P1', $n, $n);",
                CancellationToken.None, ("$n", now));
            row = (long)(await CatalogDatabase.ScalarAsync(c, null, """
                INSERT INTO clips(recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id, state, announced_at, updated_at)
                VALUES ('CAM-1', 'c.mp4', 1, $sha, $n, $n, 0, 'P1', 'verified', $n, $n) RETURNING id;
                """, CancellationToken.None, ("$sha", new string('a', 64)), ("$n", now)))!;
        }
        var clip = (await _catalog.Clips.GetClipAsync(row, CancellationToken.None))!;
        await _tagging.TagAsync("olga@kiosk", TagSource.Officer, clip, new Dictionary<TagField, string?> { [TagField.CaseNumber] = "A-1" }, null, CancellationToken.None);

        // Two entries in one commit: the first expects the case number as it was read before someone changed it to A-1; the second is fine.
        Func<long, DateTimeOffset, Dock.Crypto.Custody.CustodyEvent> Entry(string detail) => (index, at) =>
            new Dock.Crypto.Custody.CustodyEvent(index, Dock.Crypto.Custody.CustodyEventKind.MetadataChanged, at, _log.DockId, "sam@api", "CAM-1", "c.mp4", Detail: detail);
        var size = _log.Size;
        var appended = _log.AppendAllAsync([Entry("case-number: \"\" -> \"B-2\" (console)"), Entry("purpose: \"\" -> \"p\" (console)")], CancellationToken.None,
        [
            (c, tx, e) => TagStore.SetAsync(c, tx, row, TagField.CaseNumber, new TagValue("B-2", TagSource.Console, "sam@api", e.At), CancellationToken.None,
                new Optional<string?>(null)),
            (c, tx, e) => TagStore.SetAsync(c, tx, row, TagField.Purpose, new TagValue("p", TagSource.Console, "sam@api", e.At), CancellationToken.None,
                new Optional<string?>(null)),
        ]);
        await Assert.ThrowsAsync<TagConflictException>(() => appended);
        var tags = await _tagging.ReadAsync(clip, CancellationToken.None);
        Assert.Equal("A-1", tags[TagField.CaseNumber]); // not overwritten
        Assert.Equal("p", tags[TagField.Purpose]);
        Assert.Equal(size + 1, _log.Size); // only the purpose's entry: the log says exactly what the tags hold
    }
}
