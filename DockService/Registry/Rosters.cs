using System.Text;
using Dock.Crypto.Custody;
using Dock.Service.Custody;
using Microsoft.Data.Sqlite;
using nietras.SeparatedValues;

namespace Dock.Service.Registry;

/// <summary>A line of a roster that cannot be taken, and why (line 1 is the header).</summary>
public sealed record RowError(int Line, string Problem);

/// <summary>What an import did — or, with errors, would have done: nothing is applied unless every row is good.</summary>
public sealed record ImportResult(int Added, int Changed, int Unchanged, IReadOnlyList<RowError> Errors)
{
    /// <summary>Units a roster named that were not registered: added with their code as name, in the same transaction.</summary>
    public IReadOnlyList<string> NewUnits { get; init; } = [];

    public bool Applied => Errors.Count == 0;
}

/// <summary>
/// The one owner of registry changes: units, officers and registered recorders, one at a time or as CSV rosters (RFC 4180, a header naming
/// the columns, UTF-8). An import checks every row first — each problem reported with its line number — and applies nothing unless all are
/// good; then every added or changed row is a <c>registry-changed</c> custody entry (who, which, each field old → new), all committed in one
/// transaction with the rows (<see cref="CustodyLog.AppendAtomicallyAsync"/>): a crash leaves the whole roster or none of it.
/// </summary>
public sealed class Rosters(RegistryStore store, CustodyLog log)
{
    /// <summary>Bounds on what one import takes: rows, bytes.</summary>
    public const int MaxRows = 20_000;
    public const int MaxBytes = 8 * 1024 * 1024;

    public RegistryStore Store => store;

    private sealed record Sheet<T>(string Noun, string[] Columns, string[] Required, Func<Func<string, string>, List<string>, T?> Parse, Func<T, string> Key,
        Func<T, (string Field, string? Value)[]> Fields, Func<SqliteConnection, SqliteTransaction, T, DateTimeOffset, CancellationToken, Task<int>> Upsert)
        where T : class;

    private static readonly Sheet<Unit> UnitSheet = new("unit", ["id", "name"], ["id", "name"],
        (get, errors) =>
        {
            var id = get("id");
            var name = get("name");
            Check(errors, "id", RegistryNames.IdProblem(id));
            Check(errors, "name", name.Length == 0 ? "a name" : RegistryNames.TextProblem(name));
            return errors.Count == 0 ? new Unit(id, name) : null;
        },
        u => u.Id, u => [("name", u.Name)], RegistryStore.UpsertAsync);

    private static readonly Sheet<Officer> OfficerSheet = new("officer", ["badge", "name", "unit", "role", "certificate", "certificate_expiry"],
        ["badge", "name", "unit", "role"],
        (get, errors) =>
        {
            var badge = get("badge");
            var name = get("name");
            var unit = get("unit");
            Check(errors, "badge", RegistryNames.IdProblem(badge));
            Check(errors, "name", name.Length == 0 ? "a name" : RegistryNames.TextProblem(name));
            Check(errors, "unit", RegistryNames.IdProblem(unit));
            if (!RegistryNames.TryRole(get("role"), out var role)) errors.Add($"role '{get("role")}': officer or auxiliary");
            var certificate = get("certificate");
            Check(errors, "certificate", RegistryNames.TextProblem(certificate, 40));
            DateOnly? expires = null;
            if (get("certificate_expiry") is { Length: > 0 } day)
            {
                if (RegistryNames.TryDay(day, out var parsed)) expires = parsed;
                else errors.Add($"certificate_expiry '{day}': a date, yyyy-MM-dd");
            }
            if (certificate.Length == 0 && expires is not null) errors.Add("certificate_expiry without a certificate number");
            return errors.Count == 0 ? new Officer(badge, name, unit, role, certificate.Length == 0 ? null : certificate, expires) : null;
        },
        o => o.Badge,
        o => [("name", o.Name), ("unit", o.UnitId), ("role", o.Role.Name()), ("certificate", o.Certificate),
            ("certificate_expiry", o.CertificateExpires is { } d ? RegistryNames.Day(d) : null)],
        RegistryStore.UpsertAsync);

