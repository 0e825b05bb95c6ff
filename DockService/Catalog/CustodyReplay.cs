using Dock.Crypto.Custody;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Catalog;

/// <summary>
/// After a catalog lost committed changes (`dock log recover`): the custody entries put back from the journal say what
/// happened to each clip since, so the clip rows are brought forward to match. The custody log is the record of every
/// hand-off; this replays the facts the pipeline's decisions rest on (stored, verified, release requested, released,
/// gone from the recorder), so the dock neither pulls again what a recorder no longer holds nor reports as missing a
/// clip it released itself.
/// </summary>
internal sealed class CustodyReplay(CatalogDatabase db)
{
    private readonly ClipLifecycle _lifecycle = new(db);

    /// <summary>
    /// Applies restored custody entries to the clip rows, in the recovery's transaction. A clip with no row (announced
    /// after the point the catalog fell back to) gets one from its manifest in the vault, when there is one; otherwise
    /// it is left for its recorder's next docking (the vault file, if whole, is adopted then). Returns what it changed.
    /// </summary>
    internal async Task<IReadOnlyList<string>> ReplayCustodyAsync(SqliteConnection c, SqliteTransaction tx, IReadOnlyList<CustodyEvent> restored,
        Func<string, string, Evidence.ClipManifest?> manifestFor, CancellationToken cancellationToken)
    {
        var changes = new List<string>();
        foreach (var e in restored.Where(e => e.Kind is CustodyEventKind.RecorderEnrolled or CustodyEventKind.RecorderRevoked && e.RecorderSerial is not null))
            if (await ReplayEnrolmentAsync(c, tx, e, cancellationToken).ConfigureAwait(false) is { } change) changes.Add(change);
        foreach (var clip in restored.Where(e => e.RecorderSerial is not null && e.ClipId is not null).GroupBy(e => (e.RecorderSerial!, e.ClipId!)))
        {
            var (serial, clipId) = clip.Key;
            var id = await ScalarAsync(c, tx, "SELECT id FROM clips WHERE recorder_serial = $s AND clip_id = $c;", cancellationToken,
                ("$s", serial), ("$c", clipId)) as long?;
            if (id is null)
            {
                if (manifestFor(serial, clipId) is not { } manifest)
                {
                    changes.Add($"{serial}/{clipId}: no catalog row and no manifest in the vault; its recorder's next docking brings it back");
                    continue;
                }
                id = await InsertFromManifestAsync(c, tx, manifest, cancellationToken);
                changes.Add($"{serial}/{clipId}: catalog row rebuilt from its manifest");
            }
            bool stored = false;
            foreach (var e in clip)
            {
                var at = e.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
                switch (e.Kind)
                {
                    case CustodyEventKind.Stored:
                        await ExecAsync(c, tx, """
                            UPDATE clips SET state = 'stored', vault_path = $path, stored_sha256 = $sha, pulled_bytes = size, custody_index = $idx,
                                             hold = NULL, updated_at = $at WHERE id = $id AND state IN ('announced','pulling','stored','quarantined');
                            """, cancellationToken, ("$path", Vault.ClipVault.RelativeFinalPath(serial, clipId)), ("$sha", e.Sha256), ("$idx", e.Index),
                            ("$at", at), ("$id", id)).ConfigureAwait(false);
                        stored = true;
                        break;
                    case CustodyEventKind.HashVerified when stored:
                        var manifestPath = Vault.ClipVault.RelativeManifestPath(serial, clipId);
                        await ExecAsync(c, tx, """
                            UPDATE clips SET state = 'verified', manifest_path = $manifest, updated_at = $at WHERE id = $id AND state = 'stored';
                            """, cancellationToken, ("$manifest", manifestPath), ("$at", at), ("$id", id)).ConfigureAwait(false);
                        break;
                    case CustodyEventKind.ReleaseRequested:
                        await ExecAsync(c, tx, "UPDATE clips SET release_requested_at = $at, release_requested_index = $idx, updated_at = $at WHERE id = $id;",
                            cancellationToken, ("$at", at), ("$idx", e.Index), ("$id", id)).ConfigureAwait(false);
                        break;
                    case CustodyEventKind.Released:
                        await ExecAsync(c, tx, "UPDATE clips SET state = 'released', left_recorder_at = $at, updated_at = $at WHERE id = $id;",
                            cancellationToken, ("$at", at), ("$id", id)).ConfigureAwait(false);
                        break;
                    case CustodyEventKind.Purged:
                        // The vault copy was deleted after this entry: the row must not point at a copy to read, nor offer it to a purge again.
                        await ExecAsync(c, tx, "UPDATE clips SET purged_at = $at, purged_index = $idx, updated_at = $at WHERE id = $id AND purged_at IS NULL;",
                            cancellationToken, ("$at", at), ("$idx", e.Index), ("$id", id)).ConfigureAwait(false);
                        break;
                    case CustodyEventKind.Missing when e.Detail?.StartsWith("not on the recorder", StringComparison.Ordinal) == true:
                        await ExecAsync(c, tx, "UPDATE clips SET left_recorder_at = $at, updated_at = $at WHERE id = $id;",
                            cancellationToken, ("$at", at), ("$id", id)).ConfigureAwait(false);
                        break;
                    default:
                        continue;
                }
                await _lifecycle.AddEventAsync(c, tx, id.Value, ClipStates.FromDb((string)(await ScalarAsync(c, tx, "SELECT state FROM clips WHERE id = $id;",
                    cancellationToken, ("$id", id)).ConfigureAwait(false))!), $"restored from the custody journal: entry {e.Index} ({CustodyEvent.KindName(e.Kind)})",
                    cancellationToken).ConfigureAwait(false);
            }
            changes.Add($"{serial}/{clipId}: brought forward to custody entry {clip.Last().Index} ({CustodyEvent.KindName(clip.Last().Kind)})");
        }
        // After the clips: a hold on a clip names its row, which may have just been rebuilt from its manifest.
        foreach (var e in restored.Where(e => e.Kind is CustodyEventKind.HoldPlaced or CustodyEventKind.HoldLifted))
            if (await ReplayHoldAsync(c, tx, e, cancellationToken).ConfigureAwait(false) is { } held) changes.Add(held);
        return changes;
    }

