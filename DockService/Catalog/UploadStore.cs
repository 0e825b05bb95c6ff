using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;
using static Dock.Service.Catalog.ClipStore;

namespace Dock.Service.Catalog;

/// <summary>The durable upload queue (Upload/Uploader): survives restarts, keeps multipart progress part by part. A row is added
/// with the clip's verification, in its transaction (<see cref="ClipLifecycle.MarkVerifiedAndQueuedAsync"/>: the outbox).</summary>
public sealed class UploadStore(CatalogDatabase db)
{
    private const string UploadColumns =
        "id, clip_row, target, object_key, priority, state, upload_id, part_size, attempts, next_attempt_at, last_error, queued_at, updated_at";

    /// <summary>Queues every verified clip that has no upload row yet (with its manifest written); returns the new rows.</summary>
    public async Task<IReadOnlyList<(UploadRecord Upload, ClipRecord Clip)>> EnqueueVerifiedAsync(string target, Func<ClipRecord, string> keyFor,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var candidates = await QueryClipsAsync(c, """
            WHERE state IN ('verified','released') AND manifest_path IS NOT NULL AND id NOT IN (SELECT clip_row FROM uploads) ORDER BY id
            """, cancellationToken).ConfigureAwait(false);
        var added = new List<(UploadRecord, ClipRecord)>();
        foreach (var clip in candidates)
        {
            int priority = Upload.UploadOutbox.Priority(clip.Flags);
            var now = db.Now();
            var id = await ScalarAsync(c, null, """
                INSERT INTO uploads(clip_row, target, object_key, priority, state, next_attempt_at, queued_at, updated_at)
                VALUES ($clip, $target, $key, $priority, 'queued', $now, $now, $now)
                ON CONFLICT(clip_row) DO NOTHING RETURNING id;
                """, cancellationToken, ("$clip", clip.Id), ("$target", target), ("$key", keyFor(clip)), ("$priority", priority), ("$now", now))
                .ConfigureAwait(false);
            if (id is long newId) added.Add(((await GetUploadAsync(c, newId, cancellationToken).ConfigureAwait(false))!, clip));
        }
        return added;
    }

