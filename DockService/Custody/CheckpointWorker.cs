using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Custody;

/// <summary>Signs a checkpoint every interval while the log grows (one per verified clip is made anyway), so events with no clip
/// behind them (enrolments, held footage, acknowledgements) are soon committed to as well.</summary>
public sealed partial class CheckpointWorker(DockCore core, ServiceHealth health, ILogger<CheckpointWorker> logger, TimeProvider time)
    : DockWorker(core, health, logger)
{
    protected override string Part => "custody checkpoints";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            await Task.Delay(Core.Options.CheckpointInterval, time, stoppingToken).ConfigureAwait(false);
            try
            {
                await Core.Log.CheckpointAsync(stoppingToken).ConfigureAwait(false);
                if (Core.Log.JournalProblem is null)
                    await Core.Catalog.Alerts.ResolveAlertKindAsync("custody-journal", "the custody journal is written again", stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StorageException or IOException && !StorageException.IsDamage(ex))
            {
                await Core.Catalog.Database.ThrowIfDamagedAsync(ex, stoppingToken).ConfigureAwait(false);
                LogCheckpointFailed(logger, ex);
                await Core.Catalog.Alerts.RaiseAlertAsync("custody-journal", null, null, $"a custody checkpoint could not be signed and kept: {ex.Message}. " +
                    "Clips are not released until it can (each release waits for a checkpoint covering the clip).", stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Periodic custody checkpoint failed; the next one will cover these events")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception error);
}
