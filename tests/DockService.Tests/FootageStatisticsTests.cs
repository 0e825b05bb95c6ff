using System.Globalization;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Reports;

namespace Dock.Service.Tests;

/// <summary>The R7 statistics over a generated month on a real SQLite file, against the same figures computed here from the generated
/// data (not from the catalog).</summary>
public sealed class FootageStatisticsTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-stats-").FullName;
    private CatalogStores _catalog = null!;

    private sealed record Clip(string Officer, string? Category, DateTimeOffset Start, DateTimeOffset End, long Size, DateTimeOffset Docked,
        DateTimeOffset? Cloud, string State, bool Case, bool Purpose);

    public async Task InitializeAsync() => _catalog = await CatalogStores.OpenAsync(Path.Combine(_dir, "catalog.db"), TimeProvider.System, CancellationToken.None);

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>The unit the seed deals an officer to: P100001 → U0, P100002 → U1, …; no officer, no unit.</summary>
    private static string UnitOf(string officer) => officer.Length == 0 ? "(no unit)" : $"U{(int.Parse(officer[1..], CultureInfo.InvariantCulture) - 100001) % 3}";

    private static string T(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    private async Task<List<Clip>> SeedAsync(int count, int officerCount = 3, int days = 30)
    {
        var random = new Random(7);
        string[] officers = [.. Enumerable.Range(0, officerCount).Select(i => $"P{100001 + i}"), ""];
        string?[] categories = ["traffic", "public-order", "penalty", null];
        var month = days >= 365 ? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) : new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var clips = new List<Clip>();
        await using var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None);
        await using var tx = c.BeginTransaction();
        for (int r = 0; r < officers.Length; r++)
            await CatalogDatabase.ExecAsync(c, tx, "INSERT INTO recorders(serial, model, firmware, officer_id, first_seen, last_seen) VALUES ($s, 'M', '1', $o, $now, $now);",
                CancellationToken.None, ("$s", $"CAM-{r}"), ("$o", officers[r]), ("$now", T(month)));
        // Three units in the registry, the officers dealt round them (the camera that names no officer belongs to none).
        for (int u = 0; u < 3; u++)
            await CatalogDatabase.ExecAsync(c, tx, "INSERT INTO units(id, name, updated_at) VALUES ($id, $name, $now);", CancellationToken.None,
                ("$id", $"U{u}"), ("$name", $"Unit {u}"), ("$now", T(month)));
        for (int r = 0; r < officerCount; r++)
            await CatalogDatabase.ExecAsync(c, tx, "INSERT INTO officers(badge, name, unit_id, role, updated_at) VALUES ($b, 'n', $u, 'officer', $now);",
                CancellationToken.None, ("$b", officers[r]), ("$u", UnitOf(officers[r])), ("$now", T(month)));
        for (int i = 0; i < count; i++)
        {
            int r = random.Next(officers.Length);
            // A little before and after the month too: the window must leave those out.
            var start = month.AddMinutes(random.Next(-3 * 24 * 60, (days + 3) * 24 * 60));
            var end = start.AddSeconds(random.Next(10, 3600));
            var docked = end.AddMinutes(random.Next(5, 48 * 60));
            DateTimeOffset? cloud = random.Next(4) == 0 ? null : docked.AddMinutes(random.Next(1, 600));
            var state = random.Next(10) switch { 0 => "quarantined", 1 => "stored", _ => "released" };
            var clip = new Clip(officers[r], categories[random.Next(categories.Length)], start, end, random.Next(1_000, 50_000_000), docked, cloud, state,
                random.Next(3) > 0, random.Next(3) > 0);
            clips.Add(clip);
            var row = (long)(await CatalogDatabase.ScalarAsync(c, tx, """
                INSERT INTO clips(recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id, state, announced_at, updated_at, custody_index)
                VALUES ($s, $clip, $size, $sha, $start, $end, 0, $o, $state, $docked, $docked, $i) RETURNING id;
                """, CancellationToken.None, ("$s", $"CAM-{r}"), ("$clip", $"clip-{i}.mp4"), ("$size", clip.Size), ("$sha", new string('a', 64)),
                ("$start", T(start)), ("$end", T(end)), ("$o", clip.Officer), ("$state", state), ("$docked", T(docked)), ("$i", i)))!;
            if (cloud is { } at)
                await CatalogDatabase.ExecAsync(c, tx, """
                    INSERT INTO uploads(clip_row, target, object_key, priority, state, next_attempt_at, queued_at, updated_at)
                    VALUES ($row, 'file:x', $key, 0, 'verified', $at, $docked, $at);
                    """, CancellationToken.None, ("$row", row), ("$key", $"k{i}"), ("$at", T(at)), ("$docked", T(docked)));
            foreach (var (field, value) in new[] { ("category", clip.Category), ("case-number", clip.Case ? "A-1" : null), ("purpose", clip.Purpose ? "p" : null) })
                if (value is not null)
                    await CatalogDatabase.ExecAsync(c, tx, "INSERT INTO clip_tags(clip_row, field, value, source, set_by, set_at) VALUES ($row, $f, $v, 'officer', 'x', $at);",
                        CancellationToken.None, ("$row", row), ("$f", field), ("$v", value), ("$at", T(docked)));
        }
        await tx.CommitAsync();
        return clips;
    }

    [Fact]
    public async Task AMonth_ByOfficerCategoryAndDay_TagCompleteness_AndDelays_EqualWhatTheGeneratedDataSays()
    {
        var all = await SeedAsync(3000);
        var from = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var to = from.AddMonths(1);
        var stats = await new FootageStatistics(_catalog.Database, new MetadataOptions { Location = "Xicheng station" })
            .ComputeAsync(from, to, CancellationToken.None);

        var mine = all.Where(c => c.State != "quarantined" && c.Start >= from && c.Start < to).ToList();
        Assert.True(mine.Count > 2000 && mine.Count < all.Count);
        Assert.Equal(mine.Count, stats.Total.Clips);
        Assert.Equal(mine.Sum(c => c.Size), stats.Total.Bytes);
        Assert.Equal(mine.Sum(c => (c.End - c.Start).TotalHours), stats.Total.Hours, 6);
        foreach (var group in mine.GroupBy(c => c.Officer.Length > 0 ? c.Officer : "(none)"))
        {
            var row = Assert.Single(stats.ByOfficer, o => o.Key == group.Key);
            Assert.Equal((group.LongCount(), group.Sum(c => c.Size)), (row.Clips, row.Bytes));
            // Complete: a case number and 证明对象 given; the place is the dock's; a collector only when the camera named an officer.
            var tags = Assert.Single(stats.Tags, t => t.Officer == group.Key);
            Assert.Equal(group.LongCount(c => c.Case && c.Purpose && c.Officer.Length > 0), tags.Complete);
        }
        foreach (var group in mine.GroupBy(c => c.Category ?? "(none)"))
            Assert.Equal(group.LongCount(), Assert.Single(stats.ByCategory, o => o.Key == group.Key).Clips);
        Assert.Equal(30, stats.ByDay.Count);
        foreach (var group in mine.GroupBy(c => c.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))
            Assert.Equal(group.Sum(c => c.Size), Assert.Single(stats.ByDay, d => d.Key == group.Key).Bytes);

        var toDock = mine.Select(c => (c.Docked - c.End).TotalHours).Order().ToList();
        Assert.Equal(toDock[(int)Math.Ceiling(0.5 * toDock.Count) - 1], stats.RecordingToDocking.MedianHours!.Value, 6);
        Assert.Equal(toDock[(int)Math.Ceiling(0.9 * toDock.Count) - 1], stats.RecordingToDocking.P90Hours!.Value, 6);
        var toCloud = mine.Where(c => c.Cloud is not null).Select(c => (c.Cloud!.Value - c.Docked).TotalHours).Order().ToList();
        Assert.Equal(toCloud.Count, stats.DockingToCloud.Clips);
        Assert.Equal(toCloud[(int)Math.Ceiling(0.5 * toCloud.Count) - 1], stats.DockingToCloud.MedianHours!.Value, 6);
    }

    [Fact]
    public async Task TheAnnualReport_OverAYearOf50000Clips_By200Officers_CountsWhatWasGenerated()
    {
        var all = await SeedAsync(50_000, officerCount: 200, days: 365);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var year = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        // The dock has a location: the place is known for every clip, so complete means a case number and 证明对象 (and an officer).
        var stats = await new FootageStatistics(_catalog.Database, new MetadataOptions { Location = "Xicheng station" })
            .ComputeAsync(year, year.AddYears(1), CancellationToken.None);
        var files = await AnnualReport.WriteAsync(stats, 2026, "dock-test", Path.Combine(_dir, "report"), DateTimeOffset.UtcNow, CancellationToken.None);
        output.WriteLine($"annual report over {stats.Total.Clips:N0} clips: {clock.Elapsed.TotalMilliseconds:0} ms (statistics and three files)");
        // A figure: the catalog's size per 10,000 clips, each with its tags (category, case number, 证明对象 on most) and upload row.
        await using (var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None))
            await CatalogDatabase.ExecAsync(c, null, "PRAGMA wal_checkpoint(TRUNCATE);", CancellationToken.None);
        long tags = (long)(await ScalarAsync("SELECT count(*) FROM clip_tags;"))!;
        output.WriteLine($"catalog: {new FileInfo(_catalog.Database.Path).Length:N0} bytes for {all.Count:N0} clips and {tags:N0} tags = " +
            $"{new FileInfo(_catalog.Database.Path).Length * 10_000.0 / all.Count / 1e6:0.00} MB per 10,000 clips");

        var mine = all.Where(c => c.State != "quarantined" && c.Start.Year == 2026).ToList();
        Assert.Equal(["annual-2026.csv", "annual-2026.json", "annual-2026.html"], files.Select(Path.GetFileName));
        var csv = await File.ReadAllLinesAsync(files[0]);
        Assert.Equal($"total,all,{mine.Count},", csv[1][..($"total,all,{mine.Count},".Length)]);
        for (int m = 1; m <= 12; m++)
        {
            var expected = mine.Where(c => c.Start.Month == m).ToList();
            var row = Assert.Single(csv, l => l.StartsWith($"month,2026-{m:D2},", StringComparison.Ordinal)).Split(',');
            Assert.Equal((expected.Count.ToString(CultureInfo.InvariantCulture), expected.Sum(c => c.Size).ToString(CultureInfo.InvariantCulture)), (row[2], row[4]));
            // Hours are sums of doubles added in another order: equal to the rounding of the file's three decimals.
            Assert.Equal(expected.Sum(c => (c.End - c.Start).TotalHours), double.Parse(row[3], CultureInfo.InvariantCulture), 0.001);
        }
        Assert.Equal(201, csv.Count(l => l.StartsWith("officer,", StringComparison.Ordinal))); // 200 officers and the camera that named none
        // By unit, from the registry: 3 units and the footage of no registered officer, each with its clips and its tags' completeness.
        Assert.Equal(4, csv.Count(l => l.StartsWith("unit,", StringComparison.Ordinal)));
        foreach (var group in mine.GroupBy(c => UnitOf(c.Officer)))
        {
            Assert.Contains(csv, l => l.StartsWith($"unit,{group.Key},{group.Count()},", StringComparison.Ordinal));
            Assert.Contains($"unit-tags-complete,{group.Key},{group.Count()},,{group.Count(c => c.Case && c.Purpose && c.Officer.Length > 0)}", csv);
        }
        foreach (var group in mine.GroupBy(c => c.Category ?? "(none)"))
            Assert.Contains(csv, l => l.StartsWith($"category,{group.Key},{group.Count()},", StringComparison.Ordinal));
        var html = await File.ReadAllTextAsync(files[2]);
        Assert.Contains(mine.Count.ToString("N0", CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(html, "<svg ")); // by month, by unit, by category
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(files[1]));
        Assert.Equal(mine.Count, json.RootElement.GetProperty("stats").GetProperty("total").GetProperty("clips").GetInt64());
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None);
        return await CatalogDatabase.ScalarAsync(c, null, sql, CancellationToken.None);
    }
}
