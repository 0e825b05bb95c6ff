using Microsoft.Data.Sqlite;

namespace Dock.Service.Catalog;

/// <summary>What went wrong with the catalog, in the terms a caller decides on (retry, stop the dock, tell a person).</summary>
public enum StorageFailure
{
    /// <summary>The file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB, a failed quick_check): retrying will not help; the dock stops.</summary>
    Damaged,
    /// <summary>Another connection holds the lock past the busy timeout: retry later.</summary>
    Busy,
    /// <summary>The disk is full.</summary>
    Full,
    /// <summary>The file or its folder cannot be written (permissions, a read-only mount).</summary>
    ReadOnly,
    /// <summary>The file cannot be opened or read (missing folder, I/O error).</summary>
    Unavailable,
    /// <summary>A uniqueness or reference rule refused the change.</summary>
    Constraint,
    /// <summary>Not a catalog, or one from a newer Dock.</summary>
    Schema,
    /// <summary>The catalog disagrees with itself or with the custody journal (a row gone, a log behind its checkpoint).</summary>
    Inconsistent,
    /// <summary>A row the caller named does not exist.</summary>
    NotFound,
    /// <summary>A change the clip lifecycle does not allow from the clip's present state.</summary>
    InvalidTransition,
    /// <summary>Any other SQLite error.</summary>
    Other,
}

/// <summary>
/// The one exception the catalog's stores throw. <see cref="SqliteException"/> never leaves <see cref="CatalogDatabase"/>: it is
/// translated at that boundary, with its <see cref="Kind"/>, so callers decide on the kind rather than on SQLite's codes.
/// </summary>
public class StorageException(StorageFailure kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public StorageException(string message, Exception? inner = null) : this(StorageFailure.Inconsistent, message, inner)
    {
    }

    public StorageFailure Kind { get; } = kind;

    /// <summary>The catalog file is damaged: the error that stops a dock rather than being retried.</summary>
    public static bool IsDamage(Exception ex) => ex is StorageException { Kind: StorageFailure.Damaged } || ex is SqliteException { SqliteErrorCode: 11 or 26 };

    /// <summary>SQLite's primary result code (the low byte of an extended code) as a failure kind.</summary>
    public static StorageException From(SqliteException ex, string? path = null)
    {
        var kind = (ex.SqliteErrorCode & 0xFF) switch
        {
            11 or 26 => StorageFailure.Damaged,
            5 or 6 => StorageFailure.Busy,
            13 => StorageFailure.Full,
            8 or 23 => StorageFailure.ReadOnly,
            10 or 14 => StorageFailure.Unavailable,
            19 => StorageFailure.Constraint,
            _ => StorageFailure.Other,
        };
        var where = path is null ? "the catalog" : $"the catalog {path}";
        return new StorageException(kind, $"{where}: {ex.Message}", ex);
    }
}
