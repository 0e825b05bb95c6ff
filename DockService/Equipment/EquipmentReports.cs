using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Registry;

namespace Dock.Service.Equipment;

/// <summary>A unit's compliance now and over a period: today's figures against its policy, the share of the period it complied (from the
/// rows the running dock keeps whenever the figures change), how often it fell into breach, and each change (the first one may be from before
/// the period: the state it began in).</summary>
public sealed record UnitRatioReport(
    string Unit,
    string Name,
    int Officers,
    int Auxiliaries,
    int ServiceableRecorders,
    int SpareRecorders,
    int ReadyRecorders,
    int CheckedOut,
    double RequiredRatio,
    double? Ratio,
    int RequiredRecorders,
    int MinimumSpare,
    int MinimumReady,
    bool Compliant,
    IReadOnlyList<string> Problems,
    double? CompliantShare,
    int Breaches,
    IReadOnlyList<CompliancePoint> History);

public sealed record CompliancePoint(DateTimeOffset At, bool Compliant, int Officers, int Serviceable, int Spare, int Ready, string Problems);

/// <summary>An officer as listed: the registry row, whether the 执法证 is valid today, the camera they hold now and the one bound to them.</summary>
public sealed record OfficerListing(string Badge, string Name, string Unit, string Role, string? Certificate, string? CertificateExpiry,
    bool CertificateValid, string? Camera, string? BoundCamera);

/// <summary>Who holds what: every open checkout, and the checkouts of a period.</summary>
public sealed record AllocationReport(IReadOnlyList<AllocationRow> Now, IReadOnlyList<AllocationRow> History, IReadOnlyList<FixedBinding> Fixed);

public sealed record AllocationRow(string Serial, string Badge, string Officer, string Unit, string Mode, string Bay, string? AccompaniedBy,
    DateTimeOffset Out, DateTimeOffset Due, DateTimeOffset? In, string? How, bool Overdue);

public sealed record FixedBinding(string Serial, string Badge, string Officer);

/// <summary>Use of the equipment over a period: per officer and per unit, checkouts (how many, hours out, how many late) and the footage recorded
/// (clips, hours, bytes; by recording start).</summary>
public sealed record UsageReport(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<UsageRow> ByOfficer, IReadOnlyList<UsageRow> ByUnit, UsageRow Total);

public sealed record UsageRow(string Key, string Name, string Unit, int Checkouts, double HoursOut, int Late, int Clips, double FootageHours, long Bytes);

/// <summary>The equipment reports, read from the catalog (beside a running dock or without one): the same judgement as the running watch,
/// except that a camera's readiness comes from what the catalog last recorded of it rather than from the bays live.</summary>
public sealed class EquipmentReports(CatalogDatabase db, DockOptions options, TimeProvider time)
{
    private readonly RegistryStore _registry = new(db);
    private readonly EquipmentStore _store = new(db);

    public async Task<IReadOnlyList<OfficerListing>> OfficersAsync(CancellationToken cancellationToken)
    {
        var officers = await _registry.OfficersAsync(cancellationToken).ConfigureAwait(false);
        var recorders = await _registry.RecordersAsync(cancellationToken).ConfigureAwait(false);
        var open = (await _store.OpenCheckoutsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.Badge, c => c.Serial, StringComparer.Ordinal);
        var bound = recorders.Where(r => r.Officer is not null).GroupBy(r => r.Officer!).ToDictionary(g => g.Key, g => g.First().Serial, StringComparer.Ordinal);
        var today = DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        return [.. officers.Select(o => new OfficerListing(o.Badge, o.Name, o.UnitId, o.Role.Name(), o.Certificate,
            o.CertificateExpires is { } d ? RegistryNames.Day(d) : null, o.Certificate is not null && (o.CertificateExpires is not { } e || e >= today),
            open.GetValueOrDefault(o.Badge), bound.GetValueOrDefault(o.Badge)))];
    }

