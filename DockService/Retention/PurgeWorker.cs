using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Retention;

/// <summary>Runs the <see cref="VaultPurge"/> while the dock runs: a sweep every <c>Dock:Retention:PurgeInterval</c>, and at once whenever a
/// look at the disk (every <c>Dock:Retention:SpaceCheckInterval</c>) finds it below the alert level.</summary>
public sealed partial class PurgeWorker(DockCore core, ServiceHealth health, ILogger<PurgeWorker> logger, TimeProvider time)
    : DockWorker(core, health, logger)
{
    protected override string Part => "vault purge";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var options = Core.Options.Retention;
        DateTimeOffset lastSweep = DateTimeOffset.MinValue;
        while (true)
        {
            var now = time.GetUtcNow();
            bool spaceLow = options.AlertWhenFreeBelow > 0 && Core.Purge.FreeBytes() < options.AlertWhenFreeBelow;
            if (spaceLow || now - lastSweep >= options.PurgeInterval)
            {
                lastSweep = now;
                try
                {
                    var report = await Core.Purge.SweepAsync(Core.Log.DockId, dryRun: false, stoppingToken).ConfigureAwait(false);
                    foreach (var purged in report.Purged) LogPurged(logger, purged.Serial, purged.ClipId, purged.Reason, purged.Index);
                    if (report.Stopped is { } why) LogPaused(logger, why);
                }
                catch (Exception ex) when (ex is IOException || ex is StorageException storage && !StorageException.IsDamage(storage))
                {
                    // A busy catalog or a disk hiccup: nothing half-done (each purge is its entry, then its file); the next look tries again.
                    LogSweepFailed(logger, ex);
                }
            }
            await Task.Delay(options.SpaceCheckInterval < options.PurgeInterval ? options.SpaceCheckInterval : options.PurgeInterval, time, stoppingToken)
                .ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Information, Message = "Vault copy of {Serial}/{ClipId} purged ({Reason}), custody entry {Index}")]
    private static partial void LogPurged(ILogger logger, string serial, string clipId, PurgeReason reason, long? index);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "ALERT Vault purge paused: {Why}")]
    private static partial void LogPaused(ILogger logger, string why);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "A vault purge sweep failed; the next one tries again")]
    private static partial void LogSweepFailed(ILogger logger, Exception error);
}
