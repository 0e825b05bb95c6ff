using System.Globalization;
using Dock.Service.Catalog;
using Dock.Service.Registry;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Equipment;

/// <summary>A checkout: who took which camera from which bay, when it is due back, and when and how it came back (null while out).</summary>
public sealed record CheckoutRecord(long Id, string Serial, string Badge, string UnitId, string Mode, string BayId, long DockingSession, string? AccompaniedBy,
    DateTimeOffset OutAt, long OutIndex, DateTimeOffset DueAt, DateTimeOffset? InAt, long? InIndex, string? InHow)
{
    public bool Open => InAt is null;
}

/// <summary>A unit's figures as recorded when they changed.</summary>
public sealed record ComplianceRecord(string Unit, DateTimeOffset At, int Officers, int Serviceable, int Spare, int Ready, bool Compliant, string Problems);

/// <summary>The equipment rows: checkouts and each unit's compliance history, and the facts about cameras that readiness is judged from.
/// Checkouts are written only inside the transaction of their custody entry (<see cref="Checkouts"/>).</summary>
public sealed class EquipmentStore(CatalogDatabase db)
{
    private const string CheckoutColumns =
        "id, recorder_serial, officer_badge, unit_id, mode, bay_id, docking_session, accompanied_by, out_at, out_index, due_at, in_at, in_index, in_how";

    private static CheckoutRecord ReadCheckout(SqliteDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
        r.GetString(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetString(7), ParseTime(r.GetString(8)), r.GetInt64(9), ParseTime(r.GetString(10)),
        r.IsDBNull(11) ? null : ParseTime(r.GetString(11)), r.IsDBNull(12) ? null : r.GetInt64(12), r.IsDBNull(13) ? null : r.GetString(13));

    public async Task<IReadOnlyList<CheckoutRecord>> OpenCheckoutsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, $"SELECT {CheckoutColumns} FROM checkouts WHERE in_at IS NULL ORDER BY out_at;", ReadCheckout, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Checkouts that began in [from, to), newest first, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<CheckoutRecord>> CheckoutsAsync(DateTimeOffset from, DateTimeOffset to, int limit, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, $"SELECT {CheckoutColumns} FROM checkouts WHERE out_at >= $from AND out_at < $to ORDER BY out_at DESC LIMIT $limit;",
            ReadCheckout, cancellationToken, ("$from", Iso(from)), ("$to", Iso(to)), ("$limit", limit)).ConfigureAwait(false);
    }

