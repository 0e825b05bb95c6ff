using System.CommandLine;
using Dock.Service.Catalog;
using Dock.Service.Cli;
using Dock.Service.Hosting;

namespace Dock.Service;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Dock: docking-station service for body-worn cameras (执法记录仪). " +
            "Pulls, hashes and stores every clip, and lets a recorder delete nothing until the dock holds a verified copy. " +
            "(From a source checkout, ./dock demo and ./dock bench run dock-tools, which carries the simulator; the shipped dock does not.)")
        {
            RunCommand.Create(),
            StatusCommand.Create(),
            KeysCommand.Create(),
            RecordersCommand.Create(),
            VerifyCommand.Create(),
            LogCommand.Create(),
            ClipsCommand.Create(),
            BaysCommand.Create(),
            ServiceCommand.Create(),
            UsersCommand.Create(),
            ReportCommand.Create(),
            HoldsCommand.Create(),
            PurgeCommand.Create(),
            ExportCommand.Create(),
            AuditCommand.Create(),
            VaultCommand.Create(),
            FleetCommand.Create(),
            RegistryCommands.Units(),
            RegistryCommands.Officers(),
        };
        return await InvokeAsync(root, args);
    }

    /// <summary>Parses and runs a command line: usage errors exit 2 with one line each, and failures a command did not turn into a
    /// message itself still get one line, not a stack trace. Shared with dock-tools (demo, bench).</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await Console.Error.WriteLineAsync($"dock: {error.Message}");
            await Console.Error.WriteLineAsync("Run 'dock --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            // Errors a command did not turn into a message itself still get one line, not a stack trace.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM during a command: it stopped where it was; nothing half-done is left (each step is atomic).
            await Console.Error.WriteLineAsync("dock: stopped.");
            return 130;
        }
        catch (DockStartException ex)
        {
            await Console.Error.WriteLineAsync($"dock: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (StorageException ex)
        {
            var message = ex is { Kind: StorageFailure.Damaged, InnerException: Microsoft.Data.Sqlite.SqliteException raw }
                ? "the catalog is damaged: " + raw.Message + ". Run `dock log verify --data DIR` and see `dock log recover --help`."
                : ex.Message;
            await Console.Error.WriteLineAsync($"dock: {message}");
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DataFolderInUseException)
        {
            await Console.Error.WriteLineAsync($"dock: {ex.Message}");
            return ExitCodes.Failed;
        }
    }
}