    /// <summary>Pending uploads queued for another target (the configuration changed) move to this one and start over.</summary>
    public async Task<int> RetargetPendingUploadsAsync(string target, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, tx, "DELETE FROM upload_parts WHERE upload_row IN (SELECT id FROM uploads WHERE state <> 'verified' AND target <> $t);",
            cancellationToken, ("$t", target)).ConfigureAwait(false);
        int moved = await ExecAsync(c, tx, """
            UPDATE uploads SET target = $t, state = 'queued', upload_id = NULL, part_size = NULL, updated_at = $now
            WHERE state <> 'verified' AND target <> $t;
            """, cancellationToken, ("$t", target), ("$now", db.Now())).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return moved;
    }

    /// <summary>A (re)start is often the fix for what made uploads fail: make every pending one due now.</summary>
    public async Task MakePendingUploadsDueAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE uploads SET next_attempt_at = $now WHERE state <> 'verified' AND next_attempt_at > $now;", cancellationToken,
            ("$now", db.Now())).ConfigureAwait(false);
    }

    /// <summary>The most urgent upload that is due: R11 recordings first, then officer-marked, then oldest.</summary>
    public async Task<UploadRecord?> NextDueUploadAsync(DateTimeOffset now, IReadOnlyCollection<long> busy, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var exclude = busy.Count == 0 ? "" : $"AND id NOT IN ({string.Join(',', busy)})";
        return (await QueryUploadsAsync(c, $"""
            WHERE state <> 'verified' AND next_attempt_at <= $now {exclude} ORDER BY priority DESC, queued_at, id LIMIT 1
            """, cancellationToken, ("$now", now.ToString("O"))).ConfigureAwait(false)).FirstOrDefault();
    }

    /// <summary>When the next pending upload becomes due (null if none is pending).</summary>
    public async Task<DateTimeOffset?> NextUploadDueAtAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, "SELECT MIN(next_attempt_at) FROM uploads WHERE state <> 'verified';", cancellationToken).ConfigureAwait(false)
            is string at ? ParseTime(at) : null;
    }

    /// <summary>The oldest clip still waiting for a verified cloud copy (for the R10 alert), if any.</summary>
    public async Task<UploadRecord?> OldestPendingUploadAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryUploadsAsync(c, "WHERE state <> 'verified' ORDER BY queued_at, id LIMIT 1", cancellationToken).ConfigureAwait(false))
            .FirstOrDefault();
    }

    public async Task<UploadRecord?> GetUploadForClipAsync(long clipRow, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryUploadsAsync(c, "WHERE clip_row = $clip", cancellationToken, ("$clip", clipRow)).ConfigureAwait(false)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<UploadRecord>> ListUploadsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryUploadsAsync(c, "ORDER BY id", cancellationToken).ConfigureAwait(false);
    }

    public async Task SetUploadStateAsync(long id, UploadState state, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE uploads SET state = $state, last_error = NULL, updated_at = $now WHERE id = $id;", cancellationToken,
            ("$state", ToDb(state)), ("$now", db.Now()), ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>Records the store's id for a parts upload; from here on a restart resumes it.</summary>
    public async Task SetUploadIdAsync(long id, string uploadId, long partSize, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE uploads SET upload_id = $u, part_size = $p, updated_at = $now WHERE id = $id;", cancellationToken,
            ("$u", uploadId), ("$p", partSize), ("$now", db.Now()), ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>The store forgot the parts upload (or its copy was wrong): start it again from part 1.</summary>
    public async Task ResetUploadAsync(long id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, tx, "DELETE FROM upload_parts WHERE upload_row = $id;", cancellationToken, ("$id", id)).ConfigureAwait(false);
        await ExecAsync(c, tx, "UPDATE uploads SET state = 'queued', upload_id = NULL, part_size = NULL, updated_at = $now WHERE id = $id;",
            cancellationToken, ("$now", db.Now()), ("$id", id)).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddUploadPartAsync(long id, int partNumber, string receipt, long size, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            INSERT INTO upload_parts(upload_row, part_number, receipt, size) VALUES ($id, $n, $r, $s)
            ON CONFLICT(upload_row, part_number) DO UPDATE SET receipt = excluded.receipt, size = excluded.size;
            """, cancellationToken, ("$id", id), ("$n", partNumber), ("$r", receipt), ("$s", size)).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<(int PartNumber, string Receipt, long Size)>> ListUploadPartsAsync(long id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT part_number, receipt, size FROM upload_parts WHERE upload_row = $id ORDER BY part_number;", reader => (reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2)),
            cancellationToken, ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>A failed attempt: the error (no secrets) and when to try again; the row stays in the queue.</summary>
    public async Task ScheduleUploadRetryAsync(long id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            UPDATE uploads SET attempts = attempts + 1, last_error = $e, next_attempt_at = $next, updated_at = $now WHERE id = $id;
            """, cancellationToken, ("$e", error), ("$next", nextAttemptAt.ToString("O")), ("$now", db.Now()), ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>Clip rows of <paramref name="serial"/> whose cloud copy is verified.</summary>
    public async Task<IReadOnlySet<long>> CloudVerifiedClipsAsync(string serial, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryAsync(c, null, """
            SELECT u.clip_row FROM uploads u JOIN clips k ON k.id = u.clip_row WHERE u.state = 'verified' AND k.recorder_serial = $s;
            """, reader => reader.GetInt64(0),
            cancellationToken, ("$s", serial)).ConfigureAwait(false)).ToHashSet();
    }

    /// <summary>Clips waiting for a verified cloud copy, and when the oldest of them was queued.</summary>
    public async Task<(long Queued, DateTimeOffset? OldestQueuedAt)> UploadBacklogAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryAsync(c, null, "SELECT count(*), min(queued_at) FROM uploads WHERE state <> 'verified';",
            r => (r.GetInt64(0), r.IsDBNull(1) ? (DateTimeOffset?)null : ParseTime(r.GetString(1))), cancellationToken).ConfigureAwait(false))[0];
    }

    private static async Task<UploadRecord?> GetUploadAsync(SqliteConnection c, long id, CancellationToken cancellationToken) =>
        (await QueryUploadsAsync(c, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false)).FirstOrDefault();

    private static async Task<List<UploadRecord>> QueryUploadsAsync(SqliteConnection c, string where, CancellationToken cancellationToken,
        params (string, object?)[] parameters)
    {
        return await QueryAsync(c, null, $"SELECT {UploadColumns} FROM uploads {where};", reader => new UploadRecord(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                FromDb(reader.GetString(5)), reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.GetInt32(8), ParseTime(reader.GetString(9)), reader.IsDBNull(10) ? null : reader.GetString(10), ParseTime(reader.GetString(11)),
                ParseTime(reader.GetString(12))),
            cancellationToken, parameters).ConfigureAwait(false);
    }

    private static string ToDb(UploadState state) => state.ToString().ToLowerInvariant();

    private static UploadState FromDb(string value) => Enum.Parse<UploadState>(value, ignoreCase: true);
}
