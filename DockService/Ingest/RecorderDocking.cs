using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Crypto.Custody;
using Dock.Service.Enrolment;
using Dock.Service.Recorders;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Ingest;

/// <summary>
/// What the dock does with an authenticated recorder in a bay: identify it, sync its clock, sample
/// its battery, list its clips, pull every clip the vault does not hold (mandatory R11 recordings
/// first), release per policy, then keep sampling the battery until it is taken out.
/// </summary>
public sealed partial class RecorderDocking(ClipCatalog catalog, ClipIngestor ingestor, CustodyTrail custody, RecorderEnrolment enrolment,
    PullScheduler scheduler, DockOptions options, DockActivity activity, ILogger<RecorderDocking> logger, TimeProvider time)
{
    public async Task RunAsync(string bayId, IDockedRecorder session, CancellationToken cancellationToken)
    {
        activity.SetBay(bayId, _ => new BaySnapshot(bayId, BayPhase.Identifying, session.Serial));
        var info = await session.GetInfoAsync(cancellationToken).ConfigureAwait(false);
        if (info.Serial != session.Serial)
            throw DockLinkErrors.Malformed(MessageType.Info, $"serial {info.Serial} differs from the {session.Serial} it docked as");
        await catalog.UpsertRecorderAsync(info, session.ProvedKey, cancellationToken).ConfigureAwait(false);
        long sessionId = await catalog.StartSessionAsync(bayId, info.Serial, cancellationToken).ConfigureAwait(false);
        string endReason = "recorder removed";
        try
        {
            var offset = await session.SyncTimeAsync(cancellationToken).ConfigureAwait(false);
            await catalog.SetClockOffsetAsync(sessionId, offset, cancellationToken).ConfigureAwait(false);
            LogDocked(logger, bayId, info.Serial, info.OfficerId, (long)offset.TotalMilliseconds, info.ClipCount);
            var trust = await enrolment.EvaluateAsync(info.Serial, session.ProvedKey, cancellationToken).ConfigureAwait(false);
            bool signs = session.SignsClips;
            var context = new DockingContext(bayId, info.Model, info.Firmware, session.ProvedKey, offset, trust, signs, session.HashSource);
            if (trust.Trusted)
            {
                // Enrolled since its footage was held: pull it again, now trusted. The held copies stay.
                int unheld = await catalog.UnholdUntrustedAsync(info.Serial, cancellationToken).ConfigureAwait(false);
                if (unheld > 0) LogUnheld(logger, info.Serial, unheld);
            }
            else
            {
                var what = options.QuarantineUnenrolled ? "its footage is pulled into quarantine" : "its footage is left on it (QuarantineUnenrolled is off)";
                await catalog.AddAlertAsync("untrusted-recorder", info.Serial, null, $"bay {bayId}: {trust.Reason}; {what} and it is never told to delete anything",
                    cancellationToken).ConfigureAwait(false);
                LogUntrusted(logger, bayId, trust.Reason!, what);
            }
            var battery = await SampleBatteryAsync(bayId, sessionId, info.Serial, session, cancellationToken).ConfigureAwait(false);

            var clips = await AnnounceAsync(info, session, signs, cancellationToken).ConfigureAwait(false);
            int done = clips.Count(c => c.State is ClipState.Released);
            activity.SetBay(bayId, b => b with { ClipsDone = done, ClipsTotal = clips.Count });
            bool pull = trust.Trusted || options.QuarantineUnenrolled;
            var cloudVerified = await catalog.CloudVerifiedClipsAsync(info.Serial, cancellationToken).ConfigureAwait(false);
            // With AfterCloudVerify, clips wait here for their cloud copy; a releaser frees them as their copies
            // verify, even while later clips are still being pulled, so a recorder leaves the dock empty sooner.
            var waiting = new System.Collections.Concurrent.ConcurrentDictionary<long, ClipRecord>();
            var ingestDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var releaserStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var releaser = options.ReleasePolicy == ReleasePolicy.AfterCloudVerify && trust.Trusted
                ? ReleaseAsCloudVerifiedAsync(bayId, session, context, waiting, ingestDone.Task, releaserStop.Token)
                : Task.CompletedTask;
            try
            {
                foreach (var listed in clips)
                {
                    var clip = listed;
                    if (pull && clip.State is not (ClipState.Verified or ClipState.Released or ClipState.Quarantined))
                    {
                        using (await scheduler.AcquireAsync(cancellationToken).ConfigureAwait(false))
                            clip = await ingestor.BringToVerifiedAsync(session, clip, context, cancellationToken).ConfigureAwait(false);
                    }
                    // Still listed although Released: the recorder did not delete it last time; ask again.
                    if (MayRelease(clip, trust, cloudVerified))
                        await ReleaseAsync(session, clip, context, cancellationToken).ConfigureAwait(false);
                    else if (clip.State == ClipState.Verified && options.ReleasePolicy == ReleasePolicy.AfterCloudVerify && trust.Trusted)
                        waiting[clip.Id] = clip;
                    if (clip.State is ClipState.Verified or ClipState.Released)
                    {
                        done++;
                        LogClipSafe(logger, bayId, clip.RecorderSerial, clip.ClipId, clip.Size, clip.DeviceSha256);
                    }
                    activity.SetBay(bayId, b => b with { ClipsDone = done });
                }
                ingestDone.SetResult();
                var final = await catalog.ListClipsAsync(info.Serial, cancellationToken).ConfigureAwait(false);
                int mismatched = final.Count(c => c.State == ClipState.Quarantined && c.Hold is null);
                int untrusted = final.Count(c => c.State == ClipState.Quarantined && c.Hold is not null);
                int notDone = clips.Count - done;
                int kept = waiting.Count;
                // The footage is safe; a worn-out or faulty battery is the one thing left for a person to see to.
                var batteryProblem = await BatteryAttentionAsync(bayId, info.Serial, battery, cancellationToken).ConfigureAwait(false);
                activity.SetBay(bayId, b => b with
                {
                    Phase = notDone == 0 ? (batteryProblem is null ? BayPhase.Done : BayPhase.Attention) : mismatched > 0 ? BayPhase.Error : BayPhase.Attention,
                    ClipId = null,
                    Finished = true,
                    Message = notDone == 0 ? batteryProblem ?? (kept == 0 ? null : $"{kept} clip(s) safe in the vault, kept on the recorder until the cloud copy is verified")
                        : !pull ? $"{trust.Reason}; {notDone} clip(s) left on the recorder"
                        : mismatched > 0 ? $"{mismatched} clip(s) quarantined: hash mismatch, kept on the recorder"
                        : $"{untrusted} clip(s) held in quarantine, kept on the recorder: {(trust.Trusted ? "bad record-time signature" : trust.Reason)}",
                });

                // Stay docked: sample the battery (charging log) until the recorder is taken out.
                while (true)
                {
                    var poll = Task.Delay(options.BatteryPollInterval, time, cancellationToken);
                    if (await Task.WhenAny(session.Completion, poll).ConfigureAwait(false) == session.Completion)
                    {
                        await session.Completion.ConfigureAwait(false);
                        break;
                    }
                    await poll.ConfigureAwait(false);
                    var sample = await SampleBatteryAsync(bayId, sessionId, info.Serial, session, cancellationToken).ConfigureAwait(false);
                    if (batteryProblem is null && await BatteryAttentionAsync(bayId, info.Serial, sample, cancellationToken).ConfigureAwait(false) is { } appeared)
                    {
                        batteryProblem = appeared;
                        activity.SetBay(bayId, b => b.Phase == BayPhase.Done ? b with { Phase = BayPhase.Attention, Message = appeared } : b);
                    }
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
            await catalog.EndSessionAsync(sessionId, endReason, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Releases waiting clips as their cloud copies verify, until none waits and the ingest is done.</summary>
    private async Task ReleaseAsCloudVerifiedAsync(string bayId, IDockedRecorder session, DockingContext context,
        System.Collections.Concurrent.ConcurrentDictionary<long, ClipRecord> waiting, Task ingestDone, CancellationToken cancellationToken)
    {
        var serial = session.Serial;
        var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
        while (true)
        {
            // Take the change signal before looking, so a verification that lands in between still wakes us.
            var changed = activity.NextChangeAsync();
            if (!waiting.IsEmpty)
            {
                var verified = await catalog.CloudVerifiedClipsAsync(serial, cancellationToken).ConfigureAwait(false);
                foreach (var id in waiting.Keys.Where(verified.Contains).ToList())
                    if (waiting.TryRemove(id, out var clip))
                        await ReleaseAsync(session, clip, context, cancellationToken).ConfigureAwait(false);
            }
            if (ingestDone.IsCompleted && waiting.IsEmpty)
            {
                activity.SetBay(bayId, b => b.Message is { } m && m.Contains("until the cloud copy", StringComparison.Ordinal) ? b with { Message = null } : b);
                return;
            }
            var woke = ingestDone.IsCompleted
                ? await Task.WhenAny(changed, session.Completion, stopped).ConfigureAwait(false)
                : await Task.WhenAny(changed, ingestDone, session.Completion, stopped).ConfigureAwait(false);
            if (woke == session.Completion) return;
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Release per policy, and never for a recorder whose identity is not trusted.</summary>
    private bool MayRelease(ClipRecord clip, RecorderTrust trust, IReadOnlySet<long> cloudVerified) =>
        trust.Trusted && clip.State is ClipState.Verified or ClipState.Released && options.ReleasePolicy switch
        {
            ReleasePolicy.AfterLocalVerify => true,
            ReleasePolicy.AfterCloudVerify => cloudVerified.Contains(clip.Id),
            _ => false,
        };

    private async Task<List<ClipRecord>> AnnounceAsync(Info info, IDockedRecorder session, bool signs, CancellationToken cancellationToken)
    {
        var listed = await session.ListClipsAsync(cancellationToken).ConfigureAwait(false);
        await ReconcileAsync(info.Serial, listed, cancellationToken).ConfigureAwait(false);
        var rows = new List<ClipRecord>(listed.Count);
        foreach (var clip in listed)
        {
            try
            {
                var row = await catalog.AnnounceAsync(info.Serial, clip, info.OfficerId, cancellationToken).ConfigureAwait(false);
                if (signs && row.RecorderSignature is null && row.State is not (ClipState.Verified or ClipState.Released))
                    row = await FetchSignatureAsync(session, row, clip, cancellationToken).ConfigureAwait(false);
                rows.Add(row);
            }
            catch (CatalogException ex)
            {
                LogAnnounceRefused(logger, info.Serial, clip.ClipId, ex.Message);
            }
        }
        // R11: mandatory full-process recordings first, then those the officer marked, then oldest first.
        return [.. rows.OrderByDescending(r => r.Flags.HasFlag(ClipFlags.Mandatory))
            .ThenByDescending(r => r.Flags.HasFlag(ClipFlags.Important))
            .ThenBy(r => r.DeviceStart)];
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
        await catalog.SetRecorderSignatureAsync(row.Id, hex, cancellationToken).ConfigureAwait(false);
        return row with { RecorderSignature = hex };
    }

    /// <summary>
    /// A Verified clip the recorder no longer lists was deleted after our release, and the dock stopped
    /// before it could write that down. Record it now, so the catalog never shows footage as still out there.
    /// </summary>
    private async Task ReconcileAsync(string serial, IReadOnlyList<ClipSummary> listed, CancellationToken cancellationToken)
    {
        var present = listed.Select(c => c.ClipId).ToHashSet(StringComparer.Ordinal);
        foreach (var row in await catalog.ListClipsAsync(serial, cancellationToken).ConfigureAwait(false))
        {
            if (row.State == ClipState.Verified && !present.Contains(row.ClipId) && options.ReleasePolicy != ReleasePolicy.Never)
                await catalog.SetReleasedAsync(row.Id, "no longer on the recorder (released before the dock last stopped)", cancellationToken)
                    .ConfigureAwait(false);
        }
    }

    private async Task ReleaseAsync(IDockedRecorder session, ClipRecord clip, DockingContext context, CancellationToken cancellationToken)
    {
        if (!Sha256.TryParseHex(clip.DeviceSha256, out var sha)) return;
        try
        {
            bool deleted = await session.ReleaseClipAsync(clip.ClipId, sha, cancellationToken).ConfigureAwait(false);
            if (clip.State != ClipState.Released)
            {
                // The recorder may already have deleted it: record that even if the dock is stopping.
                var detail = deleted ? "recorder deleted it" : "recorder acknowledged but kept it";
                await custody.RecordAsync(CustodyEventKind.Released, clip, context, clip.DeviceSha256, detail, CancellationToken.None).ConfigureAwait(false);
                await catalog.SetReleasedAsync(clip.Id, detail, CancellationToken.None)
                    .ConfigureAwait(false);
                activity.ClipReleased();
            }
        }
        catch (DockLinkException ex) when (ex.RemoteCode == ErrorCode.NoSuchClip)
        {
            if (clip.State != ClipState.Released)
            {
                await catalog.SetReleasedAsync(clip.Id, "already gone from the recorder", cancellationToken).ConfigureAwait(false);
                activity.ClipReleased();
            }
        }
        catch (DockLinkException ex) when (ex.RemoteCode is ErrorCode.HashMismatch or ErrorCode.StorageError)
        {
            // The recorder refuses (it holds other bytes under this id) or cannot delete: keep both; a person must look.
            await catalog.RecordErrorAsync(clip.Id, $"release refused: {ex.Message}", cancellationToken).ConfigureAwait(false);
            LogReleaseRefused(logger, clip.RecorderSerial, clip.ClipId, ex.Message);
        }
    }

    private async Task<Power?> SampleBatteryAsync(string bayId, long sessionId, string serial, IDockedRecorder session, CancellationToken cancellationToken)
    {
        if (await session.GetPowerAsync(cancellationToken).ConfigureAwait(false) is not { } power) return null;
        await catalog.AddBatterySampleAsync(sessionId, serial, power, cancellationToken).ConfigureAwait(false);
        activity.SetBay(bayId, b => b with { BatteryPercent = power.Percent }, signal: false);
        return power;
    }

    /// <summary>Why the battery needs a person (worn out, or a charge fault), alerted once per docking; null if it is fine or unknown.</summary>
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
            await catalog.AddAlertAsync("battery", serial, null, $"bay {bayId}: {problem}", cancellationToken).ConfigureAwait(false);
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
}
