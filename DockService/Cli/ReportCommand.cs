using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Reports;

namespace Dock.Service.Cli;

/// <summary><c>dock report stats --from DATE --to DATE [--json|--csv]</c>: the footage statistics of R7 (counts, hours and bytes by officer,
/// category and day; tag completeness; recording → docking → cloud delays), and <c>dock report annual YEAR --out DIR</c>, the yearly
/// report. Read-only on the catalog: they run beside a running dock.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var report = new Command("report", "Statistics of the footage the dock collected (R7), and the equipment reports (R4).");
        var data = CliOptions.Data();
        var from = new Option<string>("--from") { Description = "First day, yyyy-MM-dd (UTC, the recording start).", Required = true };
        var to = new Option<string>("--to") { Description = "Last day, yyyy-MM-dd, included.", Required = true };
        var json = CliOptions.Json();
        var csv = new Option<bool>("--csv") { Description = "Print CSV: section,key,clips,hours,bytes (and the completeness and delay rows)." };
        var stats = new Command("stats", "Counts, hours and bytes by officer, category and day; tag completeness; delays to docking and to the cloud.")
        {
            data, from, to, json, csv,
        };
        stats.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryDay(parse.GetValue(from), out var first) || !TryDay(parse.GetValue(to), out var last) || last < first)
                return ExitCodes.UsageError("report stats", "--from and --to are days as yyyy-MM-dd, --to not before --from.");
            if (parse.GetValue(json) && parse.GetValue(csv)) return ExitCodes.UsageError("report stats", "--json or --csv, not both.");
            try
            {
                var paths = DataFolder.PathsFor(parse.GetValue(data));
                if (!File.Exists(paths.Catalog)) return ExitCodes.UsageError("report stats", $"No catalog at {paths.Catalog}: pass --data with a dock's data folder.");
                var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken);
                var result = await new FootageStatistics(catalog.Database, DataFolder.Options().Metadata).ComputeAsync(first, last.AddDays(1), cancellationToken);
                Console.Write(parse.GetValue(json) ? JsonSerializer.Serialize(result, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }) + "\n"
                    : parse.GetValue(csv) ? Csv(result) : Text(result));
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is StorageException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("report stats", ex.Message);
            }
        });
        report.Subcommands.Add(stats);

        var annualData = CliOptions.Data();
        var year = new Argument<int>("YEAR") { Description = "The calendar year (recording start, UTC)." };
        var output = new Option<string>("--out") { Description = "Folder for annual-YEAR.csv, .json and .html.", Required = true };
        var annual = new Command("annual", "The annual statistics report (R7): annual-YEAR.csv, .json and .html (tables and SVG charts, Chinese and English).")
        {
            year, annualData, output,
        };
        annual.SetAction(async (parse, cancellationToken) =>
        {
            int y = parse.GetValue(year);
            if (y is < 2000 or > 2200) return ExitCodes.UsageError("report annual", "YEAR is a year such as 2026.");
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(annualData), cancellationToken);
                var from = new DateTimeOffset(y, 1, 1, 0, 0, 0, TimeSpan.Zero);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var result = await new FootageStatistics(folder.Catalog.Database, DataFolder.Options().Metadata).ComputeAsync(from, from.AddYears(1), cancellationToken);
                var files = await AnnualReport.WriteAsync(result, y, folder.DockId, Path.GetFullPath(parse.GetValue(output)!), DateTimeOffset.UtcNow, cancellationToken);
                Console.WriteLine($"{result.Total.Clips} clips of {y} in {clock.Elapsed.TotalSeconds:0.00} s:");
                foreach (var file in files) Console.WriteLine($"  {file}");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is StorageException or IOException or UnauthorizedAccessException or Identity.IdentityException)
            {
                return ExitCodes.UsageError("report annual", ex.Message);
            }
        });
        report.Subcommands.Add(annual);
        report.Subcommands.Add(EquipmentCommands.Ratio());
        report.Subcommands.Add(EquipmentCommands.Allocation());
        report.Subcommands.Add(EquipmentCommands.Batteries());
        report.Subcommands.Add(EquipmentCommands.Usage());
        return report;
    }

    private static bool TryDay(string? text, out DateTimeOffset day)
    {
        var ok = DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed);
        day = ok ? new DateTimeOffset(parsed, TimeSpan.Zero) : default;
        return ok;
    }

    private static string Csv(FootageStats s)
    {
        var text = new StringBuilder("section,key,clips,hours,bytes\n");
        void Rows(string section, IEnumerable<FootageTotals> rows)
        {
            foreach (var r in rows) text.Append(CultureInfo.InvariantCulture, $"{section},{Quote(r.Key)},{r.Clips},{r.Hours:0.###},{r.Bytes}\n");
        }
        Rows("total", [s.Total]);
        Rows("officer", s.ByOfficer);
        Rows("unit", s.ByUnit);
        Rows("category", s.ByCategory);
        Rows("day", s.ByDay);
        foreach (var t in s.Tags) text.Append(CultureInfo.InvariantCulture, $"tags-complete,{Quote(t.Officer)},{t.Clips},,{t.Complete}\n");
        foreach (var t in s.TagsByUnit) text.Append(CultureInfo.InvariantCulture, $"unit-tags-complete,{Quote(t.Officer)},{t.Clips},,{t.Complete}\n");
        foreach (var (name, d) in new[] { ("recording-to-docking", s.RecordingToDocking), ("docking-to-cloud", s.DockingToCloud) })
            text.Append(CultureInfo.InvariantCulture, $"{name}-median-hours,,{d.Clips},{d.MedianHours:0.###},\n{name}-p90-hours,,{d.Clips},{d.P90Hours:0.###},\n");
        return text.ToString();
    }

    // A key is an officer id, a category id or a day: quoted only if it ever holds a comma or a quote.
    private static string Quote(string value) => value.Contains(',', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal)
        ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string Text(FootageStats s)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Footage recorded {s.From:yyyy-MM-dd} to {s.To.AddDays(-1):yyyy-MM-dd} (UTC): {s.Total.Clips} clips, {s.Total.Hours:0.0} h, {CliOptions.FormatBytes(s.Total.Bytes)}\n");
        void Table(string title, IEnumerable<FootageTotals> rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n{title}\n");
            foreach (var r in rows) text.Append(CultureInfo.InvariantCulture, $"  {r.Key,-20} {r.Clips,8} clips {r.Hours,9:0.0} h {CliOptions.FormatBytes(r.Bytes),12}\n");
        }
        Table("By officer", s.ByOfficer);
        Table("By unit", s.ByUnit);
        Table("By category", s.ByCategory);
        Table("By day", s.ByDay);
        text.Append("\nTags complete (the five required fields)\n");
        foreach (var t in s.Tags) text.Append(CultureInfo.InvariantCulture, $"  {t.Officer,-20} {t.Complete,8} of {t.Clips} ({t.Ratio:P0})\n");
        text.Append(CultureInfo.InvariantCulture, $"\nRecording → docking: median {s.RecordingToDocking.MedianHours:0.0} h, 90 % within {s.RecordingToDocking.P90Hours:0.0} h ({s.RecordingToDocking.Clips} clips)\n");
        text.Append(CultureInfo.InvariantCulture, $"Docking → verified in the cloud: median {s.DockingToCloud.MedianHours:0.0} h, 90 % within {s.DockingToCloud.P90Hours:0.0} h ({s.DockingToCloud.Clips} clips)\n");
        return text.ToString();
    }
}
