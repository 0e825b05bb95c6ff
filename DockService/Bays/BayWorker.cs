using Dock.DeviceProtocol.Errors;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Ingest;
using Dock.Service.Recorders;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Bays;

/// <summary>
/// One bay's life: wait for a recorder, open it (DockLink handshake, or a mass-storage recorder's command
/// channel and disk), run the docking, and when the link ends
/// (recorder removed, cable pulled, error) go back to waiting. A re-docked recorder resumes where
/// the catalog says it stopped.
/// </summary>
/// <remarks><paramref name="hotplug"/>, when given, returns a task that completes at the next USB hotplug event
/// (netlink): an empty bay then looks again at once instead of at the next poll.</remarks>
public sealed partial class BayWorker(BayOptions bay, IRecorderSource source, RecorderDocking docking, CatalogStores catalog,
    DockOptions options, DockActivity activity, ILogger<BayWorker> logger, TimeProvider time, Func<Task>? hotplug = null)
{
    // What the bay last said it waits for, so the log says it once per change, not at every poll of an empty bay.
    private string? _waitingFor;

    // Links in a row that ended because the recorder broke the protocol (damaged frames past the budget, malformed or
    // out-of-range messages, frames above the limit, no common version): each doubles the pause before the next try, up to
    // MaxBackoff, so a hostile or broken recorder costs the dock a few handshakes a minute, not a core. (A failed
    // authentication is one cheap handshake and keeps the plain reconnect interval.)
    private int _violations;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        activity.SetBay(bay.Id, _ => new BaySnapshot(bay.Id, BayPhase.Empty));
        while (!cancellationToken.IsCancellationRequested)
        {
            IDockedRecorder? session = null;
            TimeSpan? backoff = null;
            // Taken before looking, so a camera docked while we look still wakes the pause.
            var plugged = hotplug?.Invoke();
            try
            {
                // Nothing docked (or nothing answering yet): wait and look again.
                session = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
                if (session is null)
                {
                    var absence = source.Absence ?? "nothing docked";
                    Waiting($"empty: {absence}; looking again every {options.ReconnectInterval.TotalSeconds:0.#} s" + (plugged is null ? "" : " or at a USB event"));
                    activity.SetBay(bay.Id, b => b.Phase is BayPhase.Empty or BayPhase.Error
                        ? new BaySnapshot(bay.Id, b.Phase, Message: b.Phase == BayPhase.Error ? b.Message : absence)
                        : new BaySnapshot(bay.Id, BayPhase.Empty, Message: absence));
                    await PauseAsync(cancellationToken, plugged).ConfigureAwait(false);
                    continue;
                }
                Waiting(null);
                await docking.RunAsync(bay.Id, session, cancellationToken).ConfigureAwait(false);
                if (_violations > 0)
                    await catalog.Alerts.ResolveAlertsAsync("protocol-violation", session.Serial, null, $"docked and served without fault in bay {bay.Id}",
                        CancellationToken.None).ConfigureAwait(false);
                _violations = 0;
                activity.SetBay(bay.Id, _ => new BaySnapshot(bay.Id, BayPhase.Empty)); // Said goodbye and left.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (DockLinkException ex)
            {
                var phase = ex.Failure is DockLinkFailure.ConnectionLost ? BayPhase.Empty : BayPhase.Error;
                if (ex.Failure is DockLinkFailure.ProtocolViolation or DockLinkFailure.TooLarge or DockLinkFailure.VersionMismatch)
                {
                    _violations++;
                    var pause = Backoff();
                    backoff = pause;
                    LogBackingOff(logger, bay.Id, ex.Failure, ex.Message, _violations, pause.TotalSeconds);
                    await catalog.Alerts.RaiseAlertAsync("protocol-violation", session?.Serial, null, $"bay {bay.Id}: the recorder broke DockLink ({ex.Failure}): " +
                        $"{ex.Message}; the link was dropped and the bay waits {pause.TotalSeconds:0.#} s before trying again (doubling, at most " +
                        $"{MaxBackoff.TotalSeconds:0} s). Take the recorder out of service if it repeats.", CancellationToken.None).ConfigureAwait(false);
                    activity.SetBay(bay.Id, b => b with { Phase = BayPhase.Error, Message = $"{ex.Message}; trying again in {pause.TotalSeconds:0.#} s" });
                }
                else
                {
                    // A problem that persists (a host name that does not resolve, a recorder that never answers) is logged once, not per retry.
                    if (phase == BayPhase.Error) Waiting($"link failed ({ex.Failure}): {ex.Message}; trying again in {options.ReconnectInterval.TotalSeconds:0.#} s");
                    else LogLinkEnded(logger, bay.Id, ex.Failure, ex.Message);
                    activity.SetBay(bay.Id, b => b with { Phase = phase, Message = ex.Message });
                }
            }
            catch (Exception ex) when (StorageException.IsDamage(ex))
            {
                // A damaged catalog: retrying would only spread the damage. The dock stops (BayMonitor) and says why.
                throw;
            }
            catch (Exception ex) when (ex is IOException or StorageException or UnauthorizedAccessException)
            {
                // The vault or the catalog failed (disk full, permissions): nothing was released for
                // a clip that is not verified, so the recorder keeps its footage. Retry later, unless the catalog is damaged.
                await catalog.Database.ThrowIfDamagedAsync(ex, CancellationToken.None).ConfigureAwait(false);
                LogStorageError(logger, ex, bay.Id);
                activity.SetBay(bay.Id, b => b with { Phase = BayPhase.Error, Message = ex.Message });
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A defect must cost one bay one attempt, not stop the dock: the other bays keep working.
                LogUnexpected(logger, ex, bay.Id);
                activity.SetBay(bay.Id, b => b with { Phase = BayPhase.Error, Message = ex.Message });
            }
            finally
            {
                if (session is not null)
                {
                    if (cancellationToken.IsCancellationRequested) await SayByeAsync(session).ConfigureAwait(false);
                    await session.DisposeAsync().ConfigureAwait(false);
                }
            }
            // The link is closed (finally above) before a backoff: a broken recorder holds nothing while the bay waits.
            await PauseAsync(cancellationToken, delay: backoff).ConfigureAwait(false);
        }
    }

    /// <summary>Records what the bay waits for; logs it when it changed. Returns whether it changed.</summary>
    private bool Waiting(string? what)
    {
        if (what == _waitingFor) return false;
        _waitingFor = what;
        if (what is not null) LogWaiting(logger, bay.Id, what);
        return true;
    }

    /// <summary>ReconnectInterval doubled per protocol violation in a row, at most <see cref="MaxBackoff"/> (or ReconnectInterval if longer).</summary>
    private TimeSpan Backoff()
    {
        var longest = options.ReconnectInterval > MaxBackoff ? options.ReconnectInterval : MaxBackoff;
        var pause = options.ReconnectInterval * Math.Pow(2, Math.Min(_violations - 1, 16));
        return pause > longest ? longest : pause;
    }

    private async Task PauseAsync(CancellationToken cancellationToken, Task? plugged = null, TimeSpan? delay = null)
    {
        try
        {
            var wait = Task.Delay(delay ?? options.ReconnectInterval, time, cancellationToken);
            // A hotplug event ends the wait early; the delay stays as the fallback poll.
            if (plugged is not null) await Task.WhenAny(wait, plugged).ConfigureAwait(false);
            else await wait.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop condition ends the worker.
        }
    }

    private static async Task SayByeAsync(IDockedRecorder session)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await session.ByeAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockLinkException or OperationCanceledException)
        {
            // Best effort: the recorder's idle timeout ends its side anyway.
        }
    }

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Bay {BayId}: {What}")]
    private static partial void LogWaiting(ILogger logger, string bayId, string what);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning,
        Message = "Bay {BayId}: the recorder broke the protocol ({Failure}): {Reason}; violation {Count} in a row, next try in {Seconds} s")]
    private static partial void LogBackingOff(ILogger logger, string bayId, DockLinkFailure failure, string reason, int count, double seconds);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Bay {BayId}: link ended ({Failure}): {Reason}")]
    private static partial void LogLinkEnded(ILogger logger, string bayId, DockLinkFailure failure, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Critical, Message = "Bay {BayId}: unexpected failure; the bay will retry")]
    private static partial void LogUnexpected(ILogger logger, Exception error, string bayId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Bay {BayId}: storage error; the recorder keeps its footage and the bay will retry")]
    private static partial void LogStorageError(ILogger logger, Exception error, string bayId);
}
