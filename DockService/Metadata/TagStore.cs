using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Metadata;

/// <summary>The tags aggregate: each clip's current value per field, with its source, who set it and when (<c>clip_tags</c>). Changes are
/// made by <see cref="ClipTagging"/> inside the transaction of their custody entry.</summary>
public sealed class TagStore(CatalogDatabase db)
{
    public async Task<IReadOnlyDictionary<TagField, TagValue>> ReadAsync(long clipRow, CancellationToken cancellationToken) =>
        (await ReadManyAsync([clipRow], cancellationToken).ConfigureAwait(false)).GetValueOrDefault(clipRow) ?? new Dictionary<TagField, TagValue>();

    /// <summary>The stored tags of several clips (a page of a list), in one query.</summary>
    public async Task<IReadOnlyDictionary<long, Dictionary<TagField, TagValue>>> ReadManyAsync(IReadOnlyCollection<long> clipRows,
        CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, Dictionary<TagField, TagValue>>();
        if (clipRows.Count == 0) return result;
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // The rows are ids the caller read from the catalog (integers), bound as JSON: no SQL is built from them.
        var rows = await QueryAsync(c, null, """
            SELECT clip_row, field, value, source, set_by, set_at FROM clip_tags WHERE clip_row IN (SELECT value FROM json_each($rows));
            """, r => (Row: r.GetInt64(0), Field: r.GetString(1), Value: new TagValue(r.GetString(2), Tags.ParseSource(r.GetString(3)), r.GetString(4),
                ParseTime(r.GetString(5)))), cancellationToken, ("$rows", System.Text.Json.JsonSerializer.Serialize(clipRows))).ConfigureAwait(false);
        foreach (var (row, name, value) in rows)
        {
            if (!Tags.TryParse(name, out var field)) continue; // a field a later version added: not this version's to show
            if (!result.TryGetValue(row, out var tags)) result[row] = tags = [];
            tags[field] = value;
        }
        return result;
    }

