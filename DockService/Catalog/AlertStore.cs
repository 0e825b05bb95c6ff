using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Catalog;

/// <summary>
/// Alerts (R10: key steps raise real-time warnings). One open alert per (kind, recorder, clip): raising it again while it
/// is open counts a repeat instead of piling up rows, and the code that saw the cause go away resolves it, with the time.
/// </summary>
public sealed class AlertStore(CatalogDatabase db)
{
    private const string AlertColumns = "id, at, kind, recorder_serial, clip_id, message, last_at, repeats, resolved_at, resolution, " +
        "acknowledged_at, acknowledged_by, acknowledgement";

    /// <summary>Raises an alert, or refreshes the open one with the same kind and subject. True when it is new.</summary>
    public async Task<bool> RaiseAlertAsync(string kind, string? serial, string? clipId, string message, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var now = db.Now();
        int refreshed = await ExecAsync(c, null, """
            UPDATE alerts SET message = $message, last_at = $now, repeats = repeats + 1
            WHERE resolved_at IS NULL AND kind = $kind AND recorder_serial IS $serial AND clip_id IS $clip;
            """, cancellationToken, ("$message", message), ("$now", now), ("$kind", kind), ("$serial", serial), ("$clip", clipId))
            .ConfigureAwait(false);
        if (refreshed > 0) return false;
        await ExecAsync(c, null, """
            INSERT INTO alerts(at, last_at, kind, recorder_serial, clip_id, message) VALUES ($now, $now, $kind, $serial, $clip, $message);
            """, cancellationToken, ("$now", now), ("$kind", kind), ("$serial", serial), ("$clip", clipId), ("$message", message))
            .ConfigureAwait(false);
        return true;
    }

    /// <summary>Marks the open alerts of this kind and subject resolved (the cause is gone); returns how many.</summary>
    public async Task<int> ResolveAlertsAsync(string kind, string? serial, string? clipId, string resolution, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ExecAsync(c, null, """
            UPDATE alerts SET resolved_at = $now, resolution = $resolution
            WHERE resolved_at IS NULL AND kind = $kind AND recorder_serial IS $serial AND clip_id IS $clip;
            """, cancellationToken, ("$now", db.Now()), ("$resolution", resolution), ("$kind", kind), ("$serial", serial), ("$clip", clipId))
            .ConfigureAwait(false);
    }

    /// <summary>The recorders named by the open alerts of this kind (a watch that raises per recorder resolves the rest).</summary>
    public async Task<IReadOnlyList<string>> OpenAlertSerialsAsync(string kind, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT DISTINCT recorder_serial FROM alerts WHERE resolved_at IS NULL AND kind = $kind AND recorder_serial IS NOT NULL;",
            r => r.GetString(0), cancellationToken, ("$kind", kind)).ConfigureAwait(false);
    }

    /// <summary>Marks every open alert of this kind resolved, whatever its subject; returns how many.</summary>
    public async Task<int> ResolveAlertKindAsync(string kind, string resolution, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ExecAsync(c, null, "UPDATE alerts SET resolved_at = $now, resolution = $resolution WHERE resolved_at IS NULL AND kind = $kind;",
            cancellationToken, ("$now", db.Now()), ("$resolution", resolution), ("$kind", kind)).ConfigureAwait(false);
    }

    /// <summary>Every alert, open and resolved, oldest first.</summary>
    public Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(CancellationToken cancellationToken) =>
        QueryAlertsAsync("ORDER BY id", cancellationToken);

    /// <summary>One page of alerts, newest first (only open or only resolved ones when <paramref name="open"/> says), paged in SQL.</summary>
    public async Task<Paged<AlertRecord>> SearchAlertsAsync(bool? open, int page, int pageSize, CancellationToken cancellationToken)
    {
        var where = open switch { true => "WHERE resolved_at IS NULL", false => "WHERE resolved_at IS NOT NULL", null => "" };
        long total;
        await using (var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            total = (long)(await ScalarAsync(c, null, $"SELECT count(*) FROM alerts {where};", cancellationToken).ConfigureAwait(false))!;
        var rows = await QueryAlertsAsync($"{where} ORDER BY id DESC LIMIT $limit OFFSET $offset", cancellationToken,
            ("$limit", pageSize), ("$offset", (long)(page - 1) * pageSize)).ConfigureAwait(false);
        return new Paged<AlertRecord>(rows, page, pageSize, total);
    }

    public async Task<AlertRecord?> GetAlertAsync(long id, CancellationToken cancellationToken) =>
        (await QueryAlertsAsync("WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false)).FirstOrDefault();

    private async Task<IReadOnlyList<AlertRecord>> QueryAlertsAsync(string clause, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, $"SELECT {AlertColumns} FROM alerts {clause};", reader => new AlertRecord(reader.GetInt64(0), ParseTime(reader.GetString(1)), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5),
                reader.IsDBNull(6) ? ParseTime(reader.GetString(1)) : ParseTime(reader.GetString(6)), reader.GetInt32(7),
                reader.IsDBNull(8) ? null : ParseTime(reader.GetString(8)), reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : ParseTime(reader.GetString(10)), reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : reader.GetString(12)),
            cancellationToken, parameters).ConfigureAwait(false);
    }

    /// <summary>Marks an alert acknowledged by a person: in the transaction of its alert-acknowledged custody entry.</summary>
    internal static async Task AcknowledgeAlertAsync(SqliteConnection c, SqliteTransaction tx, long id, string by, string reason, string at)
    {
        int changed = await ExecAsync(c, tx, """
            UPDATE alerts SET acknowledged_at = $at, acknowledged_by = $by, acknowledgement = $reason WHERE id = $id;
            """, CancellationToken.None, ("$at", at), ("$by", by), ("$reason", reason), ("$id", id)).ConfigureAwait(false);
        if (changed != 1) throw new StorageException(StorageFailure.NotFound, $"There is no alert {id}.");
    }
}