    internal static async Task<long> InsertCheckoutAsync(SqliteConnection c, SqliteTransaction tx, string serial, string badge, string unit, string mode,
        string bayId, long dockingSession, string? accompaniedBy, DateTimeOffset outAt, long outIndex, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        await ExecAsync(c, tx, """
            INSERT INTO checkouts(recorder_serial, officer_badge, unit_id, mode, bay_id, docking_session, accompanied_by, out_at, out_index, due_at)
            VALUES ($serial, $badge, $unit, $mode, $bay, $session, $with, $out, $index, $due);
            """, cancellationToken, ("$serial", serial), ("$badge", badge), ("$unit", unit), ("$mode", mode), ("$bay", bayId), ("$session", dockingSession),
            ("$with", accompaniedBy),
            ("$out", Iso(outAt)), ("$index", outIndex), ("$due", Iso(dueAt))).ConfigureAwait(false);
        return (long)(await ScalarAsync(c, tx, "SELECT last_insert_rowid();", cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Closes the open checkout of a camera; false when it has none (closed meanwhile).</summary>
    internal static async Task<bool> CloseCheckoutAsync(SqliteConnection c, SqliteTransaction tx, long id, DateTimeOffset inAt, long inIndex, string how,
        CancellationToken cancellationToken) =>
        await ExecAsync(c, tx, "UPDATE checkouts SET in_at = $at, in_index = $index, in_how = $how WHERE id = $id AND in_at IS NULL;", cancellationToken,
            ("$at", Iso(inAt)), ("$index", inIndex), ("$how", how), ("$id", id)).ConfigureAwait(false) == 1;

    /// <summary>What readiness is judged from, for every camera registered or ever docked: the registry row, the open docking (bay), the latest
    /// battery sample of a docked camera, footage not yet released, storage at its latest docking, an active enrolment, and who holds it. The live dock refines Busy and Trusted from what its bays see now.</summary>
    public async Task<IReadOnlyList<CameraFacts>> CameraFactsAsync(IReadOnlyList<RegisteredRecorder> registry, bool releasesVerified,
        CancellationToken cancellationToken)
    {
        // Each camera's last docking (open: it is in that bay), its latest battery sample and its storage then: one indexed read for all.
        var last = (await new DockingStore(db).LastDockingsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(d => d.Serial, StringComparer.Ordinal);
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Footage still on the camera that the dock means to take off it: not yet safe in the vault, held, or verified and awaiting release
        // (unless the release policy is never to release: then the camera keeps its copies by design).
        var pending = (await QueryAsync(c, null, $"""
            SELECT recorder_serial, COUNT(*) FROM clips
            WHERE state IN ('announced', 'pulling', 'stored', 'quarantined'){(releasesVerified ? " OR state = 'verified'" : "")}
            GROUP BY recorder_serial;
            """, r => (Serial: r.GetString(0), Count: r.GetInt32(1)), cancellationToken).ConfigureAwait(false)).ToDictionary(p => p.Serial, p => p.Count, StringComparer.Ordinal);
        var trusted = (await QueryAsync(c, null, "SELECT serial FROM recorder_keys WHERE revoked_at IS NULL;", r => r.GetString(0), cancellationToken)
            .ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var holders = (await QueryAsync(c, null, "SELECT recorder_serial, officer_badge FROM checkouts WHERE in_at IS NULL;",
            r => (Serial: r.GetString(0), Badge: r.GetString(1)), cancellationToken).ConfigureAwait(false)).ToDictionary(h => h.Serial, h => h.Badge, StringComparer.Ordinal);
        var bySerial = registry.ToDictionary(r => r.Serial, StringComparer.Ordinal);
        var facts = new List<CameraFacts>();
        foreach (var serial in bySerial.Keys.Union(last.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var docking = last.GetValueOrDefault(serial);
            string? bay = docking is { StartedAt: not null, EndedAt: null } ? docking.BayId : null;
            double? free = docking is { StorageTotal: > 0 and var total, StorageFree: { } left } ? Math.Clamp((double)left / total, 0, 1) : null;
            facts.Add(new CameraFacts(serial, bySerial.GetValueOrDefault(serial), bay, Busy: false, trusted.Contains(serial), bay is null ? null : docking!.BatteryPercent,
                pending.GetValueOrDefault(serial), free, holders.GetValueOrDefault(serial)));
        }
        return facts;
    }

    /// <summary>Each unit's latest recorded figures.</summary>
    public async Task<IReadOnlyDictionary<string, ComplianceRecord>> LatestComplianceAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(c, null, """
            SELECT unit_id, at, officers, serviceable, spare, ready, compliant, problems FROM unit_compliance
            WHERE id IN (SELECT MAX(id) FROM unit_compliance GROUP BY unit_id);
            """, ReadCompliance, cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Unit, StringComparer.Ordinal);
    }

    /// <summary>A unit's rows in [from, to), and the last row before <paramref name="from"/> (the state the period began in), oldest first.</summary>
    public async Task<IReadOnlyList<ComplianceRecord>> ComplianceHistoryAsync(string unit, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var before = await QueryAsync(c, null, """
            SELECT unit_id, at, officers, serviceable, spare, ready, compliant, problems FROM unit_compliance
            WHERE unit_id = $u AND at < $from ORDER BY at DESC LIMIT 1;
            """, ReadCompliance, cancellationToken, ("$u", unit), ("$from", Iso(from))).ConfigureAwait(false);
        var within = await QueryAsync(c, null, """
            SELECT unit_id, at, officers, serviceable, spare, ready, compliant, problems FROM unit_compliance
            WHERE unit_id = $u AND at >= $from AND at < $to ORDER BY at LIMIT 100000;
            """, ReadCompliance, cancellationToken, ("$u", unit), ("$from", Iso(from)), ("$to", Iso(to))).ConfigureAwait(false);
        return [.. before, .. within];
    }

    public async Task AddComplianceAsync(IReadOnlyList<ComplianceRecord> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
            await ExecAsync(c, tx, """
                INSERT INTO unit_compliance(unit_id, at, officers, serviceable, spare, ready, compliant, problems)
                VALUES ($u, $at, $o, $s, $sp, $r, $c, $p);
                """, cancellationToken, ("$u", row.Unit), ("$at", Iso(row.At)), ("$o", row.Officers), ("$s", row.Serviceable), ("$sp", row.Spare),
                ("$r", row.Ready), ("$c", row.Compliant ? 1 : 0), ("$p", row.Problems)).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
    }

    private static ComplianceRecord ReadCompliance(SqliteDataReader r) => new(r.GetString(0), ParseTime(r.GetString(1)), r.GetInt32(2), r.GetInt32(3),
        r.GetInt32(4), r.GetInt32(5), r.GetInt64(6) == 1, r.GetString(7));

    private static string Iso(DateTimeOffset at) => at.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}
