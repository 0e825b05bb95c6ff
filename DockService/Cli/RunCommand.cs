using System.CommandLine;
using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dock.Service.Cli;

/// <summary><c>dock run</c>: the service itself, configured from appsettings.json, environment and command line.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var cloud = CliOptions.Cloud();
        var command = new Command("run", "Run the dock service: watch the configured bays and ingest every docked recorder. " +
            "Any --Dock:Key=value argument overrides configuration, e.g. --Dock:Bays:0:Id=1 --Dock:Bays:0:Endpoint=tcp://127.0.0.1:7001.")
        {
            data, cloud,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(data) is { } dir) overrides["Dock:DataDirectory"] = dir;
            if (parse.GetValue(cloud) is { } target) overrides["Dock:Cloud:Target"] = target;
            // A new fleet bundle's settings stop the host, which is built again with them (Fleet/FleetWorker): pulls resume where they were.
            while (true)
            {
                using var host = DockHost.Build([.. parse.UnmatchedTokens], overrides, new DockActivity(), canRestart: true);
                var code = await RunHostAsync(host, cancellationToken);
                if (code != ExitCodes.Ok || cancellationToken.IsCancellationRequested
                    || host.Services.GetRequiredService<Fleet.FleetRuntime>().RestartFor is not { } version) return code;
                await Console.Error.WriteLineAsync($"dock: restarting with the settings of fleet bundle version {version}.");
            }
        });
        return command;
    }

    /// <summary>Starts a host, mapping set-up failures to a clear message and exit code 2; then runs until stopped: exit 0
    /// when asked to stop, 1 with the reason when the dock stopped on its own (a damaged catalog, a failed part).</summary>
    public static async Task<int> RunHostAsync(IHost host, CancellationToken cancellationToken)
    {
        try
        {
            if (!await TryStartAsync(host, cancellationToken)) return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            // Asked to stop (SIGTERM, Ctrl+C: the command's token, or the host's own stopping signal) while still starting:
            // a clean stop, not a failure.
            return ExitCodes.Ok;
        }
        await host.WaitForShutdownAsync(cancellationToken);
        if (host.Services.GetRequiredService<ServiceHealth>().Failure is { } failure)
        {
            await Console.Error.WriteLineAsync($"dock: stopped: {failure}");
            return ExitCodes.Failed;
        }
        return ExitCodes.Ok;
    }

    public static async Task<bool> TryStartAsync(IHost host, CancellationToken cancellationToken)
    {
        try
        {
            await host.StartAsync(cancellationToken);
            return true;
        }
        catch (OptionsValidationException ex)
        {
            await Console.Error.WriteLineAsync("dock: the configuration is not valid:");
            foreach (var failure in ex.Failures) await Console.Error.WriteLineAsync($"  - {failure}");
        }
        catch (Exception ex) when (ex is IdentityException or StorageException or InvalidDataException or UnauthorizedAccessException or IOException
            or DataFolderInUseException or DockStartException)
        {
            await Console.Error.WriteLineAsync($"dock: cannot start: {ex.Message}");
        }
        return false;
    }
}
