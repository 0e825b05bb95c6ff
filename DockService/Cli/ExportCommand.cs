using System.CommandLine;
using Dock.Service.Catalog;
using Dock.Service.Exports;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Metadata;
using Dock.Service.Retrieval;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Service.Vault;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock export --case NO --out DIR --reason R [--data D] [--no-pdf]</c>: the case file bundle (Exports/CaseExports). The export is
/// recorded before the first byte is copied, and its entries are in the bundle; <c>dock verify --bundle DIR --trust KEY.pem</c> checks it.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var caseNumber = new Option<string>("--case") { Description = "The case number (案件编号): every clip tagged with it goes into the bundle.", Required = true };
        var output = new Option<string>("--out") { Description = "A new or empty folder to write the bundle into.", Required = true };
        var reason = CliOptions.Reason("Why the case is exported (recorded in each clip's `exported` custody entry), e.g. 'filing with the court'.");
        var noPdf = new Option<bool>("--no-pdf") { Description = "Write report.html only (no Chromium on this host); the bundle still verifies." };
        var json = CliOptions.Json();
        var export = new Command("export", "Export a case file: its clips, manifests, signed tags, custody entries with proofs, a checkpoint, the dock's key " +
            "and a chain-of-custody report (report.html, report.pdf) in zh-CN and English.")
        {
            data, caseNumber, output, reason, noPdf, json,
        };
        export.SetAction(async (parse, cancellationToken) =>
        {
            var options = DataFolder.Options();
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                // A clip whose vault copy was purged is read from the cloud target the dock is configured with.
                await using var cloud = CloudTargetUri.TryParse(options.Cloud.Target, out var uri, out _) ? CloudTargets.Create(uri, folder.Paths.DataDirectory) : null;
                var vault = folder.Vault(options);
                var tags = new TagStore(folder.Catalog.Database);
                var sensitivity = new ClipSensitivity(folder.Catalog.Database, folder.Log, vault);
                var retrievals = folder.Retrievals(options);
                var exports = new CaseExports(folder.Catalog, folder.Log, new ClipContent(vault, folder.Catalog.Uploads, cloud),
                    new ClipTagging(folder.Catalog.Clips, tags, folder.Log, options.Metadata), tags, sensitivity, retrievals,
                    new BundleSigner(folder.DockId, folder.Key.PublicKey.ToArray(), m => folder.Key.Sign(m)), options.Export.Chromium);
                // The host holds the data folder and the dock key: cleared for every level.
                var result = await exports.ExportAsync(parse.GetValue(caseNumber)!, parse.GetValue(output)!, parse.GetValue(reason)!,
                    Retriever.Host(DataFolder.Actor), clearance: null, pdf: !parse.GetValue(noPdf), cancellationToken);
                if (parse.GetValue(json))
                {
                    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, StatusCommand.Json));
                    return ExitCodes.Ok;
                }
                Console.WriteLine($"Case {result.Case}: {result.Clips} clip(s), {CliOptions.FormatBytes(result.Bytes)}, written to {result.Folder}");
                Console.WriteLine($"  recorded as custody entries {string.Join(", ", result.ExportEntries)}; checkpoint of {result.CheckpointSize} entries");
                Console.WriteLine($"  report: {Path.Combine(result.Folder, "report.html")}{(result.Pdf ? $" and {Path.Combine(result.Folder, "report.pdf")}" : " (no PDF)")}");
                foreach (var line in result.NotIncluded) Console.WriteLine($"  not included: {line}");
                Console.WriteLine($"  check it: dock verify --bundle {result.Folder} --trust DOCK.pem");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is ExportException or ClipContentException or IdentityException or StorageException or CloudException or IOException
                or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("export", ex.Message);
            }
        });
        return export;
    }
}
