using System.CommandLine;
using System.Text.Json;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Retention;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Service.Vault;

namespace Dock.Service.Cli;

/// <summary><c>dock purge [--dry-run]</c>: one vault purge sweep now, the same as the running dock makes every Dock:Retention:PurgeInterval
/// (Retention/VaultPurge): only clips whose cloud copy is verified (and present in the store when asked), with no hold, whose retention
/// has passed — or, with the disk below Dock:Retention:PurgeWhenFreeBelow, oldest first. Each purge is a `purged` custody entry naming
/// the person. --dry-run says what would go and why, and changes nothing.</summary>
public static class PurgeCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var cloud = CliOptions.Cloud();
        var dryRun = new Option<bool>("--dry-run") { Description = "Say what would be purged and why; delete nothing." };
        var json = CliOptions.Json();
        var purge = new Command("purge", "Purge vault copies whose cloud copy is verified and whose retention has passed (or the disk needs room).")
        {
            data, cloud, dryRun, json,
        };
        purge.SetAction(async (parse, cancellationToken) =>
        {
            var options = DataFolder.Options();
            var target = parse.GetValue(cloud) ?? options.Cloud.Target;
            if (!CloudTargetUri.TryParse(target, out var uri, out var error)) return ExitCodes.UsageError("purge", $"--cloud {error}");
            options.Cloud.Target = target;
            // The same settings `dock run` would accept (the retention levels and categories decide what goes).
            var problems = new DockOptionsValidator { RequireBays = false }.Validate(null, options);
            if (problems.Failed) return ExitCodes.UsageError("purge", problems.FailureMessage);
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                await using var store = CloudTargets.Create(uri, folder.Paths.DataDirectory);
                var sweep = new VaultPurge(folder.Catalog, folder.Vault(options), folder.Log, store, uri, options, TimeProvider.System);
                var report = await sweep.SweepAsync(DataFolder.Actor, parse.GetValue(dryRun), cancellationToken);
                if (!parse.GetValue(dryRun) && report.Purged.Count > 0) await folder.Log.CheckpointAsync(cancellationToken);
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        dryRun = parse.GetValue(dryRun), purged = report.Purged, skipped = report.Skipped.Select(s => new { s.Serial, s.ClipId, s.Why }),
                        report.Held, report.NotYetDue, report.FreeBefore, report.FreeAfter, report.SpacePressure, report.Stopped,
                    }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                }
                else
                {
                    var verb = parse.GetValue(dryRun) ? "would purge" : "purged";
                    foreach (var p in report.Purged)
                        Console.WriteLine($"{verb} {p.Serial}/{p.ClipId} ({p.Size:N0} bytes{(p.Index is { } i ? $", custody entry {i}" : "")}): {p.Detail}");
                    foreach (var (serial, clipId, why) in report.Skipped) Console.WriteLine($"kept {serial}/{clipId}: {why}");
                    Console.WriteLine($"{report.Purged.Count} {verb}, {report.Skipped.Count} kept by a check, {report.Held} held, {report.NotYetDue} not yet due; " +
                        $"{report.FreeBefore:N0} → {report.FreeAfter:N0} bytes free{(report.SpacePressure ? " (below Dock:Retention:PurgeWhenFreeBelow)" : "")}.");
                    if (report.Stopped is { } why2) Console.WriteLine($"stopped: {why2}. Nothing more is deleted until the cloud copy can be checked.");
                }
                return report.Stopped is null ? ExitCodes.Ok : ExitCodes.Failed;
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or CloudException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("purge", ex.Message);
            }
        });
        return purge;
    }
}
