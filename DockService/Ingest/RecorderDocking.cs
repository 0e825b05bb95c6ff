using System.Collections.Concurrent;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Enrolment;
using Dock.Service.Recorders;
using Dock.Service.Release;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Ingest;

/// <summary>
/// What the dock does with an authenticated recorder in a bay: identify it, sync its clock, sample
/// its battery, list its clips, pull every clip the vault does not hold (mandatory R11 recordings
/// first), release per policy, then keep sampling the battery until it is taken out. While it stays,
/// a request to look again (a vault copy found missing, say) runs the listing and pulls once more.
/// </summary>
/// <remarks>
/// Custody is complete for every clip that leaves the recorder (custody-log-v1.md §1.1): a release-requested entry
/// is durable before RELEASE_CLIP is sent, and the clip becomes Released (with its released entry) only once the
/// dock knows it is gone: the recorder says it deleted it, or a later complete listing no longer holds it. A clip
/// that disappears without the dock's request gets a missing entry and an alert.
/// </remarks>
public sealed partial class RecorderDocking(CatalogStores catalog, ClipIngestor ingestor, CustodyTrail custody, RecorderEnrolment enrolment,
    PullScheduler scheduler, DockOptions options, DockActivity activity, ReleaseCoordinator releases, RecheckRequests rechecks,
    ILogger<RecorderDocking> logger, TimeProvider time, Metrics.DockMetrics? metrics = null, Metadata.RecorderMetadata? recorderMetadata = null,
    DockedRecorders? docked = null, Equipment.Checkouts? checkouts = null, Fleet.RecorderConfiguration? configuration = null,
    Fleet.RecorderFirmware? firmware = null)
{
    /// <summary>One docking's shared state: the pass and the releaser both see it.</summary>
    private sealed class Docking(string bayId, IDockedRecorder session, DockingContext context, RecorderTrust trust, DateTimeOffset startedAt,
        ReleaseFeed feed)
    {
        /// <summary>This recorder's release feed (<see cref="ReleaseCoordinator"/>): cloud copies verified while it is docked.</summary>
        public ReleaseFeed Feed { get; } = feed;

        public string BayId { get; } = bayId;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public IDockedRecorder Session { get; } = session;
        public DockingContext Context { get; } = context;
        public RecorderTrust Trust { get; } = trust;

        /// <summary>Verified clips waiting for their cloud copy before they may be released (AfterCloudVerify).</summary>
        public ConcurrentDictionary<long, ClipRecord> Waiting { get; } = new();

        /// <summary>Clips whose release this docking already attempted: each is asked once per docking, by one task.</summary>
        public ConcurrentDictionary<long, byte> Claimed { get; } = new();

        public volatile bool PassRunning;

        /// <summary>The last listing was whole and well-formed (part of a trial firmware's health check).</summary>
        public bool ListingWhole { get; set; }

        /// <summary>Firmware waits for the battery to reach this percentage: the idle loop looks again once it has.</summary>
        public int? FirmwareBattery { get; set; }
    }

    /// <summary>A clip whose pull failed while the link stayed up: when it may be tried again, and how many times it failed.</summary>
    private sealed record Setback(string Serial, int Failures, DateTimeOffset RetryAt, string LastError);

    // Per clip (by catalog row), across dockings: a clip that fails every time is tried less and less often, and never
    // before the others (R11: a camera full of footage it cannot hand over stops recording).
    private readonly ConcurrentDictionary<long, Setback> _setbacks = new();

    /// <summary>A docking that ended by an error this recently is reopened by the recorder's next link in the same bay.</summary>
    private static readonly TimeSpan RejoinWithin = TimeSpan.FromMinutes(2);

    /// <summary>Refused listing entries alerted one by one per listing; the rest share one alert.</summary>
    private const int RefusedAlertsPerListing = 10;

    /// <summary>Failures in a row after which a clip is alerted as stuck.</summary>
    private const int StuckAfter = 3;
    private static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(30);

    public async Task RunAsync(string bayId, IDockedRecorder session, CancellationToken cancellationToken)
    {
        activity.SetBay(bayId, _ => new BaySnapshot(bayId, BayPhase.Identifying, session.Serial));
        var info = await session.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        if (info.Serial != session.Serial)
            throw DockLinkErrors.Malformed(MessageType.Info, $"serial {info.Serial} differs from the {session.Serial} it docked as");
        await catalog.Recorders.UpsertRecorderAsync(info, session.ProvedKey, cancellationToken).ConfigureAwait(false);
        activity.SetBay(bayId, b => b with { OfficerId = info.OfficerId });
        // A link that keeps dropping rejoins its docking instead of opening a row per reconnect.
        long sessionId = await catalog.Docking.StartSessionAsync(bayId, info.Serial, cancellationToken, rejoinWithin: RejoinWithin).ConfigureAwait(false);
        string endReason = "recorder removed";
        try
        {
            await StorageAsync(bayId, sessionId, info, cancellationToken).ConfigureAwait(false);
            var offset = await SyncTimeAsync(bayId, info.Serial, session, cancellationToken).ConfigureAwait(false);
            await catalog.Docking.SetClockOffsetAsync(sessionId, offset, cancellationToken).ConfigureAwait(false);
            LogDocked(logger, bayId, info.Serial, info.OfficerId, (long)offset.TotalMilliseconds, info.ClipCount);
            var trust = await enrolment.EvaluateAsync(info.Serial, session.ProvedKey, cancellationToken).ConfigureAwait(false);
            var context = new DockingContext(bayId, info.Model, info.Firmware, session.ProvedKey, offset, trust, session.SignsClips, session.HashSource,
                session.SignsClipsV11, session.SignsClipsV15);
            if (trust.Trusted)
            {
                // Enrolled since its footage was held: pull it again, now trusted. The held copies stay.
                int unheld = await catalog.Lifecycle.UnholdUntrustedAsync(info.Serial, cancellationToken).ConfigureAwait(false);
                if (unheld > 0) LogUnheld(logger, info.Serial, unheld);
                await catalog.Alerts.ResolveAlertsAsync("untrusted-recorder", info.Serial, null, $"docked in bay {bayId} and trusted", cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                var what = options.QuarantineUnenrolled ? "its footage is pulled into quarantine" : "its footage is left on it (QuarantineUnenrolled is off)";
                await catalog.Alerts.RaiseAlertAsync("untrusted-recorder", info.Serial, null, $"bay {bayId}: {trust.Reason}; {what} and it is never told to delete anything",
                    cancellationToken).ConfigureAwait(false);
                LogUntrusted(logger, bayId, trust.Reason!, what);
            }
            var battery = await SampleBatteryAsync(bayId, sessionId, info.Serial, session, cancellationToken).ConfigureAwait(false);
            using var present = docked?.Add(bayId, sessionId, session, trust.Trusted);
            // Check-in is docking: a camera out on a checkout is back.
            if (checkouts is not null) await checkouts.CheckInAsync(info.Serial, bayId, sessionId, cancellationToken).ConfigureAwait(false);
            using var feed = releases.Open(info.Serial);
            var docking = new Docking(bayId, session, context, trust, time.GetUtcNow(), feed);

            using var releaserStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var releaser = releases.Policy == ReleasePolicy.AfterCloudVerify && trust.Trusted
                ? ReleaseAsCloudVerifiedAsync(docking, releaserStop.Token)
                : Task.CompletedTask;
            try
            {
                string? batteryProblem = null;
                bool first = true;
                while (true)
                {
                    docking.PassRunning = true;
                    var outcome = await PassAsync(docking, info, cancellationToken).ConfigureAwait(false);
                    docking.PassRunning = false;
                    // Its footage is safe (every listed clip verified in the vault): now its profile may be set (fleet-bundle-v1.md §7).
                    if (configuration is not null && trust.Trusted && outcome.Done == outcome.Listed)
                        await ConfigureAsync(bayId, info, session, cancellationToken).ConfigureAwait(false);
                    // Firmware: a trial image is judged by this docking's health; a new one is sent only once the footage is safe.
                    if (firmware is not null && trust.Trusted)
                        await UpdateFirmwareAsync(docking, info, outcome.Done == outcome.Listed, battery is not null, cancellationToken).ConfigureAwait(false);
                    // The footage is safe; a worn-out or faulty battery is the one thing left for a person to see to.
                    if (first) batteryProblem = await BatteryAttentionAsync(bayId, info.Serial, battery, cancellationToken).ConfigureAwait(false);
                    first = false;
                    ShowOutcome(docking, outcome, batteryProblem);

                    // Stay docked: sample the battery (charging log) until the recorder is taken out, or until asked to look again
                    // (and, when clips did not fit on the vault's disk, look again after a while).
                    // Look again when clips did not fit on the vault's disk, or when a clip that failed may be tried again.
                    TimeSpan? lookAgain = outcome.NoRoom is null ? null : NoRoomRetry;
                    if (outcome.SetBack > 0 && NextRetry(info.Serial) is { } retry && (lookAgain is null || retry < lookAgain)) lookAgain = retry;
                    var (left, problem) = await IdleAsync(docking, sessionId, info.Serial, batteryProblem, lookAgain,
                        cancellationToken).ConfigureAwait(false);
                    batteryProblem = problem;
                    if (left) break;
                    LogRecheck(logger, bayId, info.Serial);
                }
            }
            finally
            {
                await releaserStop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await releaser.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or DockLinkException or IOException)
                {
                    // The session ended under it; what was released is recorded, the rest waits for the next docking.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            endReason = "dock stopping";
            throw;
        }
        catch (Exception ex)
        {
            endReason = $"ended by error: {ex.Message}";
            throw;
        }
        finally
        {
            await catalog.Docking.EndSessionAsync(sessionId, endReason, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Sets the camera's profile from the applied fleet bundle. A refusal or a failure of this one step is logged and alerted, never the end
    /// of the docking (the footage is what matters); a recorder that left ends it as always.</summary>
    private async Task ConfigureAsync(string bayId, Info info, IDockedRecorder session, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await configuration!.ConfigureAsync(session, info.Model, cancellationToken).ConfigureAwait(false);
            if (outcome is not (Fleet.ConfigureOutcome.NoProfile or Fleet.ConfigureOutcome.Current or Fleet.ConfigureOutcome.CannotConfigure))
                LogConfigured(logger, bayId, info.Serial, outcome.ToString());
        }
        catch (DockLinkException ex) when (ex.Failure is not DockLinkFailure.ConnectionLost)
        {
            LogConfigureFailed(logger, bayId, info.Serial, ex.Message);
            await catalog.Alerts.RaiseAlertAsync(Fleet.RecorderConfiguration.MismatchAlert, info.Serial, null,
                CustodyEvent.FitDetail($"bay {bayId}: its profile could not be set ({ex.Message}); it is not ready for checkout"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Fleet.FleetBundleException or IOException)
        {
            LogConfigureFailed(logger, bayId, info.Serial, ex.Message);
        }
    }

    /// <summary>Puts the applied bundle's firmware on the camera, or confirms the trial image it booted (Fleet/RecorderFirmware). As with the
    /// profile, a failure of this step is logged and alerted, never the end of the docking; an install ends it (the camera reboots).</summary>
    private async Task UpdateFirmwareAsync(Docking docking, Info info, bool footageSafe, bool batteryRead, CancellationToken cancellationToken)
    {
        docking.FirmwareBattery = null;
        try
        {
            var look = await firmware!.UpdateAsync(docking.Session, info, footageSafe, healthy: docking.ListingWhole && footageSafe && batteryRead,
                cancellationToken).ConfigureAwait(false);
            if (look.Outcome == Fleet.FirmwareOutcome.WaitingForBattery) docking.FirmwareBattery = look.BatteryNeeded;
            if (look.Outcome is not (Fleet.FirmwareOutcome.NoImage or Fleet.FirmwareOutcome.CannotUpdate or Fleet.FirmwareOutcome.Current or Fleet.FirmwareOutcome.FailedBefore))
                LogFirmware(logger, docking.BayId, info.Serial, look.Outcome.ToString(), look.BytesSent, look.ResumedAt);
        }
        catch (DockLinkException ex) when (ex.Failure is not DockLinkFailure.ConnectionLost)
        {
            LogFirmwareFailed(logger, docking.BayId, info.Serial, ex.Message);
            // Not a verdict on the image (a timeout, a damaged answer): its own alert kind, so a rollout is not halted by a bad cable.
            await catalog.Alerts.RaiseAlertAsync(Fleet.RecorderFirmware.InterruptedAlert, info.Serial, null,
                CustodyEvent.FitDetail($"bay {docking.BayId}: its firmware could not be updated ({ex.Message}); the next docking tries again, from what it holds"),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Fleet.FleetBundleException or IOException)
        {
            LogFirmwareFailed(logger, docking.BayId, info.Serial, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Bay {BayId}: recorder {Serial} firmware: {Outcome} ({Sent} bytes sent, resumed at {ResumedAt}).")]
    private static partial void LogFirmware(ILogger logger, string bayId, string serial, string outcome, long sent, long resumedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bay {BayId}: recorder {Serial} firmware update failed: {Message}")]
    private static partial void LogFirmwareFailed(ILogger logger, string bayId, string serial, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bay {BayId}: recorder {Serial} profile: {Outcome}.")]
    private static partial void LogConfigured(ILogger logger, string bayId, string serial, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bay {BayId}: the profile of recorder {Serial} could not be set: {Message}")]
    private static partial void LogConfigureFailed(ILogger logger, string bayId, string serial, string message);

    /// <summary>Records the camera's storage at docking, and raises (or resolves) <c>storage-nearly-full</c>: a camera whose locked footage
    /// fills it stops recording. A report that cannot be (more free than total, a zero total) is kept as reported and not judged.</summary>
    private async Task StorageAsync(string bayId, long sessionId, Info info, CancellationToken cancellationToken)
    {
        await catalog.Docking.SetStorageAsync(sessionId, info.StorageTotal, info.StorageFree, cancellationToken).ConfigureAwait(false);
        if (info.StorageTotal == 0 || info.StorageFree > info.StorageTotal) return;
        double freePercent = 100.0 * info.StorageFree / info.StorageTotal;
        if (freePercent < options.StorageNearlyFullPercent)
            await catalog.Alerts.RaiseAlertAsync("storage-nearly-full", info.Serial, null,
                $"{info.Serial} docked in bay {bayId} with {freePercent:0.#} % of its storage free ({info.StorageFree:N0} of {info.StorageTotal:N0} bytes), " +
                $"below Dock:StorageNearlyFullPercent ({options.StorageNearlyFullPercent} %). A camera whose locked footage fills it stops recording: dock it " +
                "more often, or have its locked clips looked at.", cancellationToken).ConfigureAwait(false);
        else
            await catalog.Alerts.ResolveAlertsAsync("storage-nearly-full", info.Serial, null, $"docked in bay {bayId} with {freePercent:0.#} % free",
                cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sets the recorder's clock and returns how far off it was. A reading no clock can show (year 10000, a dead RTC's 1970, an
    /// i64 extreme) is alerted, and the clock, now set, is read again: the docking goes on, with the offset measured after the
    /// set, and the alert says the times on clips recorded before it are not to be trusted.
    /// </summary>
    private async Task<TimeSpan> SyncTimeAsync(string bayId, string serial, IDockedRecorder session, CancellationToken cancellationToken)
    {
        try
        {
            var offset = await session.SyncTimeAsync(cancellationToken).ConfigureAwait(false);
            await catalog.Alerts.ResolveAlertsAsync("recorder-clock", serial, null, $"clock read correctly in bay {bayId}", cancellationToken).ConfigureAwait(false);
            return offset;
        }
        catch (DockLinkException ex) when (DockLinkErrors.IsClockOutOfRange(ex))
        {
            await catalog.Alerts.RaiseAlertAsync("recorder-clock", serial, null, $"bay {bayId}: {ex.Message}. The dock set it; times the recorder gave its " +
                "clips before this docking are not to be trusted. Have the recorder's clock battery checked.", cancellationToken).ConfigureAwait(false);
            LogClockInvalid(logger, bayId, serial, ex.Message);
            return await session.SyncTimeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record PassOutcome(int Listed, int Done, int Mismatched, int Untrusted, bool Pulled, string? NoRoom, int SetBack = 0);

    /// <summary>How soon a docking whose clips did not fit on the vault's disk looks again (space is freed by people, not by the dock).</summary>
    private static readonly TimeSpan NoRoomRetry = TimeSpan.FromSeconds(30);
    // How long a stopping dock still waits for the answer to a RELEASE_CLIP it has sent (the request timeout bounds it too).
    private static readonly TimeSpan ReleaseAnswerGrace = TimeSpan.FromSeconds(3);

    /// <summary>List, settle what left the recorder, pull what the vault lacks, release per policy.</summary>
    private async Task<PassOutcome> PassAsync(Docking docking, Info info, CancellationToken cancellationToken)
    {
        var (bayId, session, context, trust) = (docking.BayId, docking.Session, docking.Context, docking.Trust);
        var clips = await AnnounceAsync(docking, info, cancellationToken).ConfigureAwait(false);
        int done = clips.Count(c => c.State is ClipState.Released);
        bool pull = trust.Trusted || options.QuarantineUnenrolled;
        // What this pass still has to bring in, for the bay's time-left estimate.
        long pending = pull ? clips.Where(c => c.State is not (ClipState.Verified or ClipState.Released or ClipState.Quarantined)).Sum(c => c.Size) : 0;
        activity.SetBay(bayId, b => b with { ClipsDone = done, ClipsTotal = clips.Count, Finished = false, PendingBytes = pending });
        var cloudVerified = await catalog.Uploads.CloudVerifiedClipsAsync(info.Serial, cancellationToken).ConfigureAwait(false);
        string? noRoom = null;
        int setBack = 0;
        // Clips that failed before go after the others, in the order of the R11 priority otherwise.
        foreach (var listed in clips.OrderBy(c => _setbacks.ContainsKey(c.Id)))
        {
            var clip = listed;
            if (pull && clip.State is not (ClipState.Verified or ClipState.Released or ClipState.Quarantined))
            {
                pending -= clip.Size; // Counted down before the pull: the bay shows the pending bytes beside the clip in progress.
                activity.SetBay(bayId, b => b with { PendingBytes = pending }, signal: false);
                if (_setbacks.TryGetValue(clip.Id, out var earlier) && earlier.RetryAt > time.GetUtcNow())
                {
                    setBack++;
                    continue;
                }
                try
                {
                    using (await AcquirePullSlotAsync(bayId, clip, cancellationToken).ConfigureAwait(false))
                        clip = await ingestor.BringToVerifiedAsync(session, clip, context, cancellationToken).ConfigureAwait(false);
                    if (_setbacks.TryRemove(clip.Id, out var was) && was.Failures >= StuckAfter)
                        await catalog.Alerts.ResolveAlertsAsync("clip-stuck", clip.RecorderSerial, clip.ClipId, $"pulled in bay {bayId}", cancellationToken)
                            .ConfigureAwait(false);
                }
                catch (VaultFullException ex)
                {
                    // The disk cannot take it now: it stays on the recorder; smaller clips may still fit, so go on with them.
                    noRoom = ex.Message;
                }
                catch (DockLinkException ex) when (ex.Failure != DockLinkFailure.ConnectionLost && !session.Completion.IsCompleted)
                {
                    // This clip failed (stalled, refused, damaged every time) but the link is up: it must not hold back the others.
                    await SetBackAsync(bayId, clip, ex.Message, cancellationToken).ConfigureAwait(false);
                    setBack++;
                }
            }
            // What the camera keeps beside the clip (track, markers, importance) is taken before the clip may leave it, as the clip is.
            if (recorderMetadata is not null && clip.State == ClipState.Verified)
                await recorderMetadata.ReceiveAsync(session, clip, cancellationToken).ConfigureAwait(false);
            var decision = releases.Decide(clip, trust, cloudVerified.Contains(clip.Id));
            if (decision.Verdict == ReleaseVerdict.Release)
                await ReleaseAsync(docking, clip, decision, cancellationToken).ConfigureAwait(false);
            else if (decision.Verdict == ReleaseVerdict.WaitForCloud && !docking.Claimed.ContainsKey(clip.Id))
            {
                docking.Waiting[clip.Id] = clip;
                // Its cloud copy may have verified since this pass read the cloud state: the releaser looks once more.
                docking.Feed.Post(clip.Id);
            }
            if (clip.State is ClipState.Verified or ClipState.Released)
            {
                done++;
                LogClipSafe(logger, bayId, clip.RecorderSerial, clip.ClipId, clip.Size, clip.DeviceSha256);
            }
            activity.SetBay(bayId, b => b with { ClipsDone = done });
        }
        var final = await catalog.Clips.ListClipsAsync(info.Serial, cancellationToken).ConfigureAwait(false);
        var listedIds = clips.Select(c => c.Id).ToHashSet();
        int mismatched = final.Count(c => listedIds.Contains(c.Id) && c.State == ClipState.Quarantined && c.Hold is null);
        int untrusted = final.Count(c => listedIds.Contains(c.Id) && c.State == ClipState.Quarantined && c.Hold is not null);
        return new PassOutcome(clips.Count, done, mismatched, untrusted, pull, noRoom, setBack);
    }

    /// <summary>Records a clip's failed pull: backs it off (Dock:ClipRetryAfter, doubling, at most 30 min) and alerts it as stuck after three in a row.</summary>
    private async Task SetBackAsync(string bayId, ClipRecord clip, string error, CancellationToken cancellationToken)
    {
        var setback = _setbacks.AddOrUpdate(clip.Id,
            _ => new Setback(clip.RecorderSerial, 1, time.GetUtcNow() + options.ClipRetryAfter, error),
            (_, s) =>
            {
                var wait = options.ClipRetryAfter * Math.Pow(2, Math.Min(s.Failures, 12));
                return new Setback(clip.RecorderSerial, s.Failures + 1, time.GetUtcNow() + (wait > LongestRetry ? LongestRetry : wait), error);
            });
        await catalog.Clips.RecordErrorAsync(clip.Id, $"pull failed ({setback.Failures} in a row): {error}; tried again after {setback.RetryAt:HH:mm:ss}",
            cancellationToken).ConfigureAwait(false);
        LogClipSetBack(logger, bayId, clip.RecorderSerial, clip.ClipId, setback.Failures, error);
        if (setback.Failures >= StuckAfter)
            await catalog.Alerts.RaiseAlertAsync("clip-stuck", clip.RecorderSerial, clip.ClipId, $"bay {bayId}: {clip.ClipId} failed to come in {setback.Failures} " +
                $"times in a row (last: {error}); the recorder's other clips are pulled meanwhile, this one is tried again at {setback.RetryAt:u}. " +
                "Footage left on a camera fills it: have the recorder checked.", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How soon this recorder's first set-back clip may be tried again, if it has any.</summary>
    private TimeSpan? NextRetry(string serial)
    {
        var now = time.GetUtcNow();
        var due = _setbacks.Values.Where(s => s.Serial == serial).Select(s => (DateTimeOffset?)s.RetryAt).Min();
        return due is { } at ? (at > now ? at - now : TimeSpan.Zero) : null;
    }

    /// <summary>A pull slot (Dock:MaxConcurrentPulls across all bays); the bay says it is waiting for one rather than looking idle.</summary>
    private async Task<IDisposable> AcquirePullSlotAsync(string bayId, ClipRecord clip, CancellationToken cancellationToken)
    {
        if (scheduler.TryAcquire() is { } slot) return slot;
        activity.SetBay(bayId, b => b with
        {
            Phase = BayPhase.Waiting, ClipId = clip.ClipId, ClipBytes = 0, ClipSize = clip.Size,
            Message = $"waiting for a free pull slot: {options.MaxConcurrentPulls} clip(s) are being pulled in other bays",
        });
        LogWaitingForSlot(logger, bayId, clip.RecorderSerial, clip.ClipId, options.MaxConcurrentPulls);
        slot = await scheduler.AcquireAsync(cancellationToken).ConfigureAwait(false);
        activity.SetBay(bayId, b => b with { Message = null });
        return slot;
    }

    private void ShowOutcome(Docking docking, PassOutcome outcome, string? batteryProblem)
    {
        int notDone = outcome.Listed - outcome.Done;
        int kept = docking.Waiting.Count;
        var (reason, count) = notDone == 0 ? (batteryProblem is not null ? ("battery", 0) : kept == 0 ? ((string?)null, 0) : ("kept-until-cloud", kept))
            : outcome.NoRoom is not null ? ("vault-full", notDone)
            : outcome.SetBack > 0 ? ("set-back", outcome.SetBack)
            : !docking.Trust.Trusted ? ("untrusted", notDone)
            : outcome.Mismatched > 0 ? ("hash-mismatch", outcome.Mismatched)
            : ("held", outcome.Untrusted);
        activity.SetBay(docking.BayId, b => b with
        {
            Reason = reason,
            ReasonCount = count,
            Phase = notDone == 0 ? (batteryProblem is null ? BayPhase.Done : BayPhase.Attention)
                : outcome.Mismatched > 0 || outcome.NoRoom is not null || outcome.SetBack > 0 ? BayPhase.Error : BayPhase.Attention,
            ClipId = null,
            Finished = true,
            Message = notDone == 0 ? batteryProblem ?? (kept == 0 ? null : $"{kept} clip(s) safe in the vault, kept on the recorder until the cloud copy is verified")
                : outcome.NoRoom is not null ? $"{notDone} clip(s) left on the recorder: the vault's disk is full; trying again every {NoRoomRetry.TotalSeconds:0} s ({outcome.NoRoom})"
                : outcome.SetBack > 0 ? $"{outcome.SetBack} clip(s) failed to come in and are tried again later (see `dock status`); the others were pulled"
                : !outcome.Pulled ? $"{docking.Trust.Reason}; {notDone} clip(s) left on the recorder"
                : outcome.Mismatched > 0 ? $"{outcome.Mismatched} clip(s) quarantined: hash mismatch, kept on the recorder"
                : $"{outcome.Untrusted} clip(s) held in quarantine, kept on the recorder: {(docking.Trust.Trusted ? "bad record-time signature" : docking.Trust.Reason)}",
        });
    }

    /// <summary>
    /// Waits while the recorder stays docked, sampling its battery. Returns Left = true when it was taken out, false when
    /// something asked for another pass over its clips (<see cref="RecheckRequests"/>).
    /// </summary>
    private async Task<(bool Left, string? BatteryProblem)> IdleAsync(Docking docking, long sessionId, string serial, string? batteryProblem,
        TimeSpan? lookAgainAfter, CancellationToken cancellationToken)
    {
        var session = docking.Session;
        var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
        var poll = Task.Delay(options.BatteryPollInterval, time, cancellationToken);
        var again = lookAgainAfter is { } after ? Task.Delay(after, time, cancellationToken) : stopped;
        while (true)
        {
            var requested = rechecks.WhenRequested(serial);
            if (rechecks.Take(serial) || again.IsCompletedSuccessfully) return (false, batteryProblem);
            var woke = await Task.WhenAny(session.Completion, poll, requested, again, stopped).ConfigureAwait(false);
            if (woke == session.Completion)
            {
                await session.Completion.ConfigureAwait(false);
                return (true, batteryProblem);
            }
            cancellationToken.ThrowIfCancellationRequested();
            if (woke == again) return (false, batteryProblem);
            if (woke != poll) continue;
            poll = Task.Delay(options.BatteryPollInterval, time, cancellationToken);
            var sample = await SampleBatteryAsync(docking.BayId, sessionId, serial, session, cancellationToken).ConfigureAwait(false);
            // Charged enough for the firmware that waited: look again (the pass finds nothing new and the update goes ahead).
            if (docking.FirmwareBattery is { } needed && sample is { } charged && charged.Percent >= needed) return (false, batteryProblem);
            if (batteryProblem is null && await BatteryAttentionAsync(docking.BayId, serial, sample, cancellationToken).ConfigureAwait(false) is { } appeared)
            {
                batteryProblem = appeared;
                activity.SetBay(docking.BayId, b => b.Phase == BayPhase.Done ? b with { Phase = BayPhase.Attention, Message = appeared, Reason = "battery", ReasonCount = 0 } : b);
            }
        }
    }

    /// <summary>
    /// Releases waiting clips as their cloud copies verify, for as long as the recorder stays docked: it reads this docking's
    /// release feed (the uploader posts each cloud copy it verifies) and asks the coordinator again for each waiting clip.
    /// </summary>
    private async Task ReleaseAsCloudVerifiedAsync(Docking docking, CancellationToken cancellationToken)
    {
        var serial = docking.Session.Serial;
        var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
        while (true)
        {
            var signal = docking.Feed.Reader.WaitToReadAsync(cancellationToken).AsTask();
            var woke = await Task.WhenAny(signal, docking.Session.Completion, stopped).ConfigureAwait(false);
            if (woke == docking.Session.Completion) return;
            cancellationToken.ThrowIfCancellationRequested();
            if (!await signal.ConfigureAwait(false)) return;
            // The signals only wake this loop: the cloud state of every waiting clip is read from the catalog, so a signal the
            // bounded feed dropped, or one that came before its clip started waiting, loses nothing.
            while (docking.Feed.Reader.TryRead(out _)) { }
            if (docking.Waiting.IsEmpty) continue;
            var verified = await catalog.Uploads.CloudVerifiedClipsAsync(serial, cancellationToken).ConfigureAwait(false);
            foreach (var id in docking.Waiting.Keys.Where(verified.Contains).ToList())
            {
                if (!docking.Waiting.TryRemove(id, out var clip)) continue;
                var decision = releases.Decide(clip, docking.Trust, cloudCopyVerified: true);
                if (decision.Verdict == ReleaseVerdict.Release)
                    await ReleaseAsync(docking, clip, decision, cancellationToken).ConfigureAwait(false);
            }
            if (docking.Waiting.IsEmpty && !docking.PassRunning)
                activity.SetBay(docking.BayId, b => b.Reason == "kept-until-cloud" ? b with { Message = null, Reason = null, ReasonCount = 0 } : b);
        }
    }

    private async Task<List<ClipRecord>> AnnounceAsync(Docking docking, Info info, CancellationToken cancellationToken)
    {
        var listing = await docking.Session.ListClipsAsync(cancellationToken).ConfigureAwait(false);
        docking.ListingWhole = listing.Complete && listing.Problem is null;
        if (listing.Complete)
            await ReconcileAsync(docking, [.. listing.Clips.Select(c => c.ClipId), .. listing.Refused.Select(r => r.ClipId)], cancellationToken)
                .ConfigureAwait(false);
        foreach (var (clipId, reason) in listing.Refused.Take(RefusedAlertsPerListing))
        {
            // Out of bounds (a size or a time no clip has): the entry is refused, the clip stays on the recorder, a person decides.
            await catalog.Alerts.RaiseAlertAsync("clip-refused", info.Serial, clipId, $"bay {docking.BayId}: {clipId} is listed with {reason}; it is not " +
                "pulled and stays on the recorder. Have the recorder checked.", cancellationToken).ConfigureAwait(false);
            LogClipRefused(logger, info.Serial, clipId, reason);
        }
        // A recorder listing thousands of absurd entries gets one alert for the rest, not a row each per docking.
        if (listing.Refused.Count > RefusedAlertsPerListing)
            await catalog.Alerts.RaiseAlertAsync("clip-refused", info.Serial, null, $"bay {docking.BayId}: {listing.Refused.Count - RefusedAlertsPerListing} " +
                $"more listed entries refused (e.g. {listing.Refused[RefusedAlertsPerListing].ClipId}: {listing.Refused[RefusedAlertsPerListing].Reason})",
                cancellationToken).ConfigureAwait(false);
        if (!listing.Complete) LogListingIncomplete(logger, docking.BayId, info.Serial, listing.Clips.Count);
        // A listing the recorder got wrong (or one past the dock's bounds) is a person's to see: footage may be left on the camera.
        if (listing.Problem is { } problem)
            await catalog.Alerts.RaiseAlertAsync("recorder-listing", info.Serial, null, $"bay {docking.BayId}: the recorder's clip listing was cut short: {problem}; " +
                $"the {listing.Clips.Count} clip(s) listed before it are taken, the rest stay on the recorder and nothing unlisted is taken as gone",
                cancellationToken).ConfigureAwait(false);
        else
            await catalog.Alerts.ResolveAlertsAsync("recorder-listing", info.Serial, null, $"listed in full in bay {docking.BayId}", cancellationToken).ConfigureAwait(false);
        var rows = new List<ClipRecord>(listing.Clips.Count);
        foreach (var clip in listing.Clips)
        {
            try
            {
                var (row, change, previous) = await catalog.Lifecycle.AnnounceAsync(info.Serial, clip, info.OfficerId, cancellationToken).ConfigureAwait(false);
                await AnnouncedChangeAsync(docking, row, change, previous, cancellationToken).ConfigureAwait(false);
                // Released by this docking's releaser after the listing was taken: the listing is older than the deletion.
                if (row.LeftRecorderAt is not null && docking.Claimed.ContainsKey(row.Id)) continue;
                if (row.LeftRecorderAt is not null) row = await RelistedAsync(docking, row, cancellationToken).ConfigureAwait(false);
                if (docking.Session.SignsClips && row.RecorderSignature is null && row.State is not (ClipState.Verified or ClipState.Released))
                    row = await FetchSignatureAsync(docking.Session, row, clip, cancellationToken).ConfigureAwait(false);
                rows.Add(row);
            }
            catch (StorageException ex)
            {
                LogAnnounceRefused(logger, info.Serial, clip.ClipId, ex.Message);
            }
            catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.ProtocolViolation && !docking.Session.Completion.IsCompleted)
            {
                // The recorder contradicts itself about this clip (CLIP_INFO against CLIP_LIST): it is not taken this docking, the
                // others are; a person sees it. A later listing that agrees with itself brings it in.
                await catalog.Alerts.RaiseAlertAsync("clip-refused", info.Serial, clip.ClipId, $"bay {docking.BayId}: {clip.ClipId}: {ex.Message} It is not " +
                    "pulled this docking and stays on the recorder.", cancellationToken).ConfigureAwait(false);
                LogClipRefused(logger, info.Serial, clip.ClipId, ex.Message);
            }
        }
        // R11: mandatory full-process recordings first, then those the officer marked, then oldest first.
        return [.. rows.OrderByDescending(r => r.Flags.HasFlag(ClipFlags.Mandatory))
            .ThenByDescending(r => r.Flags.HasFlag(ClipFlags.Important))
            .ThenBy(r => r.DeviceStart)];
    }

    /// <summary>Says what a listing changed about a clip id: a person decides conflicts; reuse after release is normal.</summary>
    private async Task AnnouncedChangeAsync(Docking docking, ClipRecord row, AnnounceChange change, ClipRecord? previous, CancellationToken cancellationToken)
    {
        switch (change)
        {
            case AnnounceChange.HashCorrected:
                await catalog.Alerts.RaiseAlertAsync("clip-hash-changed", row.RecorderSerial, row.ClipId, $"bay {docking.BayId}: {row.ClipId} is now listed with " +
                    $"{row.Size} bytes, sha256 {row.DeviceSha256} (earlier {previous!.Size} bytes, sha256 {previous.DeviceSha256}). No copy had been " +
                    "verified, so it is pulled against the new listing; a recorder that changes its word needs checking.", cancellationToken).ConfigureAwait(false);
                LogClipChange(logger, row.RecorderSerial, row.ClipId, change);
                break;
            case AnnounceChange.Conflict:
                await catalog.Alerts.RaiseAlertAsync("clip-conflict", row.RecorderSerial, previous!.ClipId, $"bay {docking.BayId}: the recorder lists other bytes " +
                    $"(sha256 {row.DeviceSha256}) under {previous.DeviceClipId}, whose verified clip (sha256 {previous.DeviceSha256}) it has not been " +
                    $"released from. Both are kept: the new bytes are pulled as {row.ClipId}, the verified copy is untouched; a person decides which is the " +
                    "recording.", cancellationToken).ConfigureAwait(false);
                LogClipChange(logger, row.RecorderSerial, row.ClipId, change);
                break;
            case AnnounceChange.IdReused:
                LogClipChange(logger, row.RecorderSerial, row.ClipId, change);
                break;
        }
    }

    /// <summary>
    /// The recorder lists a clip the dock had recorded as gone from it. If it was Released, the recorder reported a
    /// deletion it did not make: the clip is on the recorder, so it goes back to Verified (asked for again) with an alert.
    /// </summary>
    private async Task<ClipRecord> RelistedAsync(Docking docking, ClipRecord row, CancellationToken cancellationToken)
    {
        if (row.State == ClipState.Released)
        {
            var detail = $"still on the recorder although it was recorded released (custody entry {row.ReleaseRequestedIndex?.ToString() ?? "?"}): " +
                "the recorder did not delete it; it will be released again";
            await catalog.Alerts.RaiseAlertAsync("release-not-honoured", row.RecorderSerial, row.ClipId, $"bay {docking.BayId}: {row.ClipId} {detail}",
                cancellationToken).ConfigureAwait(false);
            LogReleaseNotHonoured(logger, row.RecorderSerial, row.ClipId);
            return await catalog.Lifecycle.RelistedAsync(row.Id, detail, cancellationToken).ConfigureAwait(false);
        }
        await catalog.Alerts.ResolveAlertsAsync("clip-missing", row.RecorderSerial, row.ClipId, $"listed again in bay {docking.BayId}", cancellationToken)
            .ConfigureAwait(false);
        return await catalog.Lifecycle.RelistedAsync(row.Id, "listed by the recorder again after it was found missing", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks for the clip's record-time signature (CLIP_INFO) and keeps it with the clip as received;
    /// it is checked once the bytes are in (ClipIngestor), and travels in the manifest.</summary>
    private async Task<ClipRecord> FetchSignatureAsync(IDockedRecorder session, ClipRecord row, ClipSummary listed, CancellationToken cancellationToken)
    {
        var info = await session.GetClipAsync(listed.ClipId, cancellationToken).ConfigureAwait(false);
        var described = info.Clip;
        // CLIP_INFO must describe the clip exactly as listed; a signature over other fields is kept but will not verify.
        if (described.ClipId != listed.ClipId || described.Size != listed.Size || !described.Sha256.AsSpan().SequenceEqual(listed.Sha256))
            throw DockLinkErrors.Malformed(MessageType.ClipInfo, $"CLIP_INFO for {listed.ClipId} differs from its CLIP_LIST entry");
        var hex = Convert.ToHexStringLower(info.Signature);
        // The officer the clip was recorded for (CLIP_INFO), which a v1.1 signature covers, not the one bound at docking.
        // v1.5: the profile the clip was recorded under, which the signature covers (checked with it once the bytes are verified).
        long? configVersion = info.Config is { } under ? (long)Math.Min(under.Version, long.MaxValue) : null;
        var configSha = info.Config is { } u ? Convert.ToHexStringLower(u.Sha256) : null;
        await catalog.Clips.SetRecorderSignatureAsync(row.Id, hex, cancellationToken, info.OfficerId, configVersion, configSha).ConfigureAwait(false);
        return row with { RecorderSignature = hex, OfficerId = info.OfficerId, ConfigVersion = configVersion, ConfigSha256 = configSha };
    }

    /// <summary>
    /// Every catalogued clip of this recorder that a complete listing no longer holds has left it. Record when the dock
    /// learnt that, and why: released if the dock had asked for its deletion (the dock may have stopped before it heard
    /// the answer), missing (with an alert) if it never did.
    /// </summary>
    private async Task ReconcileAsync(Docking docking, IReadOnlyList<string> listed, CancellationToken cancellationToken)
    {
        var present = listed.ToHashSet(StringComparer.Ordinal);
        foreach (var row in await catalog.Clips.ListClipsAsync(docking.Session.Serial, cancellationToken).ConfigureAwait(false))
        {
            if (row.LeftRecorderAt is not null || present.Contains(row.DeviceClipId) || docking.Claimed.ContainsKey(row.Id)) continue;
            if (row.ReleaseRequestedAt is not null)
            {
                await SettleReleasedAsync(docking, row, $"not on the recorder at its docking in bay {docking.BayId}: deleted after the dock's release " +
                    $"request (custody entry {row.ReleaseRequestedIndex?.ToString() ?? "not recorded"}), whose answer the dock had not recorded").ConfigureAwait(false);
                continue;
            }
            var holds = row.State switch
            {
                ClipState.Verified or ClipState.Stored => "the vault holds a verified copy",
                ClipState.Quarantined when row.Hold is not null => "the vault holds a whole copy, held in quarantine",
                ClipState.Quarantined => "the vault holds only copies that failed their hash check (in quarantine)",
                ClipState.Pulling when row.PulledBytes > 0 => $"the vault holds only its first {row.PulledBytes:N0} of {row.Size:N0} bytes",
                _ => "the dock holds no copy of it",
            };
            var detail = $"not on the recorder at its docking in bay {docking.BayId}, and the dock never allowed its deletion; {holds}";
            await custody.RecordAsync(CustodyEventKind.Missing, row, docking.Context, row.DeviceSha256, detail, CancellationToken.None,
                (c, tx, _) => catalog.Lifecycle.SettleMissingAsync(c, tx, row.Id, detail)).ConfigureAwait(false);
            await catalog.Alerts.RaiseAlertAsync("clip-missing", row.RecorderSerial, row.ClipId, $"{row.ClipId}: {detail}", cancellationToken).ConfigureAwait(false);
            LogMissing(logger, row.RecorderSerial, row.ClipId, holds);
        }
    }

    /// <summary>
    /// Tells the recorder it may delete the clip. The request is in the custody log (and the catalog) before it is sent,
    /// so a dock that stops before the answer settles it at the next docking; the clip is Released only once the
    /// recorder says it deleted it (or no longer has it).
    /// </summary>
    private async Task ReleaseAsync(Docking docking, ClipRecord clip, ReleaseDecision decision, CancellationToken cancellationToken)
    {
        if (!Sha256.TryParseHex(clip.DeviceSha256, out var sha) || !docking.Claimed.TryAdd(clip.Id, 0)) return;
        var session = docking.Session;
        var request = await custody.RecordAsync(CustodyEventKind.ReleaseRequested, clip, docking.Context, clip.DeviceSha256,
            $"RELEASE_CLIP to {session.Endpoint} ({decision.Reason})", cancellationToken,
            (c, tx, entry) => catalog.Lifecycle.MarkReleaseRequestedAsync(c, tx, clip.Id, entry.Index)).ConfigureAwait(false);
        // Once RELEASE_CLIP is out, the recorder may already have deleted the clip. A dock asked to stop still waits a
        // moment for the answer, so that a clean stop leaves a released entry rather than one settled only at the next docking.
        using var answerWait = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        using var graceOnStop = cancellationToken.Register(() => answerWait.CancelAfter(ReleaseAnswerGrace));
        try
        {
            if (await session.ReleaseClipAsync(clip.DeviceClipId, sha, answerWait.Token).ConfigureAwait(false))
            {
                // The recorder has deleted it: record that even if the dock is stopping.
                await SettleReleasedAsync(docking, clip, $"the recorder deleted it (its answer to the request at custody entry {request.Index})")
                    .ConfigureAwait(false);
            }
            else
            {
                // Acknowledged but kept (a policy on the camera): it is still there, so it is not released. Asked again next docking.
                await catalog.Lifecycle.RecordReleaseKeptAsync(clip.Id, $"the recorder acknowledged the release (custody entry {request.Index}) but keeps the clip; " +
                    "the next docking asks again", CancellationToken.None).ConfigureAwait(false);
                LogReleaseKept(logger, clip.RecorderSerial, clip.ClipId);
            }
        }
        catch (DockLinkException ex) when (ex.RemoteCode == ErrorCode.NoSuchClip)
        {
            var earlier = clip.ReleaseRequestedIndex is { } e ? $"; its release had been requested before, at custody entry {e}" : "";
            await SettleReleasedAsync(docking, clip, $"the recorder no longer had it when asked to release it (custody entry {request.Index}){earlier}")
                .ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.ProtocolViolation && !docking.Session.Completion.IsCompleted)
        {
            // An answer outside the spec (deleted = 7, say): whether the clip is gone is unknown. It stays verified with its release
            // requested, and the next complete listing settles it (released if gone); a person sees the recorder misbehave.
            await catalog.Clips.RecordErrorAsync(clip.Id, $"release answer not understood: {ex.Message}", cancellationToken).ConfigureAwait(false);
            await catalog.Alerts.RaiseAlertAsync("release-answer-invalid", clip.RecorderSerial, clip.ClipId, $"{clip.ClipId}: the recorder answered its release " +
                $"(custody entry {request.Index}) outside DockLink: {ex.Message}; the next listing shows whether it deleted the clip", cancellationToken)
                .ConfigureAwait(false);
            LogReleaseRefused(logger, clip.RecorderSerial, clip.ClipId, ex.Message);
        }
        catch (DockLinkException ex) when (ex.RemoteCode is ErrorCode.HashMismatch or ErrorCode.StorageError)
        {
            // The recorder refuses (it holds other bytes under this id) or cannot delete: keep both; a person must look.
            await catalog.Clips.RecordErrorAsync(clip.Id, $"release refused: {ex.Message}", cancellationToken).ConfigureAwait(false);
            await catalog.Alerts.RaiseAlertAsync("release-refused", clip.RecorderSerial, clip.ClipId, $"{clip.ClipId}: the recorder refused its release: {ex.Message}",
                cancellationToken).ConfigureAwait(false);
            LogReleaseRefused(logger, clip.RecorderSerial, clip.ClipId, ex.Message);
        }
    }

    /// <summary>The clip is gone from the recorder after the dock asked: its released entry and Released state, in one transaction.</summary>
    private async Task SettleReleasedAsync(Docking docking, ClipRecord clip, string detail)
    {
        await custody.RecordAsync(CustodyEventKind.Released, clip, docking.Context, clip.DeviceSha256, detail, CancellationToken.None,
            (c, tx, _) => catalog.Lifecycle.SettleReleasedAsync(c, tx, clip.Id, detail)).ConfigureAwait(false);
        activity.ClipReleased();
        metrics?.Released(time.GetUtcNow() - docking.StartedAt);
    }

    private async Task<Power?> SampleBatteryAsync(string bayId, long sessionId, string serial, IDockedRecorder session, CancellationToken cancellationToken)
    {
        Power? power;
        try
        {
            power = await session.GetPowerAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.ProtocolViolation && !session.Completion.IsCompleted)
        {
            // A battery report no battery gives (255 %): no sample, an alert, and the clips still come in.
            await catalog.Alerts.RaiseAlertAsync("battery-report", serial, null, $"bay {bayId}: {ex.Message} No sample is kept; have the recorder checked.",
                cancellationToken).ConfigureAwait(false);
            return null;
        }
        if (power is null) return null;
        // At most one sample per half poll interval per recorder, however often it reconnects.
        await catalog.Docking.AddBatterySampleAsync(sessionId, serial, power, cancellationToken, options.BatteryPollInterval / 2).ConfigureAwait(false);
        activity.SetBay(bayId, b => b with { BatteryPercent = power.Percent }, signal: false);
        return power;
    }

    /// <summary>Why the battery needs a person (worn out, or a charge fault), alerted while it lasts; null if it is fine or unknown.</summary>
    private async Task<string?> BatteryAttentionAsync(string bayId, string serial, Power? power, CancellationToken cancellationToken)
    {
        string? problem = power switch
        {
            null => null,
            { State: ChargeState.Fault } => "the battery reports a charge fault: take the recorder out of service and have the battery checked",
            { HealthPercent: var h } when h < options.BatteryHealthAttentionPercent =>
                $"battery health {h} % (under {options.BatteryHealthAttentionPercent} %): replace the battery",
            _ => null,
        };
        if (problem is not null)
            await catalog.Alerts.RaiseAlertAsync("battery", serial, null, $"bay {bayId}: {problem}", cancellationToken).ConfigureAwait(false);
        else if (power is not null)
            await catalog.Alerts.ResolveAlertsAsync("battery", serial, null, $"battery fine at docking in bay {bayId} (health {power.HealthPercent} %)",
                cancellationToken).ConfigureAwait(false);
        return problem;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Bay {BayId}: recorder {Serial} (officer {OfficerId}) docked; clock was off by {OffsetMs} ms; {ClipCount} clips")]
    private static partial void LogDocked(ILogger logger, string bayId, string serial, string officerId, long offsetMs, uint clipCount);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information,
        Message = "Bay {BayId}: {Serial}/{ClipId} safe in the vault ({Size} bytes, sha256 {Sha256} verified)")]
    private static partial void LogClipSafe(ILogger logger, string bayId, string serial, string clipId, long size, string sha256);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "ALERT bay {BayId}: {Reason}; {What}")]
    private static partial void LogUntrusted(ILogger logger, string bayId, string reason, string what);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Recorder {Serial} is enrolled now: {Count} held clip(s) will be pulled again")]
    private static partial void LogUnheld(ILogger logger, string serial, int count);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Recorder {Serial}: clip {ClipId} not taken: {Reason}")]
    private static partial void LogAnnounceRefused(ILogger logger, string serial, string clipId, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Recorder {Serial} refused to release {ClipId}: {Reason}")]
    private static partial void LogReleaseRefused(ILogger logger, string serial, string clipId, string reason);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Recorder {Serial} acknowledged the release of {ClipId} but keeps it; asked again next docking")]
    private static partial void LogReleaseKept(ILogger logger, string serial, string clipId);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "ALERT recorder {Serial} no longer holds {ClipId}, and the dock never allowed its deletion; {Holds}")]
    private static partial void LogMissing(ILogger logger, string serial, string clipId, string holds);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "ALERT recorder {Serial} still holds {ClipId} although it reported deleting it; asking again")]
    private static partial void LogReleaseNotHonoured(ILogger logger, string serial, string clipId);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning,
        Message = "Bay {BayId}: recorder {Serial} listed {Count} clip(s) but not all it holds; clips it did not list are not taken as gone")]
    private static partial void LogListingIncomplete(ILogger logger, string bayId, string serial, int count);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Bay {BayId}: looking at recorder {Serial}'s clips again")]
    private static partial void LogRecheck(ILogger logger, string bayId, string serial);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "ALERT bay {BayId}: recorder {Serial}: {Reason}; its clock is set now")]
    private static partial void LogClockInvalid(ILogger logger, string bayId, string serial, string reason);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "ALERT recorder {Serial}: clip {ClipId} refused: {Reason}; it stays on the recorder")]
    private static partial void LogClipRefused(ILogger logger, string serial, string clipId, string reason);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning,
        Message = "Bay {BayId}: {Serial}/{ClipId} failed ({Failures} in a row): {Error}; the other clips go first, this one is tried again later")]
    private static partial void LogClipSetBack(ILogger logger, string bayId, string serial, string clipId, int failures, string error);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "Recorder {Serial}: clip {ClipId} catalogued anew ({Change})")]
    private static partial void LogClipChange(ILogger logger, string serial, string clipId, AnnounceChange change);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Information, Message = "Bay {BayId}: {Serial}/{ClipId} waits for a pull slot ({Slots} in use)")]
    private static partial void LogWaitingForSlot(ILogger logger, string bayId, string serial, string clipId, int slots);
}