    public async Task<IReadOnlyList<UnitRatioReport>> RatioAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var units = await _registry.UnitsAsync(cancellationToken).ConfigureAwait(false);
        var officers = await _registry.OfficersAsync(cancellationToken).ConfigureAwait(false);
        var recorders = await _registry.RecordersAsync(cancellationToken).ConfigureAwait(false);
        var facts = await _store.CameraFactsAsync(recorders, options.ReleasePolicy != ReleasePolicy.Never, cancellationToken).ConfigureAwait(false);
        var ready = facts.Where(f => Readiness.IsReady(f, options.Equipment, options.StorageNearlyFullPercent)).Select(f => f.Serial).ToHashSet(StringComparer.Ordinal);
        var outSerials = (await _store.OpenCheckoutsAsync(cancellationToken).ConfigureAwait(false)).Select(c => c.Serial).ToHashSet(StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var end = to < now ? to : now;
        var reports = new List<UnitRatioReport>();
        foreach (var unit in RatioPolicy.Evaluate(units, officers, recorders, ready, outSerials, options.Equipment))
        {
            var rows = await _store.ComplianceHistoryAsync(unit.Unit, from, to, cancellationToken).ConfigureAwait(false);
            var (share, breaches) = Share(rows, from, end);
            reports.Add(new UnitRatioReport(unit.Unit, unit.Name, unit.Officers, unit.Auxiliaries, unit.ServiceableRecorders, unit.SpareRecorders,
                unit.ReadyRecorders, unit.CheckedOut, unit.Policy.Ratio, unit.Ratio, unit.RequiredRecorders, unit.Policy.MinimumSpare, unit.Policy.MinimumReady,
                unit.Compliant, unit.Problems, share, breaches,
                [.. rows.Select(r => new CompliancePoint(r.At, r.Compliant, r.Officers, r.Serviceable, r.Spare, r.Ready, r.Problems))]));
        }
        return reports;
    }

    /// <summary>The share of [from, end) a unit complied, from its rows (the last one before <paramref name="from"/> first, if any), and how many
    /// times it went into breach in that time. Null when nothing was recorded for any of it.</summary>
    public static (double? Share, int Breaches) Share(IReadOnlyList<ComplianceRecord> rows, DateTimeOffset from, DateTimeOffset end)
    {
        if (rows.Count == 0 || end <= from) return (null, 0);
        double compliant = 0, known = 0;
        int breaches = 0;
        bool? previous = null;
        for (int i = 0; i < rows.Count; i++)
        {
            var start = rows[i].At < from ? from : rows[i].At;
            var stop = i + 1 < rows.Count ? rows[i + 1].At : end;
            if (stop > end) stop = end;
            if (stop > start)
            {
                known += (stop - start).TotalSeconds;
                if (rows[i].Compliant) compliant += (stop - start).TotalSeconds;
            }
            if (!rows[i].Compliant && previous != false && rows[i].At < end) breaches++;
            previous = rows[i].Compliant;
        }
        return (known > 0 ? Math.Round(compliant / known, 4) : null, breaches);
    }

