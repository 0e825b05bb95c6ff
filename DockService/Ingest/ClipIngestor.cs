using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Recorders;
using Dock.Service.Custody;
using Dock.Service.Vault;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Ingest;

/// <summary>
/// Brings one clip from the recorder to Verified in the vault (R1, R11):
/// stream → hash while writing → flush → atomic rename → compare with the recorder's SHA-256 →
/// re-read the stored copy once → Verified. An interruption resumes from the last durable offset;
/// a hash mismatch moves the bad copy to quarantine and pulls again; nothing is ever deleted.
/// </summary>
public sealed partial class ClipIngestor(CatalogStores catalog, ClipVault vault, CustodyTrail custody, DockOptions options, DockActivity activity,
    ILogger<ClipIngestor> logger, TimeProvider time, Upload.UploadOutbox? outbox = null)
{
    private readonly VaultSpace _space = new(vault, options.VaultReserveBytes);
    // When each clip last got a byte, across attempts (a reconnect does not reset a stall), and whether that is alerted.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, Progress> _progress = new();
    // True at start: an alert raised before a restart is resolved by the first pull that fits (one query, then none).
    private volatile bool _vaultFullAlerted = true;

    private sealed class Progress(long at)
    {
        public long At = at;
        public long EndedAt;
        public volatile bool Alerted;
    }

    /// <summary>
    /// Brings the clip to Verified (or Quarantined). Throws <see cref="VaultFullException"/> when the vault's disk cannot take
    /// it beside the pulls already running: the clip stays on the recorder, and the caller goes on with the others.
    /// </summary>
    public async Task<ClipRecord> BringToVerifiedAsync(IDockedRecorder session, ClipRecord clip, DockingContext context, CancellationToken cancellationToken)
    {
        string bayId = context.BayId;
        VaultSpace.Reservation? room = null;
        try
        {
            if (clip.State is ClipState.Announced or ClipState.Pulling)
                room = await ReserveRoomAsync(clip, bayId, cancellationToken).ConfigureAwait(false);
            if (clip.DeviceSha256.Length == 0 && clip.State is ClipState.Announced or ClipState.Pulling)
            {
                // The recorder states no hash (mass storage): its reference is the dock's first read, made now, right before the pull.
                activity.SetBay(bayId, b => b with { Phase = BayPhase.Verifying, ClipId = clip.ClipId, ClipBytes = 0, ClipSize = clip.Size });
                var reference = await session.ReferenceHashAsync(clip.DeviceClipId, cancellationToken).ConfigureAwait(false);
                clip = await catalog.Lifecycle.SetReferenceHashAsync(clip.Id, Sha256.ToHex(reference), session.HashSource, cancellationToken).ConfigureAwait(false);
            }
            while (true)
            {
                if (clip.State is ClipState.Announced or ClipState.Pulling)
                {
                    // A pull again after a quarantined copy needs room for a whole new copy.
                    room ??= await ReserveRoomAsync(clip, bayId, cancellationToken).ConfigureAwait(false);
                    clip = await PullAsync(session, clip, context, room, cancellationToken).ConfigureAwait(false);
                    room.Dispose();
                    room = null;
                }
                else if (clip.State == ClipState.Stored) clip = await VerifyAsync(clip, context, cancellationToken).ConfigureAwait(false);
                if (clip.State is ClipState.Verified or ClipState.Released or ClipState.Quarantined) return clip;
            }
        }
        finally
        {
            room?.Dispose();
        }
    }

    private async Task<ClipRecord> PullAsync(IDockedRecorder session, ClipRecord clip, DockingContext context, VaultSpace.Reservation room,
        CancellationToken cancellationToken)
    {
        string bayId = context.BayId;
        var final = vault.FinalPath(clip.RecorderSerial, clip.ClipId);
        if (File.Exists(final))
            return await AdoptFinalAsync(clip, final, context, cancellationToken).ConfigureAwait(false);

        await using var partial = vault.OpenPartial(clip.RecorderSerial, clip.ClipId, clip.State == ClipState.Pulling ? clip.PulledBytes : 0);
        using var hash = Sha256.CreateIncremental();
        if (partial.ResumedAt > 0)
        {
            // The hash state of the durable prefix is not kept across a crash, so the prefix is
            // re-hashed from disk once; that also proves those bytes survived.
            await partial.HashResumedAsync(hash, cancellationToken).ConfigureAwait(false);
            LogResuming(logger, clip.RecorderSerial, clip.ClipId, partial.ResumedAt, clip.Size);
        }
        await catalog.Lifecycle.SetPullingAsync(clip.Id, partial.ResumedAt, cancellationToken).ConfigureAwait(false);

        long written = partial.ResumedAt;
        long durable = written;
        Task? flushing = null;
        long flushingAt = 0;
        activity.SetBay(bayId, b => b with { Phase = BayPhase.Transferring, ClipId = clip.ClipId, ClipBytes = written, ClipSize = clip.Size });
        var progress = _progress.GetOrAdd(clip.Id, _ => new Progress(time.GetTimestamp()));
        // A reconnect does not reset the stall clock; a recorder that was away (taken out, docked again later) does.
        if (progress.EndedAt != 0 && time.GetElapsedTime(progress.EndedAt) > options.StalledPullAlertAfter)
            Volatile.Write(ref progress.At, time.GetTimestamp());
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchdog = WatchProgressAsync(clip, bayId, progress, watchStop.Token);
        try
        {
            await session.PullAsync(clip.DeviceClipId, written, clip.Size, async (chunk, ct) =>
            {
                // A synchronous write: on Linux an "async" file write is this same call on another thread.
                partial.Write(chunk.Span);
                hash.AppendData(chunk.Span);
                room.Wrote(chunk.Length);
                Volatile.Write(ref progress.At, time.GetTimestamp());
                written += chunk.Length;
                activity.AddBytes(chunk.Length);
                activity.SetBay(bayId, b => b with { ClipBytes = written }, signal: false);
                if (flushing is { IsCompleted: true })
                {
                    await flushing.ConfigureAwait(false);
                    await catalog.Lifecycle.SetPullingAsync(clip.Id, flushingAt, ct).ConfigureAwait(false);
                    durable = flushingAt;
                    flushing = null;
                }
                if (flushing is null && written - durable >= options.CheckpointBytes)
                {
                    flushingAt = written;
                    flushing = partial.FlushToDiskInBackground();
                }
            }, cancellationToken).ConfigureAwait(false);
            if (flushing is not null) await flushing.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Every byte written is as the recorder sent it (a CRC-checked frame, or a file read); the final hash
            // check covers them all. Make them durable so the resume skips them.
            try
            {
                if (flushing is not null) await flushing.ConfigureAwait(false);
                partial.FlushToDisk();
                await catalog.Lifecycle.SetPullingAsync(clip.Id, written, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception flushError) when (flushError is IOException or StorageException)
            {
                LogCheckpointFailed(logger, flushError, clip.RecorderSerial, clip.ClipId);
            }
            throw;
        }
        finally
        {
            await watchStop.CancelAsync().ConfigureAwait(false);
            await watchdog.ConfigureAwait(false);
            progress.EndedAt = time.GetTimestamp();
        }
        // Every byte is in: the stall clock of this clip ends here, and an alert about it is resolved.
        if (_progress.TryRemove(clip.Id, out var done) && done.Alerted)
            await catalog.Alerts.ResolveAlertsAsync("stalled-pull", clip.RecorderSerial, clip.ClipId, "the pull finished", CancellationToken.None).ConfigureAwait(false);
        partial.Complete();
        partial.FlushToDisk();
        var streamed = hash.GetHashAndReset();
        await partial.DisposeAsync().ConfigureAwait(false);

        var streamedHex = Sha256.ToHex(streamed);
        if (streamedHex != clip.DeviceSha256)
        {
            var reason = $"streamed sha256 {streamedHex} differs from the recorder's {clip.DeviceSha256}";
            await custody.RecordAsync(CustodyEventKind.Acquired, clip, context, streamedHex, $"pulled over {session.Endpoint}; {reason}; quarantined",
                cancellationToken).ConfigureAwait(false);
            return await QuarantineAsync(clip, partial.Path, streamedHex, reason, cancellationToken).ConfigureAwait(false);
        }
        // Established together, so logged together: one commit for the pull's facts.
        var (hold, signatureVerified) = CheckIdentity(clip, context);
        await custody.RecordAllAsync(clip, context, streamedHex, [
            (CustodyEventKind.Acquired, $"pulled over {session.Endpoint}"),
            (CustodyEventKind.HashVerified, $"sha256 computed while streaming equals {context.HashSource}"),
            .. signatureVerified is null ? Array.Empty<(CustodyEventKind, string)>() : [(CustodyEventKind.SignatureVerified, signatureVerified)],
        ], cancellationToken).ConfigureAwait(false);
        if (hold is { } held)
            return await HoldAsync(clip, partial.Path, streamedHex, held, context, cancellationToken).ConfigureAwait(false);
        var relative = vault.Commit(partial, clip.RecorderSerial, clip.ClipId);
        var stored = await custody.RecordAsync(CustodyEventKind.Stored, clip, context, streamedHex, relative.Replace('\\', '/'), cancellationToken)
            .ConfigureAwait(false);
        var storedRow = await catalog.Lifecycle.SetStoredAsync(clip.Id, relative, streamedHex, stored.Index, cancellationToken).ConfigureAwait(false);
        activity.ClipStored();
        return storedRow;
    }

    /// <summary>
    /// A clip is pulled only if the vault's disk can take the rest of it, beside what the pulls already running will still
    /// write, and keep <see cref="DockOptions.VaultReserveBytes"/> free: the size comes from the recorder (a hostile one can
    /// claim anything), and a full disk would stop the catalog and the custody log for every bay. Bytes its partial file
    /// already holds count for it. Otherwise the clip stays on the recorder, the clip and the bay say why, a vault-full
    /// alert is raised (resolved at the next pull that fits), and the bay tries again later.
    /// </summary>
    private async Task<VaultSpace.Reservation> ReserveRoomAsync(ClipRecord clip, string bayId, CancellationToken cancellationToken)
    {
        long durable = clip.State == ClipState.Pulling ? clip.PulledBytes : 0;
        var partialPath = vault.PartialPath(clip.RecorderSerial, clip.ClipId);
        long partialLength = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
        // The partial file is cut back to its durable length before the pull resumes: those bytes come free first.
        if (_space.TryReserve(Math.Max(0, clip.Size - durable), Math.Max(0, partialLength - durable), out var budget) is { } room)
        {
            if (_vaultFullAlerted)
            {
                _vaultFullAlerted = false;
                await catalog.Alerts.ResolveAlertKindAsync("vault-full", $"there is room again ({budget.FreeBytes:N0} bytes free)", cancellationToken).ConfigureAwait(false);
            }
            return room;
        }
        var message = $"not pulled: the vault's disk has {budget.FreeBytes:N0} bytes free, pulls under way will still write {budget.HeldBytes:N0}, " +
            $"{clip.ClipId} needs {budget.NeededBytes:N0} more, and {budget.ReserveBytes:N0} stay free for the catalog and the custody log. " +
            "Free space (or move the data folder); the clip stays on the recorder";
        await catalog.Clips.RecordErrorAsync(clip.Id, message, cancellationToken).ConfigureAwait(false);
        await catalog.Alerts.RaiseAlertAsync("vault-full", null, null, $"the vault's disk is too full to pull more footage (bay {bayId}, {clip.RecorderSerial}/{clip.ClipId}): " +
            $"{budget.FreeBytes:N0} bytes free, {budget.HeldBytes:N0} promised to pulls under way, {budget.ReserveBytes:N0} kept for the catalog. " +
            "Clips stay on the recorders until there is room.", cancellationToken).ConfigureAwait(false);
        _vaultFullAlerted = true;
        LogVaultFull(logger, clip.RecorderSerial, clip.ClipId, budget.FreeBytes, budget.HeldBytes, budget.NeededBytes);
        throw new VaultFullException(message);
    }

    /// <summary>Alerts (and says on the bay) when a pull gets no byte for StalledPullAlertAfter; resolves once bytes flow again.</summary>
    private async Task WatchProgressAsync(ClipRecord clip, string bayId, Progress progress, CancellationToken cancellationToken)
    {
        var after = options.StalledPullAlertAfter;
        var period = TimeSpan.FromTicks(Math.Clamp(after.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
        try
        {
            while (true)
            {
                await Task.Delay(period, time, cancellationToken).ConfigureAwait(false);
                var idle = time.GetElapsedTime(Volatile.Read(ref progress.At));
                if (idle >= after && !progress.Alerted)
                {
                    progress.Alerted = true;
                    var message = $"no byte of {clip.RecorderSerial}/{clip.ClipId} has arrived for {idle.TotalSeconds:0} s (bay {bayId}): the recorder or its link " +
                        "is stuck; the dock keeps trying and resumes where it stopped";
                    await catalog.Alerts.RaiseAlertAsync("stalled-pull", clip.RecorderSerial, clip.ClipId, message, cancellationToken).ConfigureAwait(false);
                    activity.SetBay(bayId, b => b with { Message = message });
                    LogStalled(logger, clip.RecorderSerial, clip.ClipId, idle.TotalSeconds);
                }
                else if (idle < period && progress.Alerted)
                {
                    progress.Alerted = false;
                    await catalog.Alerts.ResolveAlertsAsync("stalled-pull", clip.RecorderSerial, clip.ClipId, "bytes are arriving again", cancellationToken).ConfigureAwait(false);
                    activity.SetBay(bayId, b => b with { Message = null });
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The pull ended.
        }
    }

    /// <summary>The one deliberate re-read: the stored copy is hashed from disk before anyone may delete the original.</summary>
    public async Task<ClipRecord> VerifyAsync(ClipRecord clip, DockingContext context, CancellationToken cancellationToken)
    {
        activity.SetBay(context.BayId, b => b with { Phase = BayPhase.Verifying, ClipId = clip.ClipId });
        var path = vault.Resolve(clip.VaultPath!);
        string onDisk;
        try
        {
            onDisk = Sha256.ToHex(await vault.HashAsync(path, cancellationToken).ConfigureAwait(false));
        }
        catch (Vault.Encryption.VaultDecryptionException ex)
        {
            // An encrypted copy that no longer authenticates is as wrong as one that hashes wrong: kept aside, never released.
            return await QuarantineAsync(clip, path, "undecryptable", $"stored copy does not decrypt: {ex.Message}", cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            await catalog.Clips.RecordErrorAsync(clip.Id, $"stored copy {clip.VaultPath} is missing; pulling again", cancellationToken).ConfigureAwait(false);
            return await catalog.Lifecycle.SetPullingAsync(clip.Id, 0, cancellationToken).ConfigureAwait(false);
        }
        if (onDisk != clip.DeviceSha256)
            return await QuarantineAsync(clip, path, onDisk, $"stored copy re-read as {onDisk}, not {clip.DeviceSha256}", cancellationToken)
                .ConfigureAwait(false);
        return await VerifiedAsync(clip, context, onDisk, "re-read from the vault; sha256 matches again", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records the verification, writes the signed manifest (so the custody trail is on disk
    /// before any release), then marks the clip Verified and, with a cloud target, queues its upload in the same transaction.
    /// <paramref name="clip"/> is the Stored record (its custody index is its stored entry).</summary>
    private async Task<ClipRecord> VerifiedAsync(ClipRecord clip, DockingContext context, string sha256, string detail, CancellationToken cancellationToken)
    {
        await custody.RecordAsync(CustodyEventKind.HashVerified, clip, context, sha256, detail, cancellationToken).ConfigureAwait(false);
        var stored = await custody.Log.ReadEntryAsync(clip.CustodyIndex!.Value, cancellationToken).ConfigureAwait(false);
        await custody.WriteManifestAsync(clip, context, stored, cancellationToken).ConfigureAwait(false);
        ClipRecord? verified = null;
        if (outbox?.IntentFor(clip) is { } upload)
        {
            // Verified and queued in one transaction, with the queued entry: no crash leaves a verified clip out of the queue.
            await custody.RecordAsync(CustodyEventKind.Queued, clip, context, clip.DeviceSha256,
                $"for {upload.Target}/{upload.ObjectKey} (priority {upload.Priority})", cancellationToken,
                async (c, tx, _) => verified = await catalog.Lifecycle.MarkVerifiedAndQueuedAsync(c, tx, clip.Id, upload).ConfigureAwait(false))
                .ConfigureAwait(false);
            outbox.Queued();
        }
        else
        {
            verified = await catalog.Lifecycle.SetVerifiedAsync(clip.Id, cancellationToken).ConfigureAwait(false);
        }
        activity.ClipVerified();
        return verified!;
    }

    /// <summary>A final file with no Stored record: the dock stopped between the rename and the catalog
    /// update. Re-hash it; adopt it if it is right, quarantine it if not.</summary>
    private async Task<ClipRecord> AdoptFinalAsync(ClipRecord clip, string final, DockingContext context, CancellationToken cancellationToken)
    {
        string onDisk;
        try
        {
            onDisk = Sha256.ToHex(await vault.HashAsync(final, cancellationToken).ConfigureAwait(false));
        }
        catch (Vault.Encryption.VaultDecryptionException)
        {
            onDisk = "undecryptable";
        }
        if (onDisk != clip.DeviceSha256)
            return await QuarantineAsync(clip, final, onDisk, $"found {final} after a restart with sha256 {onDisk}", cancellationToken)
                .ConfigureAwait(false);
        var (hold, signatureVerified) = CheckIdentity(clip, context);
        if (hold is { } held)
            return await HoldAsync(clip, final, onDisk, held, context, cancellationToken).ConfigureAwait(false);
        if (signatureVerified is not null)
            await custody.RecordAsync(CustodyEventKind.SignatureVerified, clip, context, onDisk, signatureVerified, cancellationToken).ConfigureAwait(false);
        var relative = ClipVault.RelativeFinalPath(clip.RecorderSerial, clip.ClipId);
        var stored = await custody.RecordAsync(CustodyEventKind.Stored, clip, context, onDisk,
            $"{relative.Replace('\\', '/')} (found complete after a restart)", cancellationToken).ConfigureAwait(false);
        var storedRow = await catalog.Lifecycle.SetStoredAsync(clip.Id, relative, onDisk, stored.Index, cancellationToken).ConfigureAwait(false);
        // A leftover partial of the same clip is now redundant: the vault holds a verified whole copy.
        File.Delete(vault.PartialPath(clip.RecorderSerial, clip.ClipId));
        activity.ClipStored();
        // That re-read was the verification.
        return await VerifiedAsync(storedRow, context, onDisk, "re-read after a restart; sha256 matches the recorder's", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The bytes match the recorder's hash; now, is the recorder who it says it is, and did it sign this
    /// clip when it recorded it? Returns why the clip must be held, or what the signature-verified entry says
    /// (null for a recorder that does not sign).
    /// </summary>
    private static ((ClipHold Hold, string Reason)? Hold, string? SignatureVerified) CheckIdentity(ClipRecord clip, DockingContext context)
    {
        if (!context.Trust.Trusted) return ((ClipHold.UntrustedRecorder, context.Trust.Reason!), null);
        if (!context.SignsClips) return (null, null);
        if (string.IsNullOrEmpty(clip.RecorderSignature) || !Hex.TryParse(clip.RecorderSignature, 64, out var signature))
            return ((ClipHold.BadRecordSignature, "the recorder announces record-time signatures but sent none for this clip"), null);
        if (!Hex.TryParse(clip.DeviceSha256, 32, out var sha))
            return ((ClipHold.BadRecordSignature, "the recorder's sha256 is malformed"), null);
        var summary = new ClipSummary(clip.DeviceClipId, (ulong)clip.Size, clip.DeviceStart.ToUnixTimeMilliseconds(), clip.DeviceEnd.ToUnixTimeMilliseconds(),
            clip.Flags, sha);
        var key = Ed25519Key.Fingerprint(context.RecorderKey);
        if (context.SignsV15)
        {
            if (clip.ConfigVersion is not { } version || !Hex.TryParse(clip.ConfigSha256, 32, out var configSha))
                return ((ClipHold.BadRecordSignature, "the recorder announces v1.5 record-time signatures but named no recorder profile for this clip"), null);
            var under = new RecordedUnder((ulong)version, configSha);
            return ClipSignature.VerifyV15(context.RecorderKey, clip.RecorderSerial, summary, clip.OfficerId, under, signature)
                ? (null, $"v1.5 record-time signature (every listed field, the officer, and the recorder profile {clip.ConfigSha256} of fleet bundle " +
                    $"version {version}) verifies under enrolled recorder key {key}")
                : ((ClipHold.BadRecordSignature, $"the v1.5 record-time signature does not verify under the enrolled key {key}: the clip's id, size, " +
                    "hash, times, flags or officer, or the recorder profile it names, are not what this recorder signed"), null);
        }
        if (context.SignsV11)
        {
            return ClipSignature.VerifyV11(context.RecorderKey, clip.RecorderSerial, summary, clip.OfficerId, signature)
                ? (null, $"v1.1 record-time signature (every listed field and the officer) verifies under enrolled recorder key {key}")
                : ((ClipHold.BadRecordSignature, $"the v1.1 record-time signature does not verify under the enrolled key {key}: the clip's id, size, " +
                    "hash, times, flags or officer are not what this recorder signed"), null);
        }
        if (!ClipSignature.Verify(context.RecorderKey, clip.RecorderSerial, summary, signature))
            return ((ClipHold.BadRecordSignature, $"the record-time signature does not verify under the enrolled key {key}: " +
                "the clip's id, size, hash or times are not what this recorder signed"), null);
        // Older firmware: the v1 signature leaves the flags (R11 priority, overwrite protection) and the officer unproven.
        return (null, $"v1 record-time signature verifies under enrolled recorder key {key}; it covers the id, size, hash and times, " +
            "not the flags or the officer");
    }

    /// <summary>A whole, hash-correct copy from a recorder (or with a signature) we cannot trust: kept in
    /// quarantine, recorded, alerted, and the recorder is never told to delete it.</summary>
    private async Task<ClipRecord> HoldAsync(ClipRecord clip, string copy, string sha256, (ClipHold Hold, string Reason) held, DockingContext context,
        CancellationToken cancellationToken)
    {
        var moved = vault.Quarantine(copy, clip.RecorderSerial, clip.ClipId, time.GetUtcNow());
        var relative = Path.GetRelativePath(vault.DataDirectory, moved).Replace('\\', '/');
        await custody.RecordAsync(CustodyEventKind.Quarantined, clip, context, sha256, $"{relative}: {held.Reason}", cancellationToken).ConfigureAwait(false);
        var heldRow = await catalog.Lifecycle.HoldAsync(clip.Id, moved, sha256, held.Hold, held.Reason, cancellationToken).ConfigureAwait(false);
        var kind = held.Hold == ClipHold.UntrustedRecorder ? "untrusted-recorder" : "bad-record-signature";
        await catalog.Alerts.RaiseAlertAsync(kind, clip.RecorderSerial, clip.ClipId, $"{clip.ClipId} held in quarantine, kept on the recorder: {held.Reason}",
            cancellationToken).ConfigureAwait(false);
        activity.ClipHeld();
        LogHeld(logger, clip.RecorderSerial, clip.ClipId, held.Reason, moved);
        return heldRow;
    }

    private async Task<ClipRecord> QuarantineAsync(ClipRecord clip, string badCopy, string badSha, string reason, CancellationToken cancellationToken)
    {
        var moved = vault.Quarantine(badCopy, clip.RecorderSerial, clip.ClipId, time.GetUtcNow());
        var next = await catalog.Lifecycle.QuarantineAsync(clip.Id, moved, badSha, reason, options.MaxPullAttempts, cancellationToken).ConfigureAwait(false);
        activity.HashMismatch();
        if (next.State == ClipState.Quarantined)
            await catalog.Alerts.RaiseAlertAsync("quarantined", clip.RecorderSerial, clip.ClipId, $"{clip.RecorderSerial}/{clip.ClipId}: none of " +
                $"{options.MaxPullAttempts} pulls hashed to the recorder's sha256 ({reason}). The copies are in vault/quarantine/{clip.RecorderSerial}; the clip " +
                "stays on the recorder and is not pulled again: a person must look (the recorder's storage or its link may be failing).", cancellationToken)
                .ConfigureAwait(false);
        LogHashMismatch(logger, clip.RecorderSerial, clip.ClipId, reason, moved, next.State == ClipState.Quarantined);
        return next;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Resuming {Serial}/{ClipId} at byte {Offset} of {Size}")]
    private static partial void LogResuming(ILogger logger, string serial, string clipId, long offset, long size);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning,
        Message = "Hash mismatch on {Serial}/{ClipId}: {Reason}. Bad copy kept at {Path}. Given up (stays quarantined): {GivenUp}")]
    private static partial void LogHashMismatch(ILogger logger, string serial, string clipId, string reason, string path, bool givenUp);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning,
        Message = "ALERT {Serial}/{ClipId} held in quarantine and kept on the recorder: {Reason}. Copy at {Path}")]
    private static partial void LogHeld(ILogger logger, string serial, string clipId, string reason, string path);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Error,
        Message = "ALERT vault disk full: {Serial}/{ClipId} not pulled ({Free} bytes free, {Held} promised to running pulls, {Needed} needed)")]
    private static partial void LogVaultFull(ILogger logger, string serial, string clipId, long free, long held, long needed);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "ALERT pull of {Serial}/{ClipId} stalled: no byte for {Seconds:0} s")]
    private static partial void LogStalled(ILogger logger, string serial, string clipId, double seconds);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Could not checkpoint {Serial}/{ClipId} after an interrupted pull; it will resume from the previous checkpoint")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception error, string serial, string clipId);
}

/// <summary>The vault's disk cannot take a clip beside the pulls already running (and keep its reserve): the clip stays on the recorder.</summary>
public sealed class VaultFullException(string message) : IOException(message);
