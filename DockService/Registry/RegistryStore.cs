using System.Globalization;
using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Registry;

/// <summary>The registry's rows: units, officers, registered recorders. Changes are made by <see cref="Rosters"/>, each inside the transaction of
/// its custody entry.</summary>
public sealed class RegistryStore(CatalogDatabase db)
{
    public async Task<IReadOnlyList<Unit>> UnitsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT id, name FROM units ORDER BY id;", r => new Unit(r.GetString(0), r.GetString(1)), cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Officer>> OfficersAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT badge, name, unit_id, role, certificate, certificate_expires FROM officers ORDER BY badge;",
            r => new Officer(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3) == "officer" ? OfficerRole.Officer : OfficerRole.Auxiliary,
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : DateOnly.ParseExact(r.GetString(5), "yyyy-MM-dd", CultureInfo.InvariantCulture)),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RegisteredRecorder>> RecordersAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT serial, model, firmware, status, home_unit, officer FROM recorder_registry ORDER BY serial;",
            r => new RegisteredRecorder(r.GetString(0), r.GetString(1), r.GetString(2),
                RegistryNames.TryStatus(r.GetString(3), out var status) ? status : RecorderStatus.InService, r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5)),
            cancellationToken).ConfigureAwait(false);
    }

    internal static Task<int> UpsertAsync(SqliteConnection c, SqliteTransaction tx, Unit unit, DateTimeOffset at, CancellationToken cancellationToken) =>
        ExecAsync(c, tx, """
            INSERT INTO units(id, name, updated_at) VALUES ($id, $name, $at)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at;
            """, cancellationToken, ("$id", unit.Id), ("$name", unit.Name), ("$at", Iso(at)));

    internal static Task<int> UpsertAsync(SqliteConnection c, SqliteTransaction tx, Officer officer, DateTimeOffset at, CancellationToken cancellationToken) =>
        ExecAsync(c, tx, """
            INSERT INTO officers(badge, name, unit_id, role, certificate, certificate_expires, updated_at) VALUES ($badge, $name, $unit, $role, $cert, $expires, $at)
            ON CONFLICT(badge) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id, role = excluded.role, certificate = excluded.certificate,
                certificate_expires = excluded.certificate_expires, updated_at = excluded.updated_at;
            """, cancellationToken, ("$badge", officer.Badge), ("$name", officer.Name), ("$unit", officer.UnitId), ("$role", officer.Role.Name()),
            ("$cert", officer.Certificate), ("$expires", officer.CertificateExpires is { } d ? RegistryNames.Day(d) : null), ("$at", Iso(at)));

    internal static Task<int> UpsertAsync(SqliteConnection c, SqliteTransaction tx, RegisteredRecorder recorder, DateTimeOffset at, CancellationToken cancellationToken) =>
        ExecAsync(c, tx, """
            INSERT INTO recorder_registry(serial, model, firmware, status, home_unit, officer, updated_at)
            VALUES ($serial, $model, $firmware, $status, $unit, $officer, $at)
            ON CONFLICT(serial) DO UPDATE SET model = excluded.model, firmware = excluded.firmware, status = excluded.status, home_unit = excluded.home_unit,
                officer = excluded.officer, updated_at = excluded.updated_at;
            """, cancellationToken, ("$serial", recorder.Serial), ("$model", recorder.Model), ("$firmware", recorder.Firmware), ("$status", recorder.Status.Name()),
            ("$unit", recorder.HomeUnit), ("$officer", recorder.Officer), ("$at", Iso(at)));

    private static string Iso(DateTimeOffset at) => at.ToString("O", CultureInfo.InvariantCulture);
}