    public async Task<UsageReport> UsageAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var officers = (await _registry.OfficersAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(o => o.Badge, StringComparer.Ordinal);
        var units = (await _registry.UnitsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(u => u.Id, u => u.Name, StringComparer.Ordinal);
        var now = time.GetUtcNow();
        var checkouts = await _store.CheckoutsAsync(from, to, 100_000, cancellationToken).ConfigureAwait(false);
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Footage that reached the vault (the same as the footage statistics count), by the officer the camera recorded it for.
        var footage = await CatalogDatabase.QueryAsync(c, null, """
            SELECT officer_id, COUNT(*), SUM(MAX(0, (julianday(device_end) - julianday(device_start)) * 24.0)), SUM(size) FROM clips
            WHERE state IN ('stored', 'verified', 'released') AND device_start >= $from AND device_start < $to GROUP BY officer_id;
            """, r => (Officer: r.GetString(0), Clips: r.GetInt32(1), Hours: r.IsDBNull(2) ? 0 : r.GetDouble(2), Bytes: r.IsDBNull(3) ? 0 : r.GetInt64(3)),
            cancellationToken, ("$from", from.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            ("$to", to.ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture))).ConfigureAwait(false);
        var badges = checkouts.Select(k => k.Badge).Concat(footage.Select(f => f.Officer)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var byOfficer = badges.Select(badge =>
        {
            var mine = checkouts.Where(k => k.Badge == badge).ToList();
            var f = footage.FirstOrDefault(x => x.Officer == badge);
            var officer = officers.GetValueOrDefault(badge);
            return new UsageRow(badge.Length > 0 ? badge : "(no officer)", officer?.Name ?? "", officer?.UnitId ?? "(no unit)", mine.Count,
                Math.Round(mine.Sum(k => ((k.InAt ?? now) - k.OutAt).TotalHours), 2), mine.Count(k => (k.InAt ?? now) > k.DueAt + options.Equipment.DockWithin),
                f.Clips, Math.Round(f.Hours, 2), f.Bytes);
        }).ToList();
        UsageRow Sum(string key, string name, string unit, IEnumerable<UsageRow> rows)
        {
            var list = rows.ToList();
            return new UsageRow(key, name, unit, list.Sum(r => r.Checkouts), Math.Round(list.Sum(r => r.HoursOut), 2), list.Sum(r => r.Late), list.Sum(r => r.Clips),
                Math.Round(list.Sum(r => r.FootageHours), 2), list.Sum(r => r.Bytes));
        }
        var byUnit = byOfficer.GroupBy(r => r.Unit).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Sum(g.Key, units.GetValueOrDefault(g.Key, ""), g.Key, g)).ToList();
        return new UsageReport(from, to, byOfficer, byUnit, Sum("total", "", "", byOfficer));
    }

    /// <summary>Every camera's battery, judged from its charging log (<see cref="BatteryHealth"/>): those to replace first.</summary>
    public async Task<IReadOnlyList<BatteryVerdict>> BatteriesAsync(CancellationToken cancellationToken)
    {
        var docking = new DockingStore(db);
        var verdicts = new List<BatteryVerdict>();
        foreach (var recorder in await new RecorderStore(db).ListRecordersAsync(cancellationToken).ConfigureAwait(false))
        {
            var sessions = await docking.ChargeSessionsAsync(recorder.Serial, options.Equipment.HealthWindow, cancellationToken).ConfigureAwait(false);
            if (sessions.Count > 0) verdicts.Add(BatteryHealth.Judge(recorder.Serial, sessions, options.Equipment, options.BatteryHealthAttentionPercent));
        }
        return [.. verdicts.OrderByDescending(v => v.Replace).ThenBy(v => v.Serial, StringComparer.Ordinal)];
    }

    /// <summary>The charge curves of a camera's newest dockings as an SVG chart; null when it has none.</summary>
    public async Task<string?> ChargeChartAsync(string serial, int dockings, CancellationToken cancellationToken)
    {
        var docking = new DockingStore(db);
        var sessions = await docking.ChargeSessionsAsync(serial, dockings, cancellationToken).ConfigureAwait(false);
        if (sessions.Count == 0) return null;
        var curves = new List<(ChargeSessionRecord, IReadOnlyList<(DateTimeOffset, int, double?)>)>();
        foreach (var session in sessions.Reverse())
            curves.Add((session, await docking.ChargeCurveAsync(session.SessionId, 2_000, cancellationToken).ConfigureAwait(false)));
        return BatteryCharts.ChargeCurvesSvg(serial, curves);
    }

    public async Task<AllocationReport> AllocationAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var names = (await _registry.OfficersAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(o => o.Badge, o => o.Name, StringComparer.Ordinal);
        var recorders = await _registry.RecordersAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        AllocationRow Row(CheckoutRecord c) => new(c.Serial, c.Badge, names.GetValueOrDefault(c.Badge, ""), c.UnitId, c.Mode, c.BayId, c.AccompaniedBy,
            c.OutAt, c.DueAt, c.InAt, c.InHow, (c.InAt ?? now) > c.DueAt + options.Equipment.DockWithin);
        var open = await _store.OpenCheckoutsAsync(cancellationToken).ConfigureAwait(false);
        var history = await _store.CheckoutsAsync(from, to, 10_000, cancellationToken).ConfigureAwait(false);
        return new AllocationReport([.. open.Select(Row)], [.. history.Select(Row)],
            [.. recorders.Where(r => r.Officer is not null).Select(r => new FixedBinding(r.Serial, r.Officer!, names.GetValueOrDefault(r.Officer!, "")))]);
    }
}
