using System.Globalization;
using System.Text;
using Dock.Crypto.Custody;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Upload;
using Dock.Service.Vault;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Retention;

/// <summary>Why a vault copy went.</summary>
public enum PurgeReason
{
    /// <summary>Its retention had passed since its cloud copy was verified.</summary>
    RetentionPassed,
    /// <summary>The vault's disk ran short: oldest recordings first, ahead of their retention.</summary>
    SpaceNeeded,
}

/// <summary>A clip whose vault copy may go one day: cloud-verified and still in the vault.</summary>
public sealed record PurgeCandidate(long ClipRow, string Serial, string ClipId, long Size, string Sha256, DateTimeOffset RecordedAt, string VaultPath,
    string Target, string ObjectKey, DateTimeOffset CloudVerifiedAt, string? Categories, bool Held);

/// <summary>A vault copy purged (or, in a dry run, that would be), with its custody entry.</summary>
public sealed record PurgeOutcome(string Serial, string ClipId, long Size, PurgeReason Reason, string Detail, long? Index);

/// <summary>What one sweep did: purged, why others stayed, the free space before and after, and what stopped it early (the cloud).</summary>
public sealed record PurgeReport(IReadOnlyList<PurgeOutcome> Purged, IReadOnlyList<(string Serial, string ClipId, string Why)> Skipped, int Held,
    int NotYetDue, long FreeBefore, long FreeAfter, bool SpacePressure, string? Stopped);

/// <summary>A clip's retention as the console and API show it.</summary>
public sealed record RetentionStatus(IReadOnlyList<string> Categories, TimeSpan KeptFor, string? DecidedBy, DateTimeOffset? CloudVerifiedAt,
    DateTimeOffset? Due, IReadOnlyList<LegalHold> Holds, DateTimeOffset? PurgedAt, long? PurgedIndex, string Verdict);

