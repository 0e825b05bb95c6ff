using System.CommandLine;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Registry;

namespace Dock.Service.Cli;

/// <summary>
/// The equipment registry from the shell: <c>dock units add|import|export</c>, <c>dock officers import|export</c> and
/// <c>dock recorders import|export</c> (the last two beside enrolment in <see cref="RecordersCommand"/>). Rosters are CSV with a header;
/// an import reports every bad row with its line number and applies nothing unless all are good; each change is a registry-changed
/// custody entry naming the person (user@host).
/// </summary>
public static class RegistryCommands
{
    public static Command Units()
    {
        var units = new Command("units", "Units (stations, squads) that officers belong to and recorders are kept by.");
        var data = CliOptions.Data();
        var id = new Argument<string>("id") { Description = "The unit's code, e.g. XC-01." };
        var name = new Argument<string>("name") { Description = "Its name, e.g. 西城分局交警支队." };
        var add = new Command("add", "Add a unit, or rename it.") { data, id, name };
        add.SetAction(async (parse, cancellationToken) => await RunAsync("units add", parse.GetValue(data), async rosters =>
        {
            var csv = $"id,name\n{Quote(parse.GetValue(id)!)},{Quote(parse.GetValue(name)!)}\n";
            return Report("units add", await rosters.ImportUnitsAsync(DataFolder.Actor, csv, dryRun: false, cancellationToken));
        }, cancellationToken));
        units.Subcommands.Add(add);
        units.Subcommands.Add(Import("units", "id,name", (r, actor, csv, dry, ct) => r.ImportUnitsAsync(actor, csv, dry, ct)));
        units.Subcommands.Add(Export("units", (r, ct) => r.ExportUnitsAsync(ct)));
        return units;
    }

    public static Command Officers()
    {
        var officers = new Command("officers", "Officers: badge number (警号), name, unit, role (officer or auxiliary), 执法证 number and expiry.");
        officers.Subcommands.Add(Import("officers", "badge,name,unit,role[,certificate,certificate_expiry]", (r, actor, csv, dry, ct) => r.ImportOfficersAsync(actor, csv, dry, ct)));
        officers.Subcommands.Add(Export("officers", (r, ct) => r.ExportOfficersAsync(ct)));
        officers.Subcommands.Add(EquipmentCommands.OfficersList());
        return officers;
    }

    /// <summary><c>dock recorders import|export</c>: the recorders as the equipment manager registers them.</summary>
    public static IEnumerable<Command> RecorderRoster() =>
    [
        Import("recorders", "serial,model,status[,firmware,home_unit]", (r, actor, csv, dry, ct) => r.ImportRecordersAsync(actor, csv, dry, ct)),
        Export("recorders", (r, ct) => r.ExportRecordersAsync(ct)),
    ];

    private static Command Import(string noun, string columns, Func<Rosters, string, string, bool, CancellationToken, Task<ImportResult>> import)
    {
        var data = CliOptions.Data();
        var file = new Argument<FileInfo>("file") { Description = $"A CSV roster with a header: {columns}." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check every row and say what would change; apply nothing." };
        var command = new Command("import", $"Add or change {noun} from a CSV roster: all rows or none.") { data, file, dryRun };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists) return ExitCodes.UsageError($"{noun} import", $"no file {path.FullName}");
            if (path.Length > Rosters.MaxBytes) return ExitCodes.UsageError($"{noun} import", $"{path.FullName} is larger than {Rosters.MaxBytes / (1024 * 1024)} MiB: split it");
            var csv = await File.ReadAllTextAsync(path.FullName, cancellationToken);
            return await RunAsync($"{noun} import", parse.GetValue(data), async rosters =>
                Report($"{noun} import", await import(rosters, DataFolder.Actor, csv, parse.GetValue(dryRun), cancellationToken), parse.GetValue(dryRun)),
                cancellationToken);
        });
        return command;
    }

    private static Command Export(string noun, Func<Rosters, CancellationToken, Task<string>> export)
    {
        var data = CliOptions.Data();
        var output = new Option<FileInfo?>("--out") { Description = "Write the CSV here (default: standard output)." };
        var command = new Command("export", $"The {noun} as a CSV roster (the import's columns).") { data, output };
        command.SetAction(async (parse, cancellationToken) => await RunAsync($"{noun} export", parse.GetValue(data), async rosters =>
        {
            var csv = await export(rosters, cancellationToken);
            if (parse.GetValue(output) is { } file) await File.WriteAllTextAsync(file.FullName, csv, cancellationToken);
            else Console.Write(csv);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static int Report(string command, ImportResult result, bool dryRun = false)
    {
        if (!result.Applied)
        {
            foreach (var error in result.Errors) Console.Error.WriteLine($"line {error.Line}: {error.Problem}");
            return ExitCodes.UsageError(command, $"{result.Errors.Count} problem(s); nothing was changed.");
        }
        if (result.NewUnits.Count > 0)
            Console.WriteLine($"{(dryRun ? "Would register" : "Registered")} new unit(s), named by their code until renamed (dock units add ID NAME): " +
                string.Join(", ", result.NewUnits));
        Console.WriteLine($"{(dryRun ? "Would add" : "Added")} {result.Added}, {(dryRun ? "change" : "changed")} {result.Changed}, unchanged {result.Unchanged}" +
            (dryRun ? " (dry run: nothing changed)." : "; each change is a registry-changed custody entry."));
        return ExitCodes.Ok;
    }

    private static async Task<int> RunAsync(string command, string? data, Func<Rosters, Task<int>> work, CancellationToken cancellationToken)
    {
        try
        {
            using var folder = await DataFolder.OpenAsync(data, cancellationToken, createCatalog: true);
            var code = await work(new Rosters(new RegistryStore(folder.Catalog.Database), folder.Log));
            if (code == ExitCodes.Ok) await folder.Log.CheckpointAsync(cancellationToken);
            return code;
        }
        catch (Exception ex) when (ex is RegistryException or IdentityException or StorageException or IOException or UnauthorizedAccessException)
        {
            return ExitCodes.UsageError(command, ex.Message);
        }
    }

    private static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
