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
public sealed partial class BayWorker(BayOptions bay, IRecorderSource source, RecorderDocking docking, ClipCatalog catalog,
    DockOptions options, DockActivity activity, ILogger<BayWorker> logger, TimeProvider time, Func<Task>? hotplug = null)
{
    // What the bay last said it waits for, so the log says it once per change, not at every poll of an empty bay.
    private string? _waitingFor;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        activity.SetBay(bay.Id, _ => new BaySnapshot(bay.Id, BayPhase.Empty));
        while (!cancellationToken.IsCancellationRequested)
        {
            IDockedRecorder? session = null;
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
                activity.SetBay(bay.Id, _ => new BaySnapshot(bay.Id, BayPhase.Empty)); // Said goodbye and left.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (DockLinkException ex)
            {
                var phase = ex.Failure is DockLinkFailure.ConnectionLost ? BayPhase.Empty : BayPhase.Error;
                // A problem that persists (a host name that does not resolve, a recorder that never answers) is logged once, not per retry.
                if (phase == BayPhase.Error) Waiting($"link failed ({ex.Failure}): {ex.Message}; trying again in {options.ReconnectInterval.TotalSeconds:0.#} s");
                else LogLinkEnded(logger, bay.Id, ex.Failure, ex.Message);
                activity.SetBay(bay.Id, b => b with { Phase = phase, Message = ex.Message });
            }
            catch (Exception ex) when (ex is CatalogDamagedException || ClipCatalog.IsDamage(ex))
            {
                // A damaged catalog: retrying would only spread the damage. The dock stops (BayMonitor) and says why.
                throw;
            }
            catch (Exception ex) when (ex is IOException or CatalogException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                // The vault or the catalog failed (disk full, permissions): nothing was released for
                // a clip that is not verified, so the recorder keeps its footage. Retry later, unless the catalog is damaged.
                await catalog.ThrowIfDamagedAsync(ex, CancellationToken.None).ConfigureAwait(false);
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
            await PauseAsync(cancellationToken).ConfigureAwait(false);
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

    private async Task PauseAsync(CancellationToken cancellationToken, Task? plugged = null)
    {
        try
        {
            var delay = Task.Delay(options.ReconnectInterval, time, cancellationToken);
            // A hotplug event ends the wait early; the delay stays as the fallback poll.
            if (plugged is not null) await Task.WhenAny(delay, plugged).ConfigureAwait(false);
            else await delay.ConfigureAwait(false);
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

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Bay {BayId}: link ended ({Failure}): {Reason}")]
    private static partial void LogLinkEnded(ILogger logger, string bayId, DockLinkFailure failure, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Critical, Message = "Bay {BayId}: unexpected failure; the bay will retry")]
    private static partial void LogUnexpected(ILogger logger, Exception error, string bayId);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Bay {BayId}: storage error; the recorder keeps its footage and the bay will retry")]
    private static partial void LogStorageError(ILogger logger, Exception error, string bayId);
}
