using Dock.DeviceProtocol.Messages;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Catalog;

/// <summary>
/// The clips the dock has catalogued: look-ups, the server-side search, each clip's history, and the attributes that are not its
/// state (vault paths, manifest, record-time signature, last error). Every change of state goes through <see cref="ClipLifecycle"/>.
/// </summary>
public sealed class ClipStore(CatalogDatabase db)
{
    internal const string ClipColumns = """
        id, recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id,
        state, pulled_bytes, attempts, vault_path, stored_sha256, last_error, updated_at, custody_index, manifest_path,
        recorder_signature, hold, release_requested_at, release_requested_index, left_recorder_at, purged_at, purged_index,
        config_version, config_sha256
        """;

    public const int MaxPageSize = 500;

    /// <summary>Records a clip the recorder listed (once; later listings return the existing row).
    /// A clip id reused with other content is an error, and the new content stays on the recorder.
    /// An empty SHA-256 means the recorder states none yet (mass storage): the reference hash is set by
    /// <see cref="SetReferenceHashAsync"/> just before the pull, and later listings compare sizes only.</summary>
    /// <summary>The id the recorder knows a catalogued clip by: its catalog id up to the generation mark.</summary>
    public static string DeviceClipId(string catalogClipId) => Evidence.ClipIds.DeviceClipId(catalogClipId);

    public async Task<ClipRecord?> GetClipAsync(long id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryClipsAsync(c, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<ClipRecord?> FindClipAsync(string serial, string clipId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryClipsAsync(c, "WHERE recorder_serial = $serial AND clip_id = $clip", cancellationToken, ("$serial", serial), ("$clip", clipId))
            .ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<ClipRecord>> ListClipsAsync(string? serial, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return serial is null
            ? await QueryClipsAsync(c, "ORDER BY recorder_serial, clip_id", cancellationToken).ConfigureAwait(false)
            : await QueryClipsAsync(c, "WHERE recorder_serial = $serial ORDER BY clip_id", cancellationToken, ("$serial", serial)).ConfigureAwait(false);
    }

    /// <summary>(serial, clip id) of every clip the catalog knows.</summary>
    public async Task<IReadOnlySet<(string Serial, string ClipId)>> ClipKeysAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryAsync(c, null, "SELECT recorder_serial, clip_id FROM clips;", reader => (reader.GetString(0), reader.GetString(1)),
            cancellationToken).ConfigureAwait(false)).ToHashSet();
    }

    public async Task<Paged<ClipRecord>> SearchClipsAsync(ClipFilter filter, int page, int pageSize, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        if (filter.Serial is { } serial) { where.Add("recorder_serial = $serial"); parameters.Add(("$serial", serial)); }
        if (filter.State is { } state) { where.Add("state = $state"); parameters.Add(("$state", state.ToDb())); }
        if (filter.OfficerId is { } officer) { where.Add("officer_id = $officer"); parameters.Add(("$officer", officer)); }
        // Device times are stored as round-trip ISO strings at offset +00:00 (Time), which sort as text.
        if (filter.From is { } from) { where.Add("device_start >= $from"); parameters.Add(("$from", Time(from.ToUnixTimeMilliseconds()))); }
        if (filter.To is { } to) { where.Add("device_start < $to"); parameters.Add(("$to", Time(to.ToUnixTimeMilliseconds()))); }
        // uploads.clip_row is UNIQUE, so this is one index look-up per clip.
        if (filter.Cloud is CloudState.None) where.Add("NOT EXISTS (SELECT 1 FROM uploads u WHERE u.clip_row = clips.id)");
        else if (filter.Cloud is { } cloud)
        {
            where.Add("EXISTS (SELECT 1 FROM uploads u WHERE u.clip_row = clips.id AND u.state = $cloud)");
            parameters.Add(("$cloud", cloud.ToString().ToLowerInvariant()));
        }
        if (filter.Levels is { } levels)
        {
            // Above the searcher's clearance, a clip is not in their results at all (R6), not merely hidden on the page.
            where.Add("COALESCE((SELECT s.level FROM clip_sensitivity s WHERE s.clip_row = clips.id), 'none') IN (SELECT value FROM json_each($levels))");
            parameters.Add(("$levels", System.Text.Json.JsonSerializer.Serialize(levels)));
        }
        var clause = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var total = (long)(await ScalarAsync(c, null, $"SELECT count(*) FROM clips {clause};", cancellationToken, [.. parameters]).ConfigureAwait(false))!;
        var rows = await QueryClipsAsync(c, $"{clause} ORDER BY id DESC LIMIT $limit OFFSET $offset", cancellationToken,
            [.. parameters, ("$limit", pageSize), ("$offset", (long)(page - 1) * pageSize)]).ConfigureAwait(false);
        return new Paged<ClipRecord>(rows, page, pageSize, total);
    }

    public async Task<IReadOnlyDictionary<string, long>> CountClipsByStateAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var counts = await QueryAsync(c, null, "SELECT state, count(*) FROM clips GROUP BY state;", r => (State: r.GetString(0), Count: r.GetInt64(1)),
            cancellationToken).ConfigureAwait(false);
        return counts.ToDictionary(x => x.State, x => x.Count, StringComparer.Ordinal);
    }