    private static readonly Sheet<RegisteredRecorder> RecorderSheet = new("recorder", ["serial", "model", "firmware", "status", "home_unit", "officer"],
        ["serial", "model", "status"],
        (get, errors) =>
        {
            var serial = get("serial");
            var model = get("model");
            var firmware = get("firmware");
            var unit = get("home_unit");
            Check(errors, "serial", RegistryNames.IdProblem(serial));
            Check(errors, "model", model.Length == 0 ? "a model" : RegistryNames.TextProblem(model, 64));
            Check(errors, "firmware", RegistryNames.TextProblem(firmware, 64));
            if (!RegistryNames.TryStatus(get("status"), out var status)) errors.Add($"status '{get("status")}': in-service, spare, repair or retired");
            if (unit.Length > 0) Check(errors, "home_unit", RegistryNames.IdProblem(unit));
            var officer = get("officer");
            if (officer.Length > 0) Check(errors, "officer", RegistryNames.IdProblem(officer));
            return errors.Count == 0
                ? new RegisteredRecorder(serial, model, firmware, status, unit.Length == 0 ? null : unit, officer.Length == 0 ? null : officer)
                : null;
        },
        r => r.Serial, r => [("model", r.Model), ("firmware", r.Firmware), ("status", r.Status.Name()), ("home_unit", r.HomeUnit), ("officer", r.Officer)],
        RegistryStore.UpsertAsync);

    public Task<ImportResult> ImportUnitsAsync(string actor, string csv, bool dryRun, CancellationToken cancellationToken) =>
        ImportAsync(UnitSheet, actor, csv, dryRun, async ct => (await store.UnitsAsync(ct).ConfigureAwait(false)).ToDictionary(u => u.Id), null, cancellationToken);

    /// <summary>Officers. A unit the roster names that is not registered yet is added (its code as its name, renamed later with
    /// <c>dock units add</c>) in the same transaction, so a first roster needs no unit list beforehand; the result and a dry run name it.</summary>
    public Task<ImportResult> ImportOfficersAsync(string actor, string csv, bool dryRun, CancellationToken cancellationToken) =>
        ImportAsync(OfficerSheet, actor, csv, dryRun, async ct => (await store.OfficersAsync(ct).ConfigureAwait(false)).ToDictionary(o => o.Badge),
            o => o.UnitId, cancellationToken);

