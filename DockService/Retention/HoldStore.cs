using System.Globalization;
using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Retention;

/// <summary>A legal hold, known by the index of the custody entry that placed it: on one clip, or on every clip whose case-number tag is <see cref="CaseNumber"/> (now or tagged later). It stands
/// until lifted; while it does, nothing it covers is purged.</summary>
public sealed record LegalHold(long Id, long? ClipRow, string? Serial, string? ClipId, string? CaseNumber, string Reason, string PlacedBy,
    DateTimeOffset PlacedAt, string? LiftedBy = null, DateTimeOffset? LiftedAt = null, string? LiftReason = null, long? LiftedIndex = null)
{
    public bool Active => LiftedAt is null;

    /// <summary>What it covers, in words: "case A-17" or "clip SERIAL/CLIP".</summary>
    public string Covers => CaseNumber is { } number ? $"case {number}" : $"clip {Serial}/{ClipId}";
}

/// <summary>The legal-holds aggregate (<c>legal_holds</c>). Placing and lifting happen in the transaction of their custody entry
/// (<see cref="LegalHolds"/>); the purge asks, in its own entry's transaction, whether a hold covers a clip.</summary>
public sealed class HoldStore(CatalogDatabase db)
{
    private const string Columns = """
        h.id, h.clip_row, c.recorder_serial, c.clip_id, h.case_number, h.reason, h.placed_by, h.placed_at,
        h.lifted_by, h.lifted_at, h.lift_reason, h.lifted_index
        """;

    public const int MaxListed = 1000;

    public async Task<LegalHold?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(c, null, $"SELECT {Columns} FROM legal_holds h LEFT JOIN clips c ON c.id = h.clip_row WHERE h.id = $id;", Read,
            cancellationToken, ("$id", id)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The newest holds first (standing ones only, unless <paramref name="lifted"/>), at most <see cref="MaxListed"/>.</summary>
    public async Task<IReadOnlyList<LegalHold>> ListAsync(bool lifted, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, $"""
            SELECT {Columns} FROM legal_holds h LEFT JOIN clips c ON c.id = h.clip_row
            WHERE $lifted OR h.lifted_at IS NULL ORDER BY h.id DESC LIMIT {MaxListed};
            """, Read, cancellationToken, ("$lifted", lifted)).ConfigureAwait(false);
    }

    /// <summary>The standing holds that cover a clip: on it, or on the case number it is tagged with.</summary>
    public async Task<IReadOnlyList<LegalHold>> CoveringAsync(long clipRow, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await CoveringAsync(c, null, clipRow, cancellationToken).ConfigureAwait(false);
    }

    internal static Task<List<LegalHold>> CoveringAsync(SqliteConnection c, SqliteTransaction? tx, long clipRow, CancellationToken cancellationToken) =>
        QueryAsync(c, tx, $"""
            SELECT {Columns} FROM legal_holds h LEFT JOIN clips c ON c.id = h.clip_row
            WHERE h.lifted_at IS NULL AND (h.clip_row = $row
               OR h.case_number = (SELECT value FROM clip_tags WHERE clip_row = $row AND field = 'case-number'))
            ORDER BY h.id;
            """, Read, cancellationToken, ("$row", clipRow));

    /// <summary>The SQL condition "a standing hold covers clip <c>c</c>", for queries over many clips.</summary>
    internal const string CoveredSql = """
        EXISTS (SELECT 1 FROM legal_holds h WHERE h.lifted_at IS NULL AND (h.clip_row = c.id
            OR h.case_number = (SELECT value FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'case-number')))
        """;

    /// <summary>Records the hold placed by custody entry <paramref name="index"/> (its id).</summary>
    internal static Task<int> InsertAsync(SqliteConnection c, SqliteTransaction tx, long index, long? clipRow, string? caseNumber, string reason, string actor,
        DateTimeOffset at, CancellationToken cancellationToken) =>
        ExecAsync(c, tx, """
            INSERT INTO legal_holds(id, clip_row, case_number, reason, placed_by, placed_at) VALUES ($idx, $row, $case, $reason, $by, $at);
            """, cancellationToken, ("$idx", index), ("$row", clipRow), ("$case", caseNumber), ("$reason", reason), ("$by", actor), ("$at", Iso(at)));

    /// <summary>Lifts a standing hold; a storage error (so the custody entry is undone) if someone lifted it meanwhile.</summary>
    internal static async Task LiftAsync(SqliteConnection c, SqliteTransaction tx, long id, string reason, string actor, DateTimeOffset at, long index,
        CancellationToken cancellationToken)
    {
        var changed = await ExecAsync(c, tx, """
            UPDATE legal_holds SET lifted_by = $by, lifted_at = $at, lift_reason = $reason, lifted_index = $idx WHERE id = $id AND lifted_at IS NULL;
            """, cancellationToken, ("$id", id), ("$by", actor), ("$at", Iso(at)), ("$reason", reason), ("$idx", index)).ConfigureAwait(false);
        if (changed == 0) throw new StorageException(StorageFailure.InvalidTransition, $"Hold {id} was lifted by someone else meanwhile.");
    }

    private static string Iso(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);

    private static LegalHold Read(SqliteDataReader r) => new(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetString(2),
        r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.GetString(6), ParseTime(r.GetString(7)),
        r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : ParseTime(r.GetString(9)), r.IsDBNull(10) ? null : r.GetString(10),
        r.IsDBNull(11) ? null : r.GetInt64(11));
}