/// <summary>
/// The one owner of deleting vault copies. A clip's vault copy goes only when all of these hold: the clip is cloud-verified (its upload
/// verified, and the store asked again just before — present, same size, same SHA-256); no legal hold covers it (checked again inside
/// the purge's own transaction); and either its retention has passed since the cloud copy was verified (<see cref="RetentionRules"/>), or
/// the vault's disk is below <see cref="RetentionOptions.PurgeWhenFreeBelow"/> — then oldest recordings first, until the disk is back at
/// <see cref="RetentionOptions.AlertWhenFreeBelow"/>, and only after the <c>vault-space-low</c> alert said so. The <c>purged</c> custody
/// entry is committed (with the clip's row) before the file is deleted, so no deletion lacks its entry; a crash between the two leaves a
/// file the next sweep deletes. The manifest, its signature and every custody entry stay: the clip stays provable from its cloud copy.
/// </summary>
public sealed class VaultPurge(CatalogStores catalog, ClipVault vault, CustodyLog log, ICloudTarget? cloud, CloudTargetUri? cloudUri, DockOptions options,
    TimeProvider time, Func<long>? freeBytes = null)
{
    /// <summary>Candidates read per page (oldest recording first): a sweep holds no more than this in memory.</summary>
    internal const int PageSize = 2000;

    /// <summary>How long the store has to answer one HEAD before the sweep stops and tries again later.</summary>
    internal static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(30);

    private readonly RetentionOptions _retention = options.Retention;
    private int _interrupted = 1; // at start, finish any purge a crash interrupted

    public long FreeBytes() => freeBytes?.Invoke() ?? vault.FreeBytes();

    /// <summary>
    /// One sweep: finishes interrupted purges, raises or resolves the space alert, then purges what is due (or, under space pressure,
    /// what must go). A dry run decides the same way, asks the store the same way, and changes nothing.
    /// </summary>
    public async Task<PurgeReport> SweepAsync(string actor, bool dryRun, CancellationToken cancellationToken)
    {
        if (!dryRun && Interlocked.Exchange(ref _interrupted, 0) == 1) await FinishInterruptedAsync(cancellationToken).ConfigureAwait(false);
        long free = FreeBytes(), before = free;
        long purgeBelow = _retention.PurgeWhenFreeBelow, alertBelow = _retention.AlertWhenFreeBelow;
        bool pressure = _retention.Enabled && purgeBelow > 0 && free < purgeBelow;
        if (!dryRun) await SpaceAlertAsync(free, cancellationToken).ConfigureAwait(false);
        var purged = new List<PurgeOutcome>();
        var skipped = new List<(string, string, string)>();
        int held = 0, notDue = 0;
        string? stopped = null;
        if (_retention.Enabled)
        {
            var now = time.GetUtcNow();
            (DateTimeOffset Start, long Id) after = (DateTimeOffset.MinValue, 0);
            while (stopped is null)
            {
                var page = await CandidatesAsync(after, PageSize, cancellationToken).ConfigureAwait(false);
                if (page.Count == 0) break;
                after = (page[^1].RecordedAt, page[^1].ClipRow);
                foreach (var clip in page)
                {
                    if (clip.Held)
                    {
                        held++;
                        continue;
                    }
                    var (keptFor, decidedBy) = RetentionRules.KeptFor(clip.Categories, options.Metadata, _retention);
                    var due = RetentionRules.Due(clip.CloudVerifiedAt, keptFor);
                    bool spaceWanted = pressure && free < alertBelow;
                    PurgeReason? reason = now >= due ? PurgeReason.RetentionPassed : spaceWanted ? PurgeReason.SpaceNeeded : null;
                    if (reason is not { } why)
                    {
                        notDue++;
                        continue;
                    }
                    var because = why == PurgeReason.RetentionPassed
                        ? $"retention passed: {(decidedBy is null ? "uncategorised" : $"category {decidedBy}")} keeps {Days(keptFor)} after the cloud copy was verified, due {Time(due)}"
                        : $"space: {free:N0} bytes free, below Dock:Retention:PurgeWhenFreeBelow {purgeBelow:N0}; oldest recordings first, ahead of retention (due {Time(due)})";
                    var result = await PurgeOneAsync(clip, why, because, actor, dryRun, cancellationToken).ConfigureAwait(false);
                    switch (result)
                    {
                        case { Outcome: { } outcome }:
                            purged.Add(outcome);
                            free = dryRun ? free + clip.Size : FreeBytes();
                            break;
                        case { StopAll: true }:
                            stopped = result.Why;
                            break;
                        default:
                            skipped.Add((clip.Serial, clip.ClipId, result.Why!));
                            break;
                    }
                    if (stopped is not null) break;
                }
            }
        }
        if (!dryRun && purged.Count > 0) await SpaceAlertAsync(FreeBytes(), cancellationToken).ConfigureAwait(false);
        if (!dryRun && stopped is not null)
            await catalog.Alerts.RaiseAlertAsync("purge-stopped", null, null, $"Vault purge paused: {stopped}. Nothing is deleted while the cloud copy " +
                "cannot be checked; the next sweep tries again.", cancellationToken).ConfigureAwait(false);
        else if (!dryRun)
            await catalog.Alerts.ResolveAlertKindAsync("purge-stopped", "the store answers again", cancellationToken).ConfigureAwait(false);
        return new PurgeReport(purged, skipped, held, notDue, before, dryRun ? free : FreeBytes(), pressure, stopped);
    }

    private sealed record OneResult(PurgeOutcome? Outcome, string? Why, bool StopAll = false);

    /// <summary>Checks the cloud copy in the store, then commits the `purged` entry with the clip's row, then deletes the file.</summary>
    private async Task<OneResult> PurgeOneAsync(PurgeCandidate clip, PurgeReason why, string because, string actor, bool dryRun,
        CancellationToken cancellationToken)
    {
        if (cloud is null || cloudUri is null)
            return new(null, "no cloud target is configured now: its cloud copy cannot be checked", StopAll: true);
        if (clip.Target != cloudUri.ToString())
            return new(null, $"its cloud copy is in {clip.Target}, not the configured target {cloudUri}: the dock cannot check it there");
        StoredObject? stored;
        using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            limit.CancelAfter(HeadTimeout);
            try
            {
                stored = await cloud.HeadAsync(clip.ObjectKey, limit.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not (OutOfMemoryException or StorageException))
            {
                return new(null, $"the store {cloud.Description} did not answer ({ex.GetType().Name}: {ex.Message})", StopAll: true);
            }
        }
        if (stored is null || stored.Size != clip.Size || !string.Equals(stored.Sha256Metadata, clip.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            var found = stored is null ? "no object there" : $"{stored.Size} bytes, sha256 {stored.Sha256Metadata ?? "(none recorded)"}";
            var message = $"The cloud copy of {clip.Serial}/{clip.ClipId} at {clip.Target}/{clip.ObjectKey} was verified, but the store now holds {found}, " +
                $"not {clip.Size} bytes with sha256 {clip.Sha256}. The vault copy is kept and will not be purged; restore the cloud copy (`dock verify` checks " +
                "the vault copy) and look into how it changed.";
            if (!dryRun) await catalog.Alerts.RaiseAlertAsync("cloud-copy-changed", clip.Serial, clip.ClipId, message, cancellationToken).ConfigureAwait(false);
            return new(null, $"the store no longer holds the verified copy ({found})");
        }
        var detail = CustodyEvent.FitDetail($"vault copy {clip.VaultPath} deleted; {because}; cloud copy {clip.Target}/{clip.ObjectKey} verified {Time(clip.CloudVerifiedAt)}, " +
            $"present now with the same size and sha256. The manifest and this log stay.");
        if (dryRun) return new(new PurgeOutcome(clip.Serial, clip.ClipId, clip.Size, why, detail, null), null);
        CustodyEvent entry;
        try
        {
            entry = await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Purged, at, log.DockId, actor, clip.Serial, clip.ClipId,
                clip.Sha256, clip.Size, Detail: detail), cancellationToken, (c, tx, e) => MarkPurgedAsync(c, tx, clip, e, cancellationToken)).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.Kind == StorageFailure.InvalidTransition)
        {
            return new(null, ex.Message);
        }
        try
        {
            vault.DeletePurged(clip.VaultPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The entry stands (the decision was made and recorded); the file goes at the next sweep.
            Interlocked.Exchange(ref _interrupted, 1);
            return new(new PurgeOutcome(clip.Serial, clip.ClipId, clip.Size, why, detail + $" (file not deleted yet: {ex.Message})", entry.Index), null);
        }
        return new(new PurgeOutcome(clip.Serial, clip.ClipId, clip.Size, why, detail, entry.Index), null);
    }

    /// <summary>In the entry's transaction: the clip is still in the vault and no hold came meanwhile; else the entry is undone.</summary>
    private async Task MarkPurgedAsync(SqliteConnection c, SqliteTransaction tx, PurgeCandidate clip, CustodyEvent entry, CancellationToken cancellationToken)
    {
        if ((await HoldStore.CoveringAsync(c, tx, clip.ClipRow, cancellationToken).ConfigureAwait(false)) is { Count: > 0 } holds)
            throw new StorageException(StorageFailure.InvalidTransition, $"hold {holds[0].Id} ({holds[0].Covers}) was placed meanwhile");
        var rows = await QueryAsync(c, tx, """
            UPDATE clips SET purged_at = $at, purged_index = $idx, updated_at = $at
            WHERE id = $id AND purged_at IS NULL AND vault_path = $path AND state IN ('verified', 'released') RETURNING state;
            """, r => r.GetString(0), cancellationToken, ("$id", clip.ClipRow), ("$path", clip.VaultPath), ("$idx", entry.Index),
            ("$at", entry.At.ToString("O", CultureInfo.InvariantCulture))).ConfigureAwait(false);
        if (rows.Count == 0) throw new StorageException(StorageFailure.InvalidTransition, "it is no longer a vault copy to purge (changed meanwhile)");
        await catalog.Lifecycle.AddEventAsync(c, tx, clip.ClipRow, ClipStates.FromDb(rows[0]), $"vault copy purged (custody entry {entry.Index})",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Cloud-verified clips still in the vault, oldest recording first, after <paramref name="after"/>.</summary>
    public async Task<IReadOnlyList<PurgeCandidate>> CandidatesAsync((DateTimeOffset Start, long Id) after, int max, CancellationToken cancellationToken)
    {
        await using var c = await catalog.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // device_start is stored in one format (ISO 8601, UTC), so text order is time order.
        return await QueryAsync(c, null, $"""
            SELECT c.id, c.recorder_serial, c.clip_id, c.size, c.device_sha256, c.device_start, c.vault_path, u.target, u.object_key, u.updated_at,
                   (SELECT value FROM clip_tags t WHERE t.clip_row = c.id AND t.field = 'category'), {HoldStore.CoveredSql}
            FROM clips c JOIN uploads u ON u.clip_row = c.id
            WHERE u.state = 'verified' AND c.vault_path IS NOT NULL AND c.purged_at IS NULL AND c.state IN ('verified', 'released')
              AND (c.device_start > $start OR (c.device_start = $start AND c.id > $id))
            ORDER BY c.device_start, c.id LIMIT $max;
            """, r => new PurgeCandidate(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetString(4), ParseTime(r.GetString(5)),
                r.GetString(6), r.GetString(7), r.GetString(8), ParseTime(r.GetString(9)), r.IsDBNull(10) ? null : r.GetString(10), r.GetInt64(11) != 0),
            cancellationToken, ("$start", after.Start == DateTimeOffset.MinValue ? "" : after.Start.ToString("O", CultureInfo.InvariantCulture)),
            ("$id", after.Id), ("$max", max)).ConfigureAwait(false);
    }

    /// <summary>A clip's retention: how long, decided by which category, due when, what holds it, whether it went.</summary>
    public async Task<RetentionStatus> StatusAsync(ClipRecord clip, string? categories, CancellationToken cancellationToken)
    {
        var holds = await new HoldStore(catalog.Database).CoveringAsync(clip.Id, cancellationToken).ConfigureAwait(false);
        var (keptFor, decidedBy) = RetentionRules.KeptFor(categories, options.Metadata, _retention);
        var verifiedAt = await catalog.Uploads.GetUploadForClipAsync(clip.Id, cancellationToken).ConfigureAwait(false) is { State: UploadState.Verified } upload
            ? upload.UpdatedAt : (DateTimeOffset?)null;
        DateTimeOffset? due = verifiedAt is { } at ? RetentionRules.Due(at, keptFor) : null;
        var verdict = clip.PurgedAt is { } purgedAt ? $"vault copy purged {Time(purgedAt)} (custody entry {clip.PurgedIndex}); the cloud copy holds it"
            : !clip.InVault ? "no vault copy yet"
            : holds.Count > 0 ? $"kept: {string.Join(", ", holds.Select(h => $"hold {h.Id} on {h.Covers}"))}"
            : verifiedAt is null ? "kept: the cloud copy is not verified yet, and a clip without one is never purged"
            : !_retention.Enabled ? "kept: purging is off (Dock:Retention:Enabled)"
            : $"kept until {Time(due!.Value)}, or earlier if the vault's disk runs short";
        return new RetentionStatus(RetentionRules.Categories(categories), keptFor, decidedBy, verifiedAt, due, holds, clip.PurgedAt, clip.PurgedIndex, verdict);
    }

    /// <summary>Raises <c>vault-space-low</c> below the alert level (saying what purging ahead of retention would take), resolves it above.</summary>
    private async Task SpaceAlertAsync(long free, CancellationToken cancellationToken)
    {
        long alertBelow = _retention.AlertWhenFreeBelow;
        if (alertBelow <= 0 || free >= alertBelow)
        {
            await catalog.Alerts.ResolveAlertKindAsync("vault-space-low", $"{free:N0} bytes free", cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var c = await catalog.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var (count, bytes) = (await QueryAsync(c, null, $"""
            SELECT count(*), coalesce(sum(c.size), 0) FROM clips c JOIN uploads u ON u.clip_row = c.id
            WHERE u.state = 'verified' AND c.vault_path IS NOT NULL AND c.purged_at IS NULL AND c.state IN ('verified', 'released') AND NOT {HoldStore.CoveredSql};
            """, r => (r.GetInt64(0), r.GetInt64(1)), cancellationToken).ConfigureAwait(false))[0];
        var message = new StringBuilder($"The vault's disk has {free:N0} bytes free, below Dock:Retention:AlertWhenFreeBelow ({alertBelow:N0}). ");
        message.Append(!_retention.Enabled ? "Purging is off (Dock:Retention:Enabled): free space, or the dock stops pulling when the disk is full."
            : count == 0 ? $"Below {(long)_retention.PurgeWhenFreeBelow:N0} the dock would purge cloud-verified clips ahead of their retention, but none can go " +
              "(none is cloud-verified, or holds cover them): free space, or the dock stops pulling when the disk is full."
            : $"Below {(long)_retention.PurgeWhenFreeBelow:N0} the dock purges vault copies of cloud-verified clips ahead of their retention, oldest " +
              $"recordings first ({count:N0} clips, {bytes:N0} bytes, could go; their cloud copies stay). Add disk space to keep them.");
        await catalog.Alerts.RaiseAlertAsync("vault-space-low", null, null, message.ToString(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the files of clips whose `purged` entry is committed but whose file a crash (or an error) left behind.</summary>
    private async Task FinishInterruptedAsync(CancellationToken cancellationToken)
    {
        await using var c = await catalog.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var paths = await QueryAsync(c, null, "SELECT vault_path FROM clips WHERE purged_at IS NOT NULL AND vault_path IS NOT NULL;", r => r.GetString(0),
            cancellationToken).ConfigureAwait(false);
        foreach (var path in paths)
        {
            try
            {
                vault.DeletePurged(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Interlocked.Exchange(ref _interrupted, 1);
            }
        }
    }

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Days(TimeSpan span) => span.TotalDays >= 1 && span.Ticks % TimeSpan.TicksPerDay == 0
        ? $"{span.TotalDays:0} days" : span.ToString("c", CultureInfo.InvariantCulture);

}