    /// <summary>Registered recorders; a home unit not registered yet is added as for officers. A camera bound to an officer (fixed mode) names
    /// a registered officer, and no officer is bound to two cameras.</summary>
    public async Task<ImportResult> ImportRecordersAsync(string actor, string csv, bool dryRun, CancellationToken cancellationToken)
    {
        var officers = (await store.OfficersAsync(cancellationToken).ConfigureAwait(false)).Select(o => o.Badge).ToHashSet(StringComparer.Ordinal);
        var bound = (await store.RecordersAsync(cancellationToken).ConfigureAwait(false)).Where(r => r.Officer is not null)
            .ToDictionary(r => r.Officer!, r => r.Serial, StringComparer.Ordinal);
        return await ImportAsync(RecorderSheet, actor, csv, dryRun, async ct => (await store.RecordersAsync(ct).ConfigureAwait(false)).ToDictionary(r => r.Serial),
            r => r.HomeUnit, cancellationToken, rows =>
            {
                var problems = new List<(int, string)>();
                var inFile = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (line, r) in rows)
                {
                    if (r.Officer is null) continue;
                    if (!officers.Contains(r.Officer)) problems.Add((line, $"officer '{r.Officer}' is not registered (dock officers import)"));
                    else if (inFile.TryGetValue(r.Officer, out var other)) problems.Add((line, $"officer {r.Officer} is bound to {other} already: one camera per officer"));
                    else if (bound.TryGetValue(r.Officer, out var held) && held != r.Serial && !rows.Any(x => x.Row.Serial == held && x.Row.Officer != r.Officer))
                        problems.Add((line, $"officer {r.Officer} is bound to {held} already: one camera per officer"));
                    inFile.TryAdd(r.Officer, r.Serial);
                }
                return problems;
            }).ConfigureAwait(false);
    }

    public async Task<string> ExportUnitsAsync(CancellationToken cancellationToken) => Export(UnitSheet, await store.UnitsAsync(cancellationToken).ConfigureAwait(false));

    public async Task<string> ExportOfficersAsync(CancellationToken cancellationToken) =>
        Export(OfficerSheet, await store.OfficersAsync(cancellationToken).ConfigureAwait(false));

    public async Task<string> ExportRecordersAsync(CancellationToken cancellationToken) =>
        Export(RecorderSheet, await store.RecordersAsync(cancellationToken).ConfigureAwait(false));

    private static string Export<T>(Sheet<T> sheet, IEnumerable<T> rows) where T : class
    {
        using var writer = Sep.New(',').Writer(o => o with { Escape = true }).ToText();
        foreach (var row in rows)
        {
            using var line = writer.NewRow();
            line[sheet.Columns[0]].Set(sheet.Key(row));
            foreach (var (field, value) in sheet.Fields(row)) line[field].Set(value ?? "");
        }
        var text = writer.ToString();
        return text.Length > 0 ? text : string.Join(',', sheet.Columns) + "\n"; // an empty roster still says its columns
    }

    private async Task<ImportResult> ImportAsync<T>(Sheet<T> sheet, string actor, string csv, bool dryRun,
        Func<CancellationToken, Task<Dictionary<string, T>>> current, Func<T, string?>? unitOf, CancellationToken cancellationToken,
        Func<List<(int Line, T Row)>, IEnumerable<(int Line, string Problem)>>? crossCheck = null) where T : class
    {
        if (Encoding.UTF8.GetByteCount(csv) > MaxBytes) return Refused(1, $"the file is larger than {MaxBytes / (1024 * 1024)} MiB");
        var (rows, errors) = Parse(sheet, csv);
        if (crossCheck is not null) errors.AddRange(crossCheck(rows).Select(p => new RowError(p.Line, p.Problem)));
        var existing = await current(cancellationToken).ConfigureAwait(false);
        int added = 0, changed = 0, unchanged = 0;
        var makes = new List<Func<long, DateTimeOffset, CustodyEvent>>();
        var alongside = new List<CustodyLog.CatalogChange?>();
        var newUnits = new List<string>();
        if (unitOf is not null)
        {
            var known = (await store.UnitsAsync(cancellationToken).ConfigureAwait(false)).Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var unit in rows.Select(r => unitOf(r.Row)).OfType<string>().Where(u => !known.Contains(u)).Distinct(StringComparer.Ordinal))
            {
                newUnits.Add(unit);
                var text = $"unit {unit} added: name {unit} (first named by the {sheet.Noun} roster)";
                makes.Add((index, at) => new CustodyEvent(index, CustodyEventKind.RegistryChanged, at, log.DockId, actor, Detail: text));
                alongside.Add((c, tx, entry) => RegistryStore.UpsertAsync(c, tx, new Unit(unit, unit), entry.At, cancellationToken));
            }
        }
        foreach (var (_, row) in rows)
        {
            var key = sheet.Key(row);
            string detail;
            if (!existing.TryGetValue(key, out var before))
            {
                added++;
                detail = $"{sheet.Noun} {key} added: " + string.Join(", ", sheet.Fields(row).Where(f => f.Value is not null).Select(f => $"{f.Field} {f.Value}"));
            }
            else
            {
                var diffs = sheet.Fields(before).Zip(sheet.Fields(row), (a, b) => (a.Field, Old: a.Value, New: b.Value)).Where(d => d.Old != d.New).ToList();
                if (diffs.Count == 0)
                {
                    unchanged++;
                    continue;
                }
                changed++;
                detail = $"{sheet.Noun} {key}: " + string.Join("; ", diffs.Select(d => $"{d.Field} {d.Old ?? "(none)"} -> {d.New ?? "(none)"}"));
            }
            var text = CustodyEvent.FitDetail(detail);
            makes.Add((index, at) => new CustodyEvent(index, CustodyEventKind.RegistryChanged, at, log.DockId, actor, Detail: text));
            alongside.Add((c, tx, entry) => sheet.Upsert(c, tx, row, entry.At, cancellationToken));
        }
        if (errors.Count > 0 || dryRun) return new ImportResult(added, changed, unchanged, [.. errors.OrderBy(e => e.Line)]) { NewUnits = newUnits };
        if (makes.Count > 0) await log.AppendAtomicallyAsync(makes, alongside, cancellationToken).ConfigureAwait(false);
        return new ImportResult(added, changed, unchanged, []) { NewUnits = newUnits };
    }

    /// <summary>Every row as a record, or its problems with its line number. Header names are matched without case; unknown columns are
    /// refused (a misspelt column would otherwise be dropped quietly).</summary>
    private static (List<(int Line, T Row)> Rows, List<RowError> Errors) Parse<T>(Sheet<T> sheet, string csv) where T : class
    {
        var rows = new List<(int, T)>();
        var errors = new List<RowError>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        if (csv.Length > 0 && csv[0] == '\uFEFF') csv = csv[1..]; // a spreadsheet's byte-order mark
        if (string.IsNullOrWhiteSpace(csv))
        {
            errors.Add(new RowError(1, $"empty: the first line names the columns ({string.Join(",", sheet.Columns)})"));
            return (rows, errors);
        }
        try
        {
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true, Trim = SepTrim.All }).FromText(csv);
            var names = reader.Header.ColNames.Select(n => n.Trim().ToLowerInvariant()).Select(n => n == "certificate_expires" ? "certificate_expiry" : n).ToList();
            foreach (var unknown in names.Where(n => !sheet.Columns.Contains(n)))
                errors.Add(new RowError(1, $"unknown column '{unknown}' (the columns are {string.Join(",", sheet.Columns)})"));
            foreach (var missing in sheet.Required.Where(r => !names.Contains(r)))
                errors.Add(new RowError(1, $"no column '{missing}'"));
            if (errors.Count > 0) return (rows, errors);
            foreach (var row in reader)
            {
                int line = row.LineNumberFrom;
                if (rows.Count + errors.Count >= MaxRows)
                {
                    errors.Add(new RowError(line, $"more than {MaxRows} rows: split the roster"));
                    break;
                }
                var values = new Dictionary<string, string>(StringComparer.Ordinal);
                for (int i = 0; i < names.Count; i++) values[names[i]] = row[i].ToString();
                if (values.Values.All(v => v.Length == 0)) continue; // a blank line
                var problems = new List<string>();
                var record = sheet.Parse(column => values.GetValueOrDefault(column, ""), problems);
                if (record is null)
                {
                    errors.AddRange(problems.Select(p => new RowError(line, p)));
                    continue;
                }
                if (seen.TryGetValue(sheet.Key(record), out var first))
                {
                    errors.Add(new RowError(line, $"{sheet.Noun} {sheet.Key(record)} is on line {first} already"));
                    continue;
                }
                seen[sheet.Key(record)] = line;
                rows.Add((line, record));
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or NotSupportedException)
        {
            // Sep names the line of a row with too many or too few columns, or of an unclosed quote.
            errors.Add(new RowError(0, $"not CSV as read: {ex.Message}"));
        }
        return (rows, errors);
    }

    private static ImportResult Refused(int line, string problem) => new(0, 0, 0, [new RowError(line, problem)]);

    private static void Check(List<string> errors, string field, string? problem)
    {
        if (problem is not null) errors.Add($"{field}: {problem}");
    }

}