    /// <summary>Sets (or, with a null value, removes) one field inside <paramref name="tx"/>, and counts one more version of the clip's tags.
    /// With <paramref name="expected"/>, only if the field still holds that value (null: none): two people changing the same field at
    /// once cannot both record the same "old" value; the later one is refused and tries again.</summary>
    public static async Task SetAsync(SqliteConnection c, SqliteTransaction tx, long clipRow, TagField field, TagValue? value, CancellationToken cancellationToken,
        Optional<string?> expected = default)
    {
        if (expected.HasValue)
        {
            var now = await ScalarAsync(c, tx, "SELECT value FROM clip_tags WHERE clip_row = $row AND field = $field;", cancellationToken,
                ("$row", clipRow), ("$field", field.Name())).ConfigureAwait(false) as string;
            // A storage error (not a tag error): the custody log undoes this entry alone and keeps the others of its group commit.
            if (now != expected.Value) throw new TagConflictException(field, now);
        }
        await ExecAsync(c, tx, """
            INSERT INTO clip_metadata_versions(clip_row, version) VALUES ($row, 1) ON CONFLICT(clip_row) DO UPDATE SET version = version + 1;
            """, cancellationToken, ("$row", clipRow)).ConfigureAwait(false);
        if (value is null)
        {
            await ExecAsync(c, tx, "DELETE FROM clip_tags WHERE clip_row = $row AND field = $field;", cancellationToken, ("$row", clipRow), ("$field", field.Name()))
                .ConfigureAwait(false);
            return;
        }
        await ExecAsync(c, tx, """
            INSERT INTO clip_tags(clip_row, field, value, source, set_by, set_at) VALUES ($row, $field, $value, $source, $by, $at)
            ON CONFLICT(clip_row, field) DO UPDATE SET value = excluded.value, source = excluded.source, set_by = excluded.set_by, set_at = excluded.set_at;
            """, cancellationToken, ("$row", clipRow), ("$field", field.Name()), ("$value", value.Value), ("$source", value.Source.Name()),
            ("$by", value.SetBy), ("$at", value.SetAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture))).ConfigureAwait(false);
    }

    public async Task<bool> HasRecorderDataAsync(long clipRow, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, "SELECT 1 FROM clip_recorder_data WHERE clip_row = $row;", cancellationToken, ("$row", clipRow)).ConfigureAwait(false) is not null;
    }

    /// <summary>Keeps what the recorder gave (once: a second answer for the clip is ignored), and counts a new version of the clip's
    /// metadata so its cloud sidecar carries it.</summary>
    public async Task SaveRecorderDataAsync(long clipRow, RecorderData data, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var added = await ExecAsync(c, tx, """
            INSERT OR IGNORE INTO clip_recorder_data(clip_row, received_at, important, track, markers, dropped, problem)
            VALUES ($row, $at, $important, $track, $markers, $dropped, $problem);
            """, cancellationToken, ("$row", clipRow), ("$at", data.ReceivedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            ("$important", data.Important), ("$track", RecorderData.PackTrack(data.Track)), ("$markers", RecorderData.PackMarkers(data.Markers)),
            ("$dropped", data.Dropped), ("$problem", data.Problem)).ConfigureAwait(false);
        if (added > 0 && data.Problem is null)
            await ExecAsync(c, tx, """
                INSERT INTO clip_metadata_versions(clip_row, version) VALUES ($row, 1) ON CONFLICT(clip_row) DO UPDATE SET version = version + 1;
                """, cancellationToken, ("$row", clipRow)).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the recorder gave beside the clip, or null (none asked yet, or a recorder without it).</summary>
    public async Task<RecorderData?> ReadRecorderDataAsync(long clipRow, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(c, null, "SELECT received_at, important, track, markers, dropped, problem FROM clip_recorder_data WHERE clip_row = $row;",
            r => new RecorderData(ParseTime(r.GetString(0)), r.GetBoolean(1), RecorderData.UnpackTrack((byte[])r.GetValue(2)), RecorderData.UnpackMarkers(r.GetString(3)),
                r.GetInt32(4), r.IsDBNull(5) ? null : r.GetString(5)), cancellationToken, ("$row", clipRow)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Footage docked before <paramref name="cutoff"/> and still missing a required tag that only a person can give (a case
    /// number, 证明对象; a place when the dock has no location of its own; a collector when the camera named no officer), by camera
    /// and officer: how many clips, and when the oldest was docked. For one officer when <paramref name="officer"/> is given.</summary>
    public async Task<IReadOnlyList<(string Serial, string Officer, int Clips, DateTimeOffset Oldest)>> OverdueAsync(DateTimeOffset cutoff, bool placeNeeded,
        string? officer, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT c.recorder_serial, c.officer_id, count(*), min(c.announced_at) FROM clips c
            WHERE c.state IN ('stored', 'verified', 'released') AND c.announced_at < $cutoff AND ($officer IS NULL OR c.officer_id = $officer)
              AND (NOT EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'case-number')
                OR NOT EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'purpose')
                OR ($place AND NOT EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'capture-place'))
                OR (c.officer_id = '' AND NOT EXISTS (SELECT 1 FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'collector')))
            GROUP BY c.recorder_serial, c.officer_id ORDER BY c.recorder_serial;
            """, r => (r.GetString(0), r.GetString(1), r.GetInt32(2), ParseTime(r.GetString(3))), cancellationToken,
            ("$cutoff", cutoff.ToString("O", System.Globalization.CultureInfo.InvariantCulture)), ("$officer", officer), ("$place", placeNeeded))
            .ConfigureAwait(false);
    }

    /// <summary>The clips whose case-number tag is <paramref name="caseNumber"/>, in recording order (a case file's contents).</summary>
    public async Task<IReadOnlyList<long>> ClipsOfCaseAsync(string caseNumber, int max, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT t.clip_row FROM clip_tags t JOIN clips k ON k.id = t.clip_row
            WHERE t.field = 'case-number' AND t.value = $case ORDER BY k.device_start, k.id LIMIT $max;
            """,
            r => r.GetInt64(0), cancellationToken, ("$case", caseNumber), ("$max", max)).ConfigureAwait(false);
    }

    /// <summary>The version of a clip's tags (0: never changed) and the version its cloud sidecar holds (-1: none yet).</summary>
    public async Task<(long Version, long Published)> VersionAsync(long clipRow, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var found = await QueryAsync(c, null, "SELECT version, published FROM clip_metadata_versions WHERE clip_row = $row;",
            r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken, ("$row", clipRow)).ConfigureAwait(false);
        return found.Count == 0 ? (0, -1) : found[0];
    }

    /// <summary>Clips whose tags changed since their sidecar went up, and whose clip is in the cloud already (the first sidecar goes up
    /// with the clip), oldest first.</summary>
    public async Task<IReadOnlyList<long>> UnpublishedAsync(int max, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT v.clip_row FROM clip_metadata_versions v JOIN uploads u ON u.clip_row = v.clip_row
            WHERE v.version > v.published AND u.state IN ('uploaded', 'verified') ORDER BY v.clip_row LIMIT $max;
            """, r => r.GetInt64(0), cancellationToken, ("$max", max)).ConfigureAwait(false);
    }

    /// <summary>Records that the cloud holds the sidecar of <paramref name="version"/> (never lowers it: a slower writer of an older one loses).</summary>
    public async Task MarkPublishedAsync(long clipRow, long version, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            INSERT INTO clip_metadata_versions(clip_row, version, published) VALUES ($row, $version, $version)
            ON CONFLICT(clip_row) DO UPDATE SET published = max(published, excluded.published);
            """, cancellationToken, ("$row", clipRow), ("$version", version)).ConfigureAwait(false);
    }
}

/// <summary>A value that may be given or not (where null itself is a value).</summary>
public readonly record struct Optional<T>(T Value)
{
    public bool HasValue { get; } = true;
}

/// <summary>A field changed by someone else between reading it and changing it; the change was not made.</summary>
public sealed class TagConflictException(TagField field, string? now)
    : StorageException(StorageFailure.InvalidTransition, $"{field.Name()} was changed by someone else meanwhile (now \"{now ?? ""}\"); look again and repeat your change.");
