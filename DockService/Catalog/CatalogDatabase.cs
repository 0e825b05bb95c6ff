using System.Globalization;
using Dock.Crypto.Hashing;
using Microsoft.Data.Sqlite;

namespace Dock.Service.Catalog;

/// <summary>
/// The connection factory the catalog's stores share: one SQLite file in WAL mode with synchronous=FULL, so a change that
/// returned is on disk, and after a crash the service resumes from here with no clip lost and none duplicated. Each call
/// opens a pooled connection, so the stores are safe to use from every bay at once. Every SQLite call goes through the
/// helpers here, which translate <see cref="SqliteException"/> into <see cref="StorageException"/> with its failure kind.
/// </summary>
public sealed class CatalogDatabase
{
    private readonly string _connectionString;

    private CatalogDatabase(string path, TimeProvider time)
    {
        Path = path;
        Time = time;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public TimeProvider Time { get; }

    /// <summary>Opens (creating if needed) and migrates the catalog. Throws <see cref="StorageException"/> when the file is not a
    /// catalog (<see cref="StorageFailure.Schema"/>), comes from a newer Dock, or cannot be opened.</summary>
    /// <remarks>With <paramref name="check"/> (the service at start) SQLite's quick_check reads the whole file first: a
    /// damaged catalog stops the start (<see cref="StorageFailure.Damaged"/>) instead of failing later, clip by clip.</remarks>
    public static async Task<CatalogDatabase> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken, bool check = false)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var database = new CatalogDatabase(path, time);
        try
        {
            if (check && File.Exists(path) && await database.CheckIntegrityAsync(full: false, cancellationToken).ConfigureAwait(false) is { Count: > 0 } problems)
                throw Damaged(path, string.Join("; ", problems.Take(3)));
            await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.Kind == StorageFailure.Damaged && ex.InnerException is SqliteException inner)
        {
            throw Damaged(path, inner.Message);
        }
        catch (StorageException ex) when (ex.InnerException is SqliteException inner)
        {
            throw new StorageException(ex.Kind, $"The catalog {path} cannot be opened: {inner.Message}", inner);
        }
        return database;
    }

    /// <summary>The error for a damaged catalog: what SQLite found, and what a person does about it.</summary>
    public static StorageException Damaged(string path, string problem) => new(StorageFailure.Damaged,
        $"The catalog {path} is damaged ({problem}). The dock stops rather than work on it. Keep the file for investigation and stop the " +
        "dock; then put back catalog.db from a backup (or move it aside to start an empty one) and run `dock log recover --data " +
        $"{System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))}`: the custody journal beside it restores the custody log and the clip records it speaks for.");

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        long version = (long)(await ScalarAsync(connection, null, "PRAGMA user_version;", cancellationToken).ConfigureAwait(false))!;
        if (version > Migrations.All.Length)
            throw new StorageException(StorageFailure.Schema, $"The catalog {Path} has schema version {version}, newer than this Dock ({Migrations.All.Length}). Upgrade Dock.");
        for (long v = version; v < Migrations.All.Length; v++)
        {
            await using var tx = await BeginAsync(connection, cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, tx, Migrations.All[v], cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, tx, $"PRAGMA user_version = {v + 1};", cancellationToken).ConfigureAwait(false);
            await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
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
            var lines = await QueryAsync(c, null, full ? "PRAGMA integrity_check(20);" : "PRAGMA quick_check(20);", r => r.GetString(0),
                cancellationToken).ConfigureAwait(false);
            return lines is ["ok"] ? [] : lines;
        }
        catch (StorageException ex) when (ex.Kind == StorageFailure.Damaged)
        {
            return [ex.InnerException?.Message ?? ex.Message];
        }
    }

    /// <summary>
    /// After a catalog error that is not plainly damage (a row that "vanished", a constraint that cannot fail, a short read):
    /// damaged pages can read as wrong data rather than as SQLITE_CORRUPT, so quick_check the file, and throw a
    /// <see cref="StorageFailure.Damaged"/> error if it is damaged; otherwise return (the caller retries as before).
    /// </summary>
    public async Task ThrowIfDamagedAsync(Exception error, CancellationToken cancellationToken)
    {
        if (error is StorageException { Kind: StorageFailure.Damaged, InnerException: SqliteException inner }) throw Damaged(Path, inner.Message);
        if (error is not StorageException || StorageException.IsDamage(error)) return;
        if (await CheckIntegrityAsync(full: false, cancellationToken).ConfigureAwait(false) is { Count: > 0 } problems)
            throw Damaged(Path, string.Join("; ", problems.Take(3)));
    }

    internal string Now() => Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    internal static string Hex(byte[] hash) => Sha256.ToHex(hash);

    internal async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // Durability over speed: the catalog is written a few times per clip, not per chunk.
            await ExecAsync(connection, null, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            if (ex is SqliteException sqlite) throw StorageException.From(sqlite);
            throw;
        }
    }

    internal static async Task<SqliteTransaction> BeginAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            return (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw StorageException.From(ex);
        }
    }

    /// <summary>A deferred read transaction: one WAL snapshot that does not hold the write lock, so the dock keeps writing meanwhile.</summary>
    internal static SqliteTransaction BeginRead(SqliteConnection connection)
    {
        try
        {
            return connection.BeginTransaction(deferred: true);
        }
        catch (SqliteException ex)
        {
            throw StorageException.From(ex);
        }
    }

    internal static async Task CommitAsync(SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        try
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw StorageException.From(ex);
        }
    }

    internal static async Task<int> ExecAsync(SqliteConnection connection, SqliteTransaction? tx, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        try
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw StorageException.From(ex);
        }
    }

    internal static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        try
        {
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw StorageException.From(ex);
        }
    }

    /// <summary>Runs a query and maps each row with <paramref name="map"/> (the one reader loop of the stores).</summary>
    internal static async Task<List<T>> QueryAsync<T>(SqliteConnection connection, SqliteTransaction? tx, string sql, Func<SqliteDataReader, T> map,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<T>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(map(reader));
            return rows;
        }
        catch (SqliteException ex)
        {
            throw StorageException.From(ex);
        }
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
}
