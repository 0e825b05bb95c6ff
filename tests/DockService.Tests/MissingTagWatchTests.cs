using System.Globalization;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Metadata;
using Microsoft.Extensions.Time.Testing;

namespace Dock.Service.Tests;

/// <summary>R10 for tags, on a real SQLite file with a fake clock: when footage missing a required tag raises its alert, for whom, and
/// when it goes away.</summary>
public sealed class MissingTagWatchTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-missing-tags-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-03T18:00:00Z", CultureInfo.InvariantCulture));
    private CatalogStores _catalog = null!;
    private TagStore _tags = null!;

    public async Task InitializeAsync()
    {
        _catalog = await CatalogStores.OpenAsync(Path.Combine(_dir, "catalog.db"), _time, CancellationToken.None);
        _tags = new TagStore(_catalog.Database);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Clips docked now on a camera issued to an officer, as the ingest leaves them (verified).</summary>
    private async Task<List<long>> DockAsync(string serial, string officer, int clips)
    {
        await using var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None);
        var now = _catalog.Database.Now();
        await CatalogDatabase.ExecAsync(c, null, "INSERT INTO recorders(serial, model, firmware, officer_id, first_seen, last_seen) VALUES ($s, 'M', '1', $o, $now, $now);",
            CancellationToken.None, ("$s", serial), ("$o", officer), ("$now", now));
        var rows = new List<long>();
        for (int i = 0; i < clips; i++)
        {
            rows.Add((long)(await CatalogDatabase.ScalarAsync(c, null, """
                INSERT INTO clips(recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id, state, announced_at, updated_at)
                VALUES ($s, $clip, 1000, $sha, $now, $now, 0, $o, 'verified', $now, $now) RETURNING id;
                """, CancellationToken.None, ("$s", serial), ("$clip", $"clip-{i}.mp4"), ("$sha", new string('a', 64)), ("$o", officer), ("$now", now)))!);
        }
        return rows;
    }

    private async Task TagAsync(long row, TagField field, string value)
    {
        await using var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None);
        await using var tx = c.BeginTransaction();
        await TagStore.SetAsync(c, tx, row, field, new TagValue(value, TagSource.Officer, "olga@kiosk", _time.GetUtcNow()), CancellationToken.None);
        await tx.CommitAsync();
    }

    private MissingTagWatch Watch(string location = "") =>
        new(_tags, _catalog.Alerts, new MetadataOptions { MissingTagAlertAfter = TimeSpan.FromHours(12), Location = location }, _time);

    private async Task<List<AlertRecord>> OpenAsync() =>
        [.. (await _catalog.Alerts.ListAlertsAsync(CancellationToken.None)).Where(a => a.Kind == MissingTagWatch.AlertKind && a.IsOpen)];

    [Fact]
    public async Task UntaggedFootage_AlertsOnlyAfterTheDeadline_NamesTheOfficer_AndResolvesOnceTagged()
    {
        var olga = await DockAsync("CAM-1", "P100001", 3);
        var petr = await DockAsync("CAM-2", "P100002", 2);
        foreach (var row in petr)
        {
            await TagAsync(row, TagField.CaseNumber, "A-1");
            await TagAsync(row, TagField.Purpose, "现场检查");
        }
        var watch = Watch(location: "Xicheng station");

        _time.Advance(TimeSpan.FromHours(11) + TimeSpan.FromMinutes(59));
        Assert.Equal(0, await watch.CheckAsync(CancellationToken.None));
        Assert.Empty(await OpenAsync());

        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await watch.CheckAsync(CancellationToken.None));
        var alert = Assert.Single(await OpenAsync());
        Assert.Equal("CAM-1", alert.RecorderSerial);
        Assert.StartsWith("3 clip(s) of officer P100001 lack a required tag", alert.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await watch.OverdueAsync("P100001", CancellationToken.None)).Sum(o => o.Clips));
        Assert.Empty(await watch.OverdueAsync("P100002", CancellationToken.None));

        // Half tagged is still missing; then every clip has both: the alert resolves by itself.
        foreach (var row in olga) await TagAsync(row, TagField.CaseNumber, "B-2");
        Assert.Equal(1, await watch.CheckAsync(CancellationToken.None));
        foreach (var row in olga) await TagAsync(row, TagField.Purpose, "拒不配合");
        Assert.Equal(0, await watch.CheckAsync(CancellationToken.None));
        Assert.Empty(await OpenAsync());
        Assert.Contains(await _catalog.Alerts.ListAlertsAsync(CancellationToken.None),
            a => a.Kind == MissingTagWatch.AlertKind && a.Resolution == "every clip of this camera is tagged");
    }

    [Fact]
    public async Task WithoutALocationOfItsOwn_TheDockCountsAMissingPlaceToo()
    {
        var rows = await DockAsync("CAM-1", "P100001", 1);
        await TagAsync(rows[0], TagField.CaseNumber, "A-1");
        await TagAsync(rows[0], TagField.Purpose, "p");
        _time.Advance(TimeSpan.FromHours(13));
        Assert.Equal(0, await Watch(location: "Xicheng station").CheckAsync(CancellationToken.None));
        Assert.Equal(1, await Watch(location: "").CheckAsync(CancellationToken.None));
        await TagAsync(rows[0], TagField.CapturePlace, "Xidan crossing");
        Assert.Equal(0, await Watch(location: "").CheckAsync(CancellationToken.None));
    }
}