    private static readonly System.Text.RegularExpressions.Regex PlacedHold = new(@"^hold (\d+) on (?:this clip|case (.+?)): (.+)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly System.Text.RegularExpressions.Regex LiftedHold = new(@"^hold (\d+) on (?:this clip|case .+?) lifted: (.+)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Legal holds change with entries of their own (Retention/LegalHolds): a hold the catalog lost must stand again before any
    /// purge, so put back what they say.</summary>
    private static async Task<string?> ReplayHoldAsync(SqliteConnection c, SqliteTransaction tx, CustodyEvent e, CancellationToken cancellationToken)
    {
        var at = e.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        if (e.Kind == CustodyEventKind.HoldLifted && LiftedHold.Match(e.Detail ?? "") is { Success: true } lifted)
        {
            int n = await ExecAsync(c, tx, """
                UPDATE legal_holds SET lifted_by = $by, lifted_at = $at, lift_reason = $why, lifted_index = $idx WHERE id = $id AND lifted_at IS NULL;
                """, cancellationToken, ("$by", e.Actor), ("$at", at), ("$why", lifted.Groups[2].Value), ("$idx", e.Index),
                ("$id", long.Parse(lifted.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))).ConfigureAwait(false);
            return n > 0 ? $"hold {lifted.Groups[1].Value} lifted again (custody entry {e.Index})" : null;
        }
        if (e.Kind != CustodyEventKind.HoldPlaced || PlacedHold.Match(e.Detail ?? "") is not { Success: true } placed) return null;
        long? clipRow = null;
        string? caseNumber = placed.Groups[2].Success ? placed.Groups[2].Value : null;
        if (caseNumber is null)
        {
            clipRow = await ScalarAsync(c, tx, "SELECT id FROM clips WHERE recorder_serial = $s AND clip_id = $c;", cancellationToken,
                ("$s", e.RecorderSerial), ("$c", e.ClipId)).ConfigureAwait(false) as long?;
            if (clipRow is null) return $"hold {e.Index} on {e.RecorderSerial}/{e.ClipId}: the clip is not in the catalog; restore it, then run this again";
        }
        int added = await ExecAsync(c, tx, """
            INSERT OR IGNORE INTO legal_holds(id, clip_row, case_number, reason, placed_by, placed_at) VALUES ($id, $row, $case, $why, $by, $at);
            """, cancellationToken, ("$id", e.Index), ("$row", clipRow), ("$case", caseNumber), ("$why", placed.Groups[3].Value), ("$by", e.Actor),
            ("$at", at)).ConfigureAwait(false);
        return added > 0 ? $"hold {e.Index} on {(caseNumber is null ? $"{e.RecorderSerial}/{e.ClipId}" : $"case {caseNumber}")} restored" : null;
    }

    private static readonly System.Text.RegularExpressions.Regex EnrolledKey = new(@"^key ([0-9a-f]+) \(([0-9a-f]{64})\) enrolled from (.+)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly System.Text.RegularExpressions.Regex RevokedKey = new(@"^key (\S+) revoked: (.*)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The enrolment list changes with custody entries of its own (RecorderEnrolment): put back what they say.</summary>
    private async Task<string?> ReplayEnrolmentAsync(SqliteConnection c, SqliteTransaction tx, CustodyEvent e, CancellationToken cancellationToken)
    {
        var at = e.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var serial = e.RecorderSerial!;
        if (e.Kind == CustodyEventKind.RecorderRevoked && RevokedKey.Match(e.Detail ?? "") is { Success: true } revoked)
        {
            int n = await ExecAsync(c, tx, """
                UPDATE recorder_keys SET revoked_at = $at, revoke_reason = $why WHERE serial = $s AND fingerprint = $fp AND revoked_at IS NULL;
                """, cancellationToken, ("$at", at), ("$why", revoked.Groups[2].Value), ("$s", serial), ("$fp", revoked.Groups[1].Value)).ConfigureAwait(false);
            return n > 0 ? $"{serial}: key {revoked.Groups[1].Value} revoked again (custody entry {e.Index})" : null;
        }
        byte[] key;
        string source;
        if (EnrolledKey.Match(e.Detail ?? "") is { Success: true } enrolled)
        {
            key = Convert.FromHexString(enrolled.Groups[2].Value);
            source = enrolled.Groups[3].Value;
        }
        else if (e.Detail?.StartsWith("keyless", StringComparison.Ordinal) == true)
        {
            key = [];
            source = e.Detail;
        }
        else return null;
        if (await ScalarAsync(c, tx, "SELECT 1 FROM recorder_keys WHERE serial = $s AND public_key = $k;", cancellationToken, ("$s", serial), ("$k", key))
            .ConfigureAwait(false) is not null) return null;
        await ExecAsync(c, tx, """
            UPDATE recorder_keys SET revoked_at = $at, revoke_reason = 'replaced (restored from the custody journal)' WHERE serial = $s AND revoked_at IS NULL;
            INSERT INTO recorder_keys(serial, public_key, fingerprint, enrolled_at, source) VALUES ($s, $k, $fp, $at, $source);
            """, cancellationToken, ("$at", at), ("$s", serial), ("$k", key),
            ("$fp", key.Length == 0 ? RecorderKeyRecord.Keyless : Dock.Crypto.Keys.Ed25519Key.Fingerprint(key)), ("$source", source)).ConfigureAwait(false);
        return $"{serial}: enrolment restored (custody entry {e.Index})";
    }

    private async Task<long> InsertFromManifestAsync(SqliteConnection c, SqliteTransaction tx, Evidence.ClipManifest manifest, CancellationToken cancellationToken)
    {
        var now = db.Now();
        await ExecAsync(c, tx, """
            INSERT INTO recorders(serial, model, firmware, officer_id, key_fingerprint, public_key, first_seen, last_seen)
            VALUES ($serial, $model, $firmware, $officer, NULL, NULL, $now, $now) ON CONFLICT(serial) DO NOTHING;
            """, cancellationToken, ("$serial", manifest.Clip.RecorderSerial), ("$model", manifest.Recorder.Model), ("$firmware", manifest.Recorder.Firmware),
            ("$officer", manifest.OfficerId), ("$now", now)).ConfigureAwait(false);
        var id = (long)(await ScalarAsync(c, tx, """
            INSERT INTO clips(recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id, state, announced_at, updated_at,
                              recorder_signature)
            VALUES ($serial, $clip, $size, $sha, $start, $end, $flags, $officer, 'announced', $now, $now, $signature) RETURNING id;
            """, cancellationToken, ("$serial", manifest.Clip.RecorderSerial), ("$clip", manifest.Clip.ClipId), ("$size", manifest.Clip.Size),
            ("$sha", manifest.Clip.Sha256), ("$start", manifest.Clip.DeviceStart.ToString("O")), ("$end", manifest.Clip.DeviceEnd.ToString("O")),
            ("$flags", manifest.Clip.Flags), ("$officer", manifest.OfficerId), ("$now", now), ("$signature", manifest.Recorder.Signature))
            .ConfigureAwait(false))!;
        await _lifecycle.AddEventAsync(c, tx, id, ClipState.Announced, "row rebuilt from the clip's manifest in the vault after the catalog lost it", cancellationToken)
            .ConfigureAwait(false);
        return id;
    }
}
