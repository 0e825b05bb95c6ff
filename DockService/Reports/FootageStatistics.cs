using System.Globalization;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Reports;

/// <summary>Footage in one group: how many clips, how many hours recorded, how many bytes.</summary>
public sealed record FootageTotals(string Key, long Clips, double Hours, long Bytes);

/// <summary>Of an officer's (or a unit's) clips, how many carry every required tag (R2).</summary>
public sealed record TagCompleteness(string Officer, long Clips, long Complete)
{
    public double Ratio => Clips == 0 ? 1 : (double)Complete / Clips;
}

/// <summary>A delay over the clips that have both ends: how many, the median and the 90th percentile, in hours.</summary>
public sealed record Delay(long Clips, double? MedianHours, double? P90Hours);

public sealed record FootageStats(DateTimeOffset From, DateTimeOffset To, FootageTotals Total, IReadOnlyList<FootageTotals> ByOfficer,
    IReadOnlyList<FootageTotals> ByCategory, IReadOnlyList<FootageTotals> ByDay, IReadOnlyList<TagCompleteness> Tags, Delay RecordingToDocking,
    Delay DockingToCloud, IReadOnlyList<FootageTotals> ByUnit, IReadOnlyList<TagCompleteness> TagsByUnit);

/// <summary>
/// R7: the footage the dock collected, recorded in [from, to) (the camera's recording start, UTC): counts, hours and bytes by
/// unit, officer, category and day; how complete the tags are per officer and per unit; how long footage waited between recording and
/// docking, and between docking and its verified cloud copy. Quarantined copies are not footage the dock collected and are left out. A
/// clip's unit is its officer's in the registry (Registry/) now; footage of an officer the registry does not know is "(no unit)".
/// </summary>
public sealed class FootageStatistics(CatalogDatabase db, MetadataOptions options)
{
    private sealed record Row(string Officer, string Unit, string? Category, DateTimeOffset Start, DateTimeOffset End, long Size, DateTimeOffset Docked,
        DateTimeOffset? CloudVerified, bool Complete);

    public async Task<FootageStats> ComputeAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        bool placeKnown = options.Location.Length > 0;
        var rows = await QueryAsync(c, null, """
            SELECT c.officer_id, coalesce(o.unit_id, '(no unit)'), cat.value, c.device_start, c.device_end, c.size, c.announced_at,
                   CASE WHEN u.state = 'verified' THEN u.updated_at END,
                   EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'case-number'),
                   EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'purpose'),
                   EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'capture-place'),
                   EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'collector'),
                   EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'capture-time') OR c.custody_index IS NOT NULL
            FROM clips c
            LEFT JOIN clip_tags cat ON cat.clip_row = c.id AND cat.field = 'category'
            LEFT JOIN uploads u ON u.clip_row = c.id
            LEFT JOIN officers o ON o.badge = c.officer_id
            WHERE c.state IN ('stored', 'verified', 'released') AND c.device_start >= $from AND c.device_start < $to;
            """, r => new Row(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), ParseTime(r.GetString(3)), ParseTime(r.GetString(4)),
                r.GetInt64(5), ParseTime(r.GetString(6)), r.IsDBNull(7) ? null : ParseTime(r.GetString(7)),
                // Complete: what a person gives is set; what the dock can derive is set or derivable (ClipTagging's rules).
                r.GetBoolean(8) && r.GetBoolean(9) && (r.GetBoolean(10) || placeKnown) && (r.GetBoolean(11) || Identifier.IsValid(r.GetString(0))) && r.GetBoolean(12)),
            cancellationToken, ("$from", Time(from)), ("$to", Time(to))).ConfigureAwait(false);

        static List<FootageTotals> By(IEnumerable<Row> rows, Func<Row, string> key) =>
            [.. rows.GroupBy(key, StringComparer.Ordinal).Select(g => Totals(g.Key, g)).OrderBy(t => t.Key, StringComparer.Ordinal)];
        return new FootageStats(from, to, Totals("all", rows), By(rows, r => r.Officer.Length > 0 ? r.Officer : "(none)"),
            // A clip in several categories counts in each of them (the category totals then add up to more than "all").
            [.. rows.SelectMany(r => Retention.RetentionRules.Categories(r.Category) is { Count: > 0 } ids ? ids.Select(id => (Key: id, Row: r)) : [("(none)", r)])
                .GroupBy(p => p.Key, StringComparer.Ordinal).Select(g => Totals(g.Key, g.Select(p => p.Row))).OrderBy(t => t.Key, StringComparer.Ordinal)],
            By(rows, r => r.Start.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            [.. rows.GroupBy(r => r.Officer.Length > 0 ? r.Officer : "(none)", StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new TagCompleteness(g.Key, g.LongCount(), g.LongCount(r => r.Complete)))],
            Delays([.. rows.Select(r => (r.Docked - r.End).TotalHours)]),
            Delays([.. rows.Where(r => r.CloudVerified is not null).Select(r => (r.CloudVerified!.Value - r.Docked).TotalHours)]),
            By(rows, r => r.Unit),
            [.. rows.GroupBy(r => r.Unit, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new TagCompleteness(g.Key, g.LongCount(), g.LongCount(r => r.Complete)))]);
    }

    private static FootageTotals Totals(string key, IEnumerable<Row> rows)
    {
        long clips = 0, bytes = 0;
        double hours = 0;
        foreach (var row in rows)
        {
            clips++;
            bytes += row.Size;
            hours += Math.Max(0, (row.End - row.Start).TotalHours);
        }
        return new FootageTotals(key, clips, hours, bytes);
    }

    private static Delay Delays(List<double> hours)
    {
        if (hours.Count == 0) return new Delay(0, null, null);
        hours.Sort();
        double At(double q) => hours[Math.Clamp((int)Math.Ceiling(q * hours.Count) - 1, 0, hours.Count - 1)];
        return new Delay(hours.Count, Math.Max(0, At(0.5)), Math.Max(0, At(0.9)));
    }

    /// <summary>Times as the catalog stores them (round-trip, UTC), which sort as text.</summary>
    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
