using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Identity;

/// <summary>
/// Keeps the dock's endorsement current while it runs. Recorders that offer DockLink v1.1 authentication refuse a dock whose
/// expiring endorsement has run out (docklink-v1.md §7.2), which is how an agency revokes a dock: it stops renewing. So the dock
/// re-reads the file (an installer's renewal takes effect at the next handshake, no restart) and warns people before it expires.
/// </summary>
public sealed partial class EndorsementWatch(DockIdentity identity, DockPaths paths, IdentityOptions options, AlertStore alerts,
    ILogger logger, TimeProvider time)
{
    public const string ExpiringAlert = "endorsement-expiring";
    public const string ExpiredAlert = "endorsement-expired";

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        DateTime lastWrite = File.GetLastWriteTimeUtc(paths.EndorsementFile);
        while (true)
        {
            await CheckAsync(stoppingToken).ConfigureAwait(false);
            await Task.Delay(options.EndorsementCheckInterval, time, stoppingToken).ConfigureAwait(false);
            var written = File.GetLastWriteTimeUtc(paths.EndorsementFile);
            if (written == lastWrite) continue;
            lastWrite = written;
            try
            {
                var now = identity.Reload(paths);
                LogReloaded(logger, now.Describe(time.GetUtcNow()));
            }
            catch (IdentityException ex)
            {
                // A half-copied or wrong file must not take away the endorsement that works.
                LogReloadFailed(logger, ex.Message);
                await alerts.RaiseAlertAsync("endorsement-file", null, null, $"{paths.EndorsementFile} changed but cannot be used ({ex.Message}); " +
                    "the dock keeps the endorsement it had", stoppingToken).ConfigureAwait(false);
                continue;
            }
            await alerts.ResolveAlertKindAsync("endorsement-file", "a valid endorsement file was read", stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Raises or resolves the expiry alerts for the endorsement in use.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var endorsements = identity.Endorsements;
        var now = time.GetUtcNow();
        var renew = "renew it with `dock keys endorse --agency-key AGENCY.key --valid-days N`";
        var notAfter = endorsements.NotAfter ?? DateTimeOffset.MaxValue;
        if (notAfter - now > options.EndorsementWarning)
        {
            var why = endorsements.NotAfter is null ? "the dock holds no expiring endorsement" : $"the endorsement now runs until {notAfter:u}";
            await alerts.ResolveAlertKindAsync(ExpiringAlert, why, cancellationToken).ConfigureAwait(false);
            await alerts.ResolveAlertKindAsync(ExpiredAlert, why, cancellationToken).ConfigureAwait(false);
            return;
        }
        var v1 = endorsements.V1.Length > 0 ? "; recorders that still accept v1 authentication are not affected" : "";
        if (now >= notAfter)
        {
            await alerts.ResolveAlertKindAsync(ExpiringAlert, "it has expired", cancellationToken).ConfigureAwait(false);
            await alerts.RaiseAlertAsync(ExpiredAlert, null, null, $"this dock's agency endorsement expired at {notAfter:u}: recorders that " +
                $"offer DockLink v1.1 authentication refuse it, and their footage stays on them{v1}; {renew}", cancellationToken).ConfigureAwait(false);
            LogExpiry(logger, $"expired at {notAfter:u}");
        }
        else
        {
            await alerts.ResolveAlertKindAsync(ExpiredAlert, $"the endorsement now runs until {notAfter:u}", cancellationToken).ConfigureAwait(false);
            await alerts.RaiseAlertAsync(ExpiringAlert, null, null, $"this dock's agency endorsement expires at {notAfter:u} " +
                $"({(notAfter - now).TotalDays:0.#} days); after that recorders that offer DockLink v1.1 authentication refuse it{v1}; {renew}",
                cancellationToken).ConfigureAwait(false);
            LogExpiry(logger, $"expires at {notAfter:u}");
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Endorsement re-read: {Endorsement}")]
    private static partial void LogReloaded(ILogger logger, string endorsement);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "ALERT the endorsement file changed but cannot be used: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "ALERT the dock's endorsement {When}")]
    private static partial void LogExpiry(ILogger logger, string when);
}

/// <summary>Runs the <see cref="EndorsementWatch"/> while the dock runs (when the dock holds an endorsement at all).</summary>
public sealed class EndorsementWorker(DockCore core, ServiceHealth health, ILogger<EndorsementWorker> logger, TimeProvider time)
    : DockWorker(core, health, logger)
{
    protected override string Part => "endorsement watch";

    protected override Task RunAsync(CancellationToken stoppingToken)
    {
        var endorsements = Core.Identity.Endorsements;
        if (endorsements.V1.Length == 0 && endorsements.Expiring is null) return Task.CompletedTask;
        return new EndorsementWatch(Core.Identity, Core.Paths, Core.Options.Identity, Core.Catalog.Alerts, logger, time).RunAsync(stoppingToken);
    }
}