    public async Task<IReadOnlyList<(DateTimeOffset At, ClipState State, string? Detail)>> ClipHistoryAsync(long id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT at, state, detail FROM clip_events WHERE clip_row = $id ORDER BY id;", reader => (ParseTime(reader.GetString(0)), ClipStates.FromDb(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2)),
            cancellationToken, ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>Where the clip's vault copy and manifest are (relative to the data directory), after the vault layout changed.</summary>
    public async Task SetVaultPathsAsync(long id, string? vaultPath, string? manifestPath, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE clips SET vault_path = $path, manifest_path = $manifest WHERE id = $id;", cancellationToken,
            ("$path", vaultPath), ("$manifest", manifestPath), ("$id", id)).ConfigureAwait(false);
    }

    public async Task SetManifestAsync(long id, long custodyIndex, string manifestPath, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE clips SET custody_index = $idx, manifest_path = $path, updated_at = $now WHERE id = $id;", cancellationToken,
            ("$idx", custodyIndex), ("$path", manifestPath), ("$now", db.Now()), ("$id", id)).ConfigureAwait(false);
    }

    public async Task RecordErrorAsync(long id, string error, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE clips SET last_error = $error, updated_at = $now WHERE id = $id;", cancellationToken,
            ("$error", error), ("$now", db.Now()), ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>Keeps the recorder's record-time signature (hex) with the clip, as it came in CLIP_INFO.</summary>
    public async Task SetRecorderSignatureAsync(long id, string? signatureHex, CancellationToken cancellationToken, string? officerId = null,
        long? configVersion = null, string? configSha256 = null)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            UPDATE clips SET recorder_signature = $sig, officer_id = COALESCE($officer, officer_id), config_version = $cv, config_sha256 = $cs WHERE id = $id;
            """, cancellationToken, ("$sig", signatureHex), ("$officer", officerId), ("$cv", configVersion), ("$cs", configSha256), ("$id", id)).ConfigureAwait(false);
    }

    internal static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("O");

    internal static string HoldToDb(ClipHold hold) => hold switch
    {
        ClipHold.UntrustedRecorder => "untrusted-recorder",
        _ => "bad-record-signature",
    };

    internal static ClipHold? HoldFromDb(string value) => value switch
    {
        "untrusted-recorder" => ClipHold.UntrustedRecorder,
        "bad-record-signature" => ClipHold.BadRecordSignature,
        _ => null,
    };

    internal static Task<List<ClipRecord>> QueryClipsAsync(SqliteConnection c, string where, CancellationToken cancellationToken,
        params (string, object?)[] parameters) => QueryClipsInAsync(c, null, where, cancellationToken, parameters);

    internal static Task<List<ClipRecord>> QueryClipsInAsync(SqliteConnection c, SqliteTransaction? tx, string where, CancellationToken cancellationToken,
        params (string, object?)[] parameters) =>
        QueryAsync(c, tx, $"SELECT {ClipColumns} FROM clips {where};", ReadClip, cancellationToken, parameters);

    /// <summary>One clip row, read in <see cref="ClipColumns"/> order.</summary>
    internal static ClipRecord ReadClip(SqliteDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                ParseTime(reader.GetString(5)), ParseTime(reader.GetString(6)), (ClipFlags)reader.GetInt32(7), reader.GetString(8),
                ClipStates.FromDb(reader.GetString(9)), reader.GetInt64(10), reader.GetInt32(11),
        reader.IsDBNull(12) ? null : reader.GetString(12), reader.IsDBNull(13) ? null : reader.GetString(13),
        reader.IsDBNull(14) ? null : reader.GetString(14), ParseTime(reader.GetString(15)),
        reader.IsDBNull(16) ? null : reader.GetInt64(16), reader.IsDBNull(17) ? null : reader.GetString(17),
        reader.IsDBNull(18) ? null : reader.GetString(18), reader.IsDBNull(19) ? null : HoldFromDb(reader.GetString(19)),
        reader.IsDBNull(20) ? null : ParseTime(reader.GetString(20)), reader.IsDBNull(21) ? null : reader.GetInt64(21),
        reader.IsDBNull(22) ? null : ParseTime(reader.GetString(22)), reader.IsDBNull(23) ? null : ParseTime(reader.GetString(23)),
        reader.IsDBNull(24) ? null : reader.GetInt64(24))
    {
        ConfigVersion = reader.IsDBNull(25) ? null : reader.GetInt64(25),
        ConfigSha256 = reader.IsDBNull(26) ? null : reader.GetString(26),
    };
}
