using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dock.Service.Catalog;
using Dock.Service.Equipment;
using Dock.Service.Hosting;

namespace Dock.Service.Cli;

/// <summary>
/// The equipment from the shell, read-only on the catalog (they run beside a running dock): <c>dock officers list</c>, <c>dock report ratio</c>
/// (each unit against its policy, now and over a period) and <c>dock report allocation</c> (who holds what, and the history). Each prints a
/// table, or <c>--json</c>, or <c>--csv</c>.
/// </summary>
public static class EquipmentCommands
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Names stay readable (张三, not \u5F20\u4E09): this is printed, never embedded in a page.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command OfficersList()
    {
        var data = CliOptions.Data();
        var json = CliOptions.Json();
        var csv = Csv();
        var list = new Command("list", "The officers: badge, name, unit, role, 执法证 and whether it is valid today, the camera each holds now.") { data, json, csv };
        list.SetAction(async (parse, cancellationToken) => await RunAsync<IReadOnlyList<OfficerListing>>("officers list", parse.GetValue(data), parse.GetValue(json), parse.GetValue(csv),
            async reports =>
            {
                var officers = await reports.OfficersAsync(cancellationToken);
                return (officers, () =>
                {
                    var table = new TextTable("BADGE", "NAME", "UNIT", "ROLE", "执法证", "EXPIRES", "VALID", "HOLDS", "BOUND");
                    foreach (var o in officers)
                        table.Add(o.Badge, o.Name, o.Unit, o.Role, o.Certificate, o.CertificateExpiry, o.CertificateValid ? "yes" : "NO", o.Camera, o.BoundCamera);
                    return $"{officers.Count} officer(s)\n{table}";
                }, () => CsvText(["badge", "name", "unit", "role", "certificate", "certificate_expiry", "certificate_valid", "camera", "bound_camera"],
                    officers.Select(o => new object?[] { o.Badge, o.Name, o.Unit, o.Role, o.Certificate, o.CertificateExpiry, o.CertificateValid, o.Camera, o.BoundCamera })));
            }, cancellationToken));
        return list;
    }

    public static Command Ratio() => PeriodReport<IReadOnlyList<UnitRatioReport>>("ratio", "Each unit against its equipment policy (R4): officers, serviceable recorders, spares, ready cameras; compliant now, " +
            "and the share of the period it complied.",
        async (reports, first, end, cancellationToken) =>
        {
            var units = await reports.RatioAsync(first, end, cancellationToken);
            return (units, () =>
            {
                var table = new TextTable("UNIT", "NAME", "OFFICERS", "RECORDERS", "NEEDED", "RATIO", "SPARE", "READY", "OUT", "NOW", "PERIOD", "BREACHES");
                foreach (var u in units)
                    table.Add(u.Unit, u.Name, u.Officers, u.ServiceableRecorders, u.RequiredRecorders, u.Ratio?.ToString("0.00", CultureInfo.InvariantCulture),
                        $"{u.SpareRecorders}/{u.MinimumSpare}", $"{u.ReadyRecorders}/{u.MinimumReady}", u.CheckedOut, u.Compliant ? "ok" : "BREACH",
                        u.CompliantShare is { } s ? s.ToString("P0", CultureInfo.InvariantCulture) : null, u.Breaches);
                var text = new StringBuilder($"Equipment policy {first:yyyy-MM-dd} to {end.AddDays(-1):yyyy-MM-dd}: {units.Count(u => u.Compliant)} of {units.Count} unit(s) compliant now\n");
                text.Append(table);
                foreach (var u in units.Where(u => !u.Compliant)) text.Append(CultureInfo.InvariantCulture, $"  {u.Unit}: {string.Join("; ", u.Problems)}\n");
                return text.ToString();
            }, () => CsvText(["unit", "name", "officers", "auxiliaries", "serviceable_recorders", "required_recorders", "ratio", "required_ratio", "spare",
                    "minimum_spare", "ready", "minimum_ready", "checked_out", "compliant", "compliant_share", "breaches", "problems"],
                units.Select(u => new object?[] { u.Unit, u.Name, u.Officers, u.Auxiliaries, u.ServiceableRecorders, u.RequiredRecorders, u.Ratio, u.RequiredRatio,
                    u.SpareRecorders, u.MinimumSpare, u.ReadyRecorders, u.MinimumReady, u.CheckedOut, u.Compliant, u.CompliantShare, u.Breaches,
                    string.Join("; ", u.Problems) })));
        });

    public static Command Allocation() => PeriodReport<AllocationReport>("allocation", "Who holds which camera now, the cameras bound to an officer, and the checkouts of a period.",
        async (reports, first, end, cancellationToken) =>
        {
            var report = await reports.AllocationAsync(first, end, cancellationToken);
            return (report, () =>
            {
                var text = new StringBuilder($"Out now: {report.Now.Count} camera(s)\n");
                var now = new TextTable("CAMERA", "BADGE", "OFFICER", "UNIT", "MODE", "BAY", "WITH", "OUT (UTC)", "DUE (UTC)", "OVERDUE");
                foreach (var r in report.Now) now.Add(r.Serial, r.Badge, r.Officer, r.Unit, r.Mode, r.Bay, r.AccompaniedBy, Utc(r.Out), Utc(r.Due), r.Overdue ? "YES" : "");
                text.Append(now);
                if (report.Fixed.Count > 0)
                {
                    var bound = new TextTable("CAMERA", "BOUND TO", "OFFICER");
                    foreach (var b in report.Fixed) bound.Add(b.Serial, b.Badge, b.Officer);
                    text.Append(CultureInfo.InvariantCulture, $"\nBound to one officer (fixed mode): {report.Fixed.Count}\n{bound}");
                }
                var history = new TextTable("CAMERA", "BADGE", "OFFICER", "OUT (UTC)", "IN (UTC)", "HOW", "LATE");
                foreach (var r in report.History) history.Add(r.Serial, r.Badge, r.Officer, Utc(r.Out), r.In is { } i ? Utc(i) : "(out)", r.How, r.Overdue ? "YES" : "");
                text.Append(CultureInfo.InvariantCulture, $"\nCheckouts {first:yyyy-MM-dd} to {end.AddDays(-1):yyyy-MM-dd}: {report.History.Count}\n{history}");
                return text.ToString();
            }, () => CsvText(["serial", "badge", "officer", "unit", "mode", "bay", "accompanied_by", "out", "due", "in", "how", "overdue"],
                report.History.Concat(report.Now.Where(n => report.History.All(h => h.Serial != n.Serial || h.Out != n.Out)))
                    .Select(r => new object?[] { r.Serial, r.Badge, r.Officer, r.Unit, r.Mode, r.Bay, r.AccompaniedBy, Utc(r.Out), Utc(r.Due),
                        r.In is { } i ? Utc(i) : null, r.How, r.Overdue })));
        });

    public static Command Usage() => PeriodReport<UsageReport>("usage", "Checkouts (how many, hours out, late) and footage (clips, hours, bytes) per officer and per unit over a period.",
        async (reports, first, end, cancellationToken) =>
        {
            var report = await reports.UsageAsync(first, end, cancellationToken);
            return (report, () =>
            {
                TextTable Table(IEnumerable<UsageRow> rows, string key)
                {
                    var table = new TextTable(key, "NAME", "UNIT", "CHECKOUTS", "HOURS OUT", "LATE", "CLIPS", "FOOTAGE h", "SIZE");
                    foreach (var r in rows) table.Add(r.Key, r.Name, r.Unit, r.Checkouts, r.HoursOut, r.Late, r.Clips, r.FootageHours, CliOptions.FormatBytes(r.Bytes));
                    return table;
                }
                return $"Use of the equipment {first:yyyy-MM-dd} to {end.AddDays(-1):yyyy-MM-dd} (UTC): {report.Total.Checkouts} checkout(s), " +
                    $"{report.Total.Clips} clip(s), {report.Total.FootageHours:0.0} h of footage\n\nBy officer\n{Table(report.ByOfficer, "BADGE")}\nBy unit\n" +
                    $"{Table(report.ByUnit, "UNIT")}";
            }, () => CsvText(["section", "key", "name", "unit", "checkouts", "hours_out", "late", "clips", "footage_hours", "bytes"],
                report.ByOfficer.Select(r => new object?[] { "officer", r.Key, r.Name, r.Unit, r.Checkouts, r.HoursOut, r.Late, r.Clips, r.FootageHours, r.Bytes })
                    .Concat(report.ByUnit.Select(r => new object?[] { "unit", r.Key, r.Name, r.Unit, r.Checkouts, r.HoursOut, r.Late, r.Clips, r.FootageHours, r.Bytes }))));
        });

    public static Command Batteries()
    {
        var data = CliOptions.Data();
        var json = CliOptions.Json();
        var csv = Csv();
        var charts = new Option<DirectoryInfo?>("--charts") { Description = "Also write each camera's charge curves as an SVG in this folder (named as the vault names the camera)." };
        var batteries = new Command("batteries", "Battery health per camera, judged from the charging log: charge rate, runtime on a full charge, failures to " +
            "reach full, faults; those to replace first, each with its evidence.") { data, json, csv, charts };
        batteries.SetAction(async (parse, cancellationToken) => await RunAsync<IReadOnlyList<BatteryVerdict>>("report batteries", parse.GetValue(data),
            parse.GetValue(json), parse.GetValue(csv), async reports =>
            {
                var verdicts = await reports.BatteriesAsync(cancellationToken);
                if (parse.GetValue(charts) is { } folder)
                {
                    Directory.CreateDirectory(folder.FullName);
                    foreach (var v in verdicts)
                        if (await reports.ChargeChartAsync(v.Serial, 5, cancellationToken) is { } svg)
                            await File.WriteAllTextAsync(Path.Combine(folder.FullName, Vault.SafeName.Encode(v.Serial) + ".svg"), svg, cancellationToken);
                }
                return (verdicts, () =>
                {
                    string F(double? value, string format = "0.#") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
                    var table = new TextTable("CAMERA", "DOCKINGS", "CYCLES", "OWN HEALTH", "RATE %/h (FIRST→LAST)", "RUNTIME h", "NOT FULL", "VERDICT");
                    foreach (var v in verdicts)
                        table.Add(v.Serial, v.Sessions, v.Cycles, v.ReportedHealth is { } h ? $"{h} %" : null, $"{F(v.EarliestRate, "0")} → {F(v.LatestRate, "0")}",
                            F(v.RuntimeHours), v.FailedToFill, v.Replace ? "REPLACE" : "ok");
                    var text = new StringBuilder($"{verdicts.Count(v => v.Replace)} of {verdicts.Count} battery(ies) to replace\n{table}");
                    foreach (var v in verdicts.Where(v => v.Replace))
                        foreach (var f in v.Findings) text.Append(CultureInfo.InvariantCulture, $"  {v.Serial} {f.Kind}: {f.Evidence}\n");
                    return text.ToString();
                }, () => CsvText(["serial", "dockings", "cycles", "reported_health", "earliest_rate_pph", "latest_rate_pph", "runtime_hours", "failed_to_fill",
                        "replace", "findings"],
                    verdicts.Select(v => new object?[] { v.Serial, v.Sessions, v.Cycles, v.ReportedHealth, v.EarliestRate, v.LatestRate, v.RuntimeHours,
                        v.FailedToFill, v.Replace, string.Join("; ", v.Findings.Select(f => $"{f.Kind}: {f.Evidence}")) })));
            }, cancellationToken));
        return batteries;
    }

    /// <summary>A report over a period of days (<c>--from</c>, <c>--to</c>) with the three outputs: a table, <c>--json</c>, <c>--csv</c>.</summary>
    private static Command PeriodReport<T>(string name, string description,
        Func<EquipmentReports, DateTimeOffset, DateTimeOffset, CancellationToken, Task<(T Result, Func<string> Text, Func<string> Csv)>> work)
    {
        var data = CliOptions.Data();
        var (from, to) = Period();
        var json = CliOptions.Json();
        var csv = Csv();
        var command = new Command(name, description) { data, from, to, json, csv };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryPeriod(parse.GetValue(from), parse.GetValue(to), out var first, out var end))
                return ExitCodes.UsageError($"report {name}", "--from and --to are days as yyyy-MM-dd, --to not before --from.");
            return await RunAsync($"report {name}", parse.GetValue(data), parse.GetValue(json), parse.GetValue(csv),
                reports => work(reports, first, end, cancellationToken), cancellationToken);
        });
        return command;
    }

    private static Option<bool> Csv() => new("--csv") { Description = "Print CSV with a header row." };

    private static (Option<string?> From, Option<string?> To) Period() =>
        (new Option<string?>("--from") { Description = "First day, yyyy-MM-dd (UTC). Default: 30 days before --to." },
         new Option<string?>("--to") { Description = "Last day, yyyy-MM-dd, included. Default: today (UTC)." });

    private static bool TryPeriod(string? fromText, string? toText, out DateTimeOffset from, out DateTimeOffset end)
    {
        from = end = default;
        var today = DateTime.UtcNow.Date;
        DateTime last = today, first;
        if (toText is not null && !DateTime.TryParseExact(toText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out last)) return false;
        if (fromText is null) first = last.AddDays(-30);
        else if (!DateTime.TryParseExact(fromText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out first)) return false;
        if (last < first) return false;
        from = new DateTimeOffset(first, TimeSpan.Zero);
        end = new DateTimeOffset(last.AddDays(1), TimeSpan.Zero);
        return true;
    }

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>CSV of typed cells (numbers and booleans invariant, text quoted when needed); shared by the report and audit commands.</summary>
    internal static string CsvText(string[] header, IEnumerable<object?[]> rows)
    {
        var text = new StringBuilder(string.Join(',', header)).Append('\n');
        foreach (var row in rows)
            text.Append(string.Join(',', row.Select(cell => cell switch
            {
                null => "",
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => Quote(cell.ToString() ?? ""),
            }))).Append('\n');
        return text.ToString();
    }

    private static string Quote(string value) => value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static async Task<int> RunAsync<T>(string command, string? data, bool json, bool csv,
        Func<EquipmentReports, Task<(T Result, Func<string> Text, Func<string> Csv)>> work, CancellationToken cancellationToken)
    {
        if (json && csv) return ExitCodes.UsageError(command, "--json or --csv, not both.");
        try
        {
            var paths = DataFolder.PathsFor(data);
            if (!File.Exists(paths.Catalog)) return ExitCodes.UsageError(command, $"No catalog at {paths.Catalog}: pass --data with a dock's data folder.");
            var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken);
            var (result, text, csvText) = await work(new EquipmentReports(catalog.Database, DataFolder.Options(), TimeProvider.System));
            Console.Write(json ? JsonSerializer.Serialize(result, Json) + "\n" : csv ? csvText() : text());
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is StorageException or IOException or UnauthorizedAccessException)
        {
            return ExitCodes.UsageError(command, ex.Message);
        }
    }
}
