using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Reports;

namespace Dock.Service.Cli;

/// <summary><c>dock status</c>: what the catalog holds — recorders, clips and their states, docking sessions.</summary>
public static class StatusCommand
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Command Create()
    {
        var data = CliOptions.Data();
        var json = CliOptions.Json();
        var command = new Command("status", "Summarise a dock's catalog: recorders, clips with their SHA-256 and state, sessions.") { data, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var dir = Path.GetFullPath(parse.GetValue(data) ?? new DockOptions().DataDirectory);
            var catalogPath = Path.Combine(dir, "catalog.db");
            if (!File.Exists(catalogPath))
            {
                await Console.Error.WriteLineAsync($"dock: no catalog at {catalogPath}. Pass --data with a dock's data folder.");
                return ExitCodes.Usage;
            }
            CatalogStores catalog;
            try
            {
                catalog = await CatalogStores.OpenAsync(catalogPath, TimeProvider.System, cancellationToken);
            }
            catch (StorageException ex)
            {
                await Console.Error.WriteLineAsync($"dock: {ex.Message}");
                return ExitCodes.Usage;
            }
            var report = await StatusReports.BuildAsync(catalog, dir, cancellationToken);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, Json));
            else PrintText(report);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void PrintText(StatusReport report)
    {
        Console.WriteLine($"Dock data: {report.DataDirectory}");
        Console.WriteLine($"Clips: {report.Totals.Clips} ({CliOptions.FormatBytes(report.Totals.Bytes)}), hash-verified: {report.Totals.HashVerified}; " +
            string.Join(", ", report.Totals.ByState.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}")));
        Console.WriteLine($"Docking sessions: {report.Totals.Sessions}, battery samples: {report.Totals.BatterySamples}");
        var open = report.Alerts.Where(a => a.IsOpen).ToList();
        if (open.Count > 0)
        {
            Console.WriteLine($"Open alerts ({open.Count}, newest last):");
            foreach (var alert in open.TakeLast(20))
                Console.WriteLine($"  {alert.At:u}  {alert.Kind,-22} {alert.RecorderSerial} {alert.ClipId} {alert.Message}" +
                    (alert.Repeats > 0 ? $"  (seen {alert.Repeats + 1} times, last {alert.LastAt:u})" : ""));
        }
        var resolved = report.Alerts.Where(a => !a.IsOpen).ToList();
        if (resolved.Count > 0)
        {
            Console.WriteLine($"Resolved alerts ({resolved.Count}, newest last):");
            foreach (var alert in resolved.TakeLast(5))
                Console.WriteLine($"  {alert.At:u}  {alert.Kind,-22} {alert.RecorderSerial} {alert.ClipId} resolved {alert.ResolvedAt:u}: {alert.Resolution}");
        }
        Console.WriteLine();
        foreach (var recorder in report.Recorders)
        {
            Console.WriteLine($"{recorder.Serial}  {recorder.Model} fw {recorder.Firmware}  officer {recorder.OfficerId}  " +
                $"battery {recorder.LastBatteryPercent?.ToString() ?? "?"}%  clock offset {recorder.LastClockOffsetMs?.ToString() ?? "?"} ms");
            foreach (var clip in report.Clips.Where(c => c.RecorderSerial == recorder.Serial))
                Console.WriteLine($"  {clip.ClipId,-28} {CliOptions.FormatBytes(clip.Size),11}  {clip.State.ToDb(),-11} {clip.Cloud ?? "-",-14} " +
                    $"{(clip.Sha256.Length >= 16 ? clip.Sha256[..16] + "…" : "(no hash yet)    ")}" +
                    (clip.State != ClipState.Released && clip.LeftRecorderAt is not null ? "  (no longer on the recorder)" : "") +
                    (clip.State == ClipState.Verified && clip.ReleaseRequestedAt is not null && clip.LeftRecorderAt is null ? "  (release requested, still on the recorder)" : "") +
                    (clip.LastError is null ? "" : $"  ! {clip.LastError}") + (clip.CloudError is null ? "" : $"  ! cloud: {clip.CloudError}"));
        }
    }
}
