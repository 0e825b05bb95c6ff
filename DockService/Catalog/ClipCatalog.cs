using System.Globalization;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Microsoft.Data.Sqlite;

namespace Dock.Service.Catalog;

/// <summary>
/// The dock's journal: SQLite in WAL mode with synchronous=FULL, so a state change that returned is
/// on disk. After a crash the service resumes from here with no clip lost and none duplicated.
/// Each call opens a pooled connection, so the catalog is safe to use from every bay at once.
/// </summary>
public sealed partial class ClipCatalog
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    private ClipCatalog(string path, TimeProvider time)
    {
        Path = path;
        _time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Opens (creating if needed) and migrates the catalog. Throws <see cref="CatalogException"/>
    /// when the file is not a catalog or comes from a newer Dock.</summary>
    /// <remarks>With <paramref name="check"/> (the service at start) SQLite's quick_check reads the whole file first: a
    /// damaged catalog stops the start with <see cref="CatalogDamagedException"/> instead of failing later, clip by clip.</remarks>
    public static async Task<ClipCatalog> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken, bool check = false)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var catalog = new ClipCatalog(path, time);
        try
        {
            if (check && File.Exists(path) && await catalog.CheckIntegrityAsync(full: false, cancellationToken).ConfigureAwait(false) is { Count: > 0 } problems)
                throw Damaged(path, string.Join("; ", problems.Take(3)));
            await catalog.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (IsDamage(ex))
        {
            throw Damaged(path, ex.Message);
        }
        catch (SqliteException ex)
        {
            throw new CatalogException($"The catalog {path} cannot be opened: {ex.Message}", ex);
        }
        return catalog;
    }

    /// <summary>The message for a damaged catalog: what SQLite found, and what a person does about it.</summary>
    public static CatalogDamagedException Damaged(string path, string problem) => new(
        $"The catalog {path} is damaged ({problem}). The dock stops rather than work on it. Keep the file for investigation and stop the " +
        "dock; then put back catalog.db from a backup (or move it aside to start an empty one) and run `dock log recover --data " +
        $"{System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))}`: the custody journal beside it restores the custody log and the clip records it speaks for.");

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        long version = (long)(await ScalarAsync(connection, null, "PRAGMA user_version;", cancellationToken).ConfigureAwait(false))!;
        if (version > Migrations.All.Length)
            throw new CatalogException($"The catalog {Path} has schema version {version}, newer than this Dock ({Migrations.All.Length}). Upgrade Dock.");
        for (long v = version; v < Migrations.All.Length; v++)
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, tx, Migrations.All[v], cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, tx, $"PRAGMA user_version = {v + 1};", cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// SQLite's own check of the file: <c>quick_check</c> (pages and b-trees, in about the time of a full read) or, with
    /// <paramref name="full"/>, <c>integrity_check</c> (indexes too). Returns the problems found, none when it is sound.
    /// A file too damaged to open reports that as its problem.
    /// </summary>
    public async Task<IReadOnlyList<string>> CheckIntegrityAsync(bool full, CancellationToken cancellationToken)
    {
        try
        {
            await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = Command(c, null, full ? "PRAGMA integrity_check(20);" : "PRAGMA quick_check(20);");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var lines = new List<string>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) lines.Add(reader.GetString(0));
            return lines is ["ok"] ? [] : lines;
        }
        catch (SqliteException ex) when (IsDamage(ex))
        {
            return [ex.Message];
        }
    }

    /// <summary>SQLITE_CORRUPT or SQLITE_NOTADB: the file is damaged, and retrying will not help.</summary>
    public static bool IsDamage(Exception ex) => ex is SqliteException { SqliteErrorCode: 11 or 26 };

    /// <summary>
    /// After a catalog error that is not plainly damage (a row that "vanished", a constraint that cannot fail, a short read):
    /// damaged pages can read as wrong data rather than as SQLITE_CORRUPT, so quick_check the file, and throw
    /// <see cref="CatalogDamagedException"/> if it is damaged; otherwise return (the caller retries as before).
    /// </summary>
    public async Task ThrowIfDamagedAsync(Exception error, CancellationToken cancellationToken)
    {
        if (IsDamage(error)) throw Damaged(Path, error.Message);
        if (error is not (CatalogException or SqliteException) || error is CatalogDamagedException) return;
        if (await CheckIntegrityAsync(full: false, cancellationToken).ConfigureAwait(false) is { Count: > 0 } problems)
            throw Damaged(Path, string.Join("; ", problems.Take(3)));
    }

    public async Task UpsertBayAsync(string bayId, string endpoint, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            INSERT INTO bays(bay_id, endpoint, updated_at) VALUES ($id, $endpoint, $now)
            ON CONFLICT(bay_id) DO UPDATE SET endpoint = excluded.endpoint, updated_at = excluded.updated_at;
            """, cancellationToken, ("$id", bayId), ("$endpoint", endpoint), ("$now", Now())).ConfigureAwait(false);
    }

    public async Task UpsertRecorderAsync(Info info, byte[] publicKey, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            INSERT INTO recorders(serial, model, firmware, officer_id, key_fingerprint, public_key, first_seen, last_seen)
            VALUES ($serial, $model, $firmware, $officer, $fp, $key, $now, $now)
            ON CONFLICT(serial) DO UPDATE SET model = excluded.model, firmware = excluded.firmware,
                officer_id = excluded.officer_id, key_fingerprint = excluded.key_fingerprint,
                public_key = excluded.public_key, last_seen = excluded.last_seen;
            """, cancellationToken, ("$serial", info.Serial), ("$model", info.Model), ("$firmware", info.Firmware),
            ("$officer", info.OfficerId), ("$fp", publicKey.Length == 0 ? RecorderKeyRecord.Keyless : Ed25519Key.Fingerprint(publicKey)), ("$key", publicKey), ("$now", Now()))
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a docking session, or reopens this recorder's last one in this bay when it ended by an error less than
    /// <paramref name="rejoinWithin"/> ago: a recorder whose link keeps dropping is one docking with interruptions, not a row per
    /// reconnect (what it can write is bounded). The interruptions are kept in the row's end reason.
    /// </summary>
    public async Task<long> StartSessionAsync(string bayId, string serial, CancellationToken cancellationToken, TimeSpan? rejoinWithin = null)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (rejoinWithin is { } window)
        {
            var since = (_time.GetUtcNow() - window).ToString("O", CultureInfo.InvariantCulture);
            if (await ScalarAsync(c, null, """
                UPDATE docking_sessions SET ended_at = NULL, end_reason = 'rejoined after: ' || substr(end_reason, 1, 300)
                WHERE id = (SELECT id FROM docking_sessions WHERE bay_id = $bay AND recorder_serial = $serial ORDER BY id DESC LIMIT 1)
                  AND ended_at >= $since AND end_reason LIKE 'ended by error%'
                RETURNING id;
                """, cancellationToken, ("$bay", bayId), ("$serial", serial), ("$since", since)).ConfigureAwait(false) is long rejoined)
                return rejoined;
        }
        return (long)(await ScalarAsync(c, null, """
            INSERT INTO docking_sessions(bay_id, recorder_serial, started_at) VALUES ($bay, $serial, $now) RETURNING id;
            """, cancellationToken, ("$bay", bayId), ("$serial", serial), ("$now", Now())).ConfigureAwait(false))!;
    }

    public async Task SetClockOffsetAsync(long sessionId, TimeSpan offset, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE docking_sessions SET clock_offset_ms = $offset WHERE id = $id;", cancellationToken,
            ("$offset", (long)offset.TotalMilliseconds), ("$id", sessionId)).ConfigureAwait(false);
    }

    public async Task EndSessionAsync(long sessionId, string reason, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // The last reason first, then (bounded) what a rejoined docking went through before.
        await ExecAsync(c, null, """
            UPDATE docking_sessions SET ended_at = $now, end_reason = $reason || COALESCE(' (' || substr(end_reason, 1, 300) || ')', '')
            WHERE id = $id AND ended_at IS NULL;
            """,
            cancellationToken, ("$now", Now()), ("$reason", reason), ("$id", sessionId)).ConfigureAwait(false);
    }

    /// <summary>Closes sessions a crash left open, so the history never shows a recorder docked forever.</summary>
    public async Task EndOrphanSessionsAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE docking_sessions SET ended_at = $now, end_reason = 'dock restarted' WHERE ended_at IS NULL;",
            cancellationToken, ("$now", Now())).ConfigureAwait(false);
    }

    /// <summary>Records a battery sample, unless this recorder has one younger than <paramref name="minInterval"/> (a recorder
    /// that reconnects every second must not write a sample each time). Returns whether it was written.</summary>
    public async Task<bool> AddBatterySampleAsync(long sessionId, string serial, Power power, CancellationToken cancellationToken, TimeSpan? minInterval = null)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var since = (_time.GetUtcNow() - (minInterval ?? TimeSpan.Zero)).ToString("O", CultureInfo.InvariantCulture);
        return await ExecAsync(c, null, """
            INSERT INTO battery_samples(session_id, recorder_serial, at, percent, millivolts, charge_state, temperature_dc, cycle_count, health_percent)
            SELECT $session, $serial, $now, $percent, $mv, $state, $temp, $cycles, $health
            WHERE $interval = 0 OR NOT EXISTS (SELECT 1 FROM battery_samples WHERE recorder_serial = $serial AND at > $since);
            """, cancellationToken, ("$session", sessionId), ("$serial", serial), ("$now", Now()), ("$since", since),
            ("$interval", minInterval is { } m && m > TimeSpan.Zero ? 1 : 0), ("$percent", (int)power.Percent),
            ("$mv", (int)power.Millivolts), ("$state", power.State.ToString().ToLowerInvariant()), ("$temp", (int)power.TemperatureDeciC),
            ("$cycles", (int)power.CycleCount), ("$health", (int)power.HealthPercent)).ConfigureAwait(false) == 1;
    }

    internal string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // Durability over speed: the catalog is written a few times per clip, not per chunk.
        await ExecAsync(connection, null, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", cancellationToken).ConfigureAwait(false);
        return connection;
    }

    internal static async Task<int> ExecAsync(SqliteConnection connection, SqliteTransaction? tx, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    internal static string Hex(byte[] hash) => Sha256.ToHex(hash);
}

/// <summary>The catalog cannot be used: corrupt, locked, behind its own custody journal, or from a newer Dock.</summary>
public class CatalogException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>SQLite reports the catalog file damaged (SQLITE_CORRUPT, SQLITE_NOTADB, or a failed quick_check).</summary>
public sealed class CatalogDamagedException(string message) : CatalogException(message);
