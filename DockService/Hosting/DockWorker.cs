using Dock.Service.Catalog;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Hosting;

/// <summary>
/// A part of the running dock (bays, uploads, checkpoints, the endorsement watch) as its own hosted service. A part that ends
/// with an error stops the whole dock with that error (exit 1 from `dock run`), rather than the dock running on without it or
/// stopping as if asked to: a damaged catalog, or a defect no retry mends.
/// </summary>
public abstract partial class DockWorker(DockCore core, ServiceHealth health, ILogger logger) : BackgroundService
{
    protected DockCore Core => core;

    /// <summary>What the dock calls this part in its one-line stop reason.</summary>
    protected abstract string Part { get; }

    protected abstract Task RunAsync(CancellationToken stoppingToken);

    protected sealed override Task ExecuteAsync(CancellationToken stoppingToken) => GuardAsync(Part, RunAsync(stoppingToken), stoppingToken);

    /// <summary>Awaits one piece of work (a bay, say); its failure stops the dock with <paramref name="part"/> named.</summary>
    protected async Task GuardAsync(string part, Task work, CancellationToken stoppingToken)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            // SQLite's own word for damage gets the catalog's message (what a person does about it); a damage error already says it.
            var message = ex is StorageException { Kind: StorageFailure.Damaged, InnerException: Microsoft.Data.Sqlite.SqliteException raw }
                ? CatalogDatabase.Damaged(core.Catalog.Database.Path, raw.Message).Message
                : StorageException.IsDamage(ex) ? ex.Message : $"{part} failed: {ex.Message}";
            LogFatal(logger, ex, part, message);
            health.Fail(message);
        }
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical, Message = "The dock stops: {Part} failed: {Message}")]
    private static partial void LogFatal(ILogger logger, Exception error, string part, string message);
}
