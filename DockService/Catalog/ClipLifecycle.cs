using Dock.DeviceProtocol.Messages;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;
using static Dock.Service.Catalog.ClipStore;

namespace Dock.Service.Catalog;

/// <summary>
/// The one owner of a clip's states and the moves between them (<see cref="Allowed"/>). Each transition commits the new state
/// with its <c>clip_events</c> row (and, where the caller passes its transaction, with the custody entry that speaks for it) and
/// returns the new record, so no caller reloads the clip to learn what it became. A move the table does not allow is refused
/// with <see cref="StorageFailure.InvalidTransition"/> and changes nothing.
/// </summary>
public sealed class ClipLifecycle(CatalogDatabase db)
{
    /// <summary>
    /// Every state a clip may move to, and the states it may come from. Forward is announced → pulling → stored → verified →
    /// released; back to announced only to pull again (a copy that failed its hash, a vault copy lost before its cloud copy, a
    /// newer listing of an unproven clip, a recorder trusted since); back from released to verified only when the recorder
    /// lists the clip after all. Quarantined is final unless the recorder becomes trusted or lists other bytes.
    /// </summary>
    public static IReadOnlyDictionary<ClipState, ClipState[]> Allowed { get; } = new Dictionary<ClipState, ClipState[]>
    {
        [ClipState.Announced] = [ClipState.Announced, ClipState.Pulling, ClipState.Stored, ClipState.Verified, ClipState.Quarantined],
        [ClipState.Pulling] = [ClipState.Announced, ClipState.Pulling, ClipState.Stored],
        [ClipState.Stored] = [ClipState.Announced, ClipState.Pulling],
        [ClipState.Verified] = [ClipState.Stored, ClipState.Verified, ClipState.Released],
        [ClipState.Released] = [ClipState.Verified, ClipState.Released],
        [ClipState.Quarantined] = [ClipState.Announced, ClipState.Pulling, ClipState.Stored, ClipState.Quarantined],
    };

    public static bool Allows(ClipState from, ClipState to) => Allowed[to].Contains(from);

    /// <summary>
    /// Catalogs a listed clip. What identifies a clip is its recorder, its id and its bytes (size and SHA-256): the same id with
    /// other bytes is never silently taken for the clip already catalogued, and new footage is always catalogued to be pulled.
    /// With no verified copy yet, the recorder's newer listing replaces its earlier word (a corrupted entry, a file rewritten
    /// before it was pulled). Once a copy is verified, other bytes under the id are a new generation "ID~N": normal when
    /// the clip has left the recorder (ids reused after a card was cleared), a conflict for a person to decide when it has not.
    /// </summary>
    public async Task<Announced> AnnounceAsync(string serial, ClipSummary clip, string officerId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var now = db.Now();
        var sha = Hex(clip.Sha256);
        var generations = await QueryClipsInAsync(c, tx, "WHERE recorder_serial = $serial AND (clip_id = $clip OR clip_id LIKE $generations ESCAPE '\\') ORDER BY id",
            cancellationToken, ("$serial", serial), ("$clip", clip.ClipId), ("$generations", clip.ClipId.Replace("_", "\\_") + "~%")).ConfigureAwait(false);
        // The same clip: the same size, and the same hash where both sides have one (a mass-storage recorder states none; its
        // reference is the dock's first read).
        bool Same(ClipRecord row) => row.Size == (long)clip.Size && (clip.Sha256.Length == 0 || row.DeviceSha256.Length == 0 || row.DeviceSha256 == sha);
        if (generations.LastOrDefault(Same) is { } known)
        {
            await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
            return new Announced(known, AnnounceChange.None);
        }
        var latest = generations.Count == 0 ? null : generations[^1];
        AnnounceChange change = AnnounceChange.None;
        string catalogId = clip.ClipId;
        if (latest is not null)
        {
            bool unproven = latest.State is ClipState.Announced or ClipState.Pulling || (latest.State == ClipState.Quarantined && latest.Hold is null);
            if (unproven && latest.LeftRecorderAt is null)
            {
                await ExecAsync(c, tx, """
                    UPDATE clips SET size = $size, device_sha256 = $sha, device_start = $start, device_end = $end, flags = $flags, state = 'announced',
                                     pulled_bytes = 0, attempts = 0, recorder_signature = NULL, updated_at = $now WHERE id = $id;
                    """, cancellationToken, ("$size", (long)clip.Size), ("$sha", sha), ("$start", Time(clip.StartMs)), ("$end", Time(clip.EndMs)),
                    ("$flags", (int)clip.Flags), ("$now", now), ("$id", latest.Id)).ConfigureAwait(false);
                await AddEventAsync(c, tx, latest.Id, ClipState.Announced, $"listed again with {clip.Size} bytes, sha256 {sha} (was {latest.Size} bytes, " +
                    $"sha256 {latest.DeviceSha256}); no copy was verified, so the newer listing is taken", cancellationToken).ConfigureAwait(false);
                await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
                var corrected = (await QueryClipsAsync(c, "WHERE id = $id", cancellationToken, ("$id", latest.Id)).ConfigureAwait(false))[0];
                return new Announced(corrected, AnnounceChange.HashCorrected, latest);
            }
            change = latest.LeftRecorderAt is not null ? AnnounceChange.IdReused : AnnounceChange.Conflict;
            catalogId = $"{clip.ClipId}~{generations.Count + 1}";
        }
        var id = (long)(await ScalarAsync(c, tx, """
            INSERT INTO clips(recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id,
                              state, announced_at, updated_at)
            VALUES ($serial, $clip, $size, $sha, $start, $end, $flags, $officer, 'announced', $now, $now)
            RETURNING id;
            """, cancellationToken, ("$serial", serial), ("$clip", catalogId), ("$size", (long)clip.Size), ("$sha", sha),
            ("$start", Time(clip.StartMs)), ("$end", Time(clip.EndMs)), ("$flags", (int)clip.Flags),
            ("$officer", officerId), ("$now", now)).ConfigureAwait(false))!;
        await AddEventAsync(c, tx, id, ClipState.Announced, (clip.Sha256.Length == 0 ? $"{clip.Size} bytes, no hash stated by the recorder"
            : $"{clip.Size} bytes, device sha256 {sha}") + (change switch
            {
                AnnounceChange.IdReused => $"; id {clip.ClipId} used again after its earlier clip left the recorder",
                AnnounceChange.Conflict => $"; other bytes than the verified clip {latest!.ClipId} the recorder still holds under this id",
                _ => "",
            }), cancellationToken).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        var row = (await QueryClipsAsync(c, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false))[0];
        return new Announced(row, change, latest);
    }

    /// <summary>Sets the reference SHA-256 of a clip announced without one (mass storage: the dock's first read), set once, and
    /// returns the clip as it now is.</summary>
    public async Task<ClipRecord> SetReferenceHashAsync(long id, string sha256, string how, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var current = await CurrentAsync(c, tx, id).ConfigureAwait(false);
        if (current.DeviceSha256.Length > 0) return current;
        var row = await ChangeAsync(c, tx, id, null, "device_sha256 = $sha", $"reference sha256 {sha256} ({how})", [("$sha", sha256)]).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary>Durable progress: the partial file is flushed to <paramref name="pulledBytes"/>.</summary>
    public Task<ClipRecord> SetPullingAsync(long id, long pulledBytes, CancellationToken cancellationToken) =>
        TransitionAsync(id, ClipState.Pulling, pulledBytes == 0 ? "pull started" : null, cancellationToken, "pulled_bytes = $pulled", ("$pulled", pulledBytes));

    /// <summary>In the vault under its final name; <paramref name="custodyIndex"/> is its "stored" custody entry.</summary>
    public Task<ClipRecord> SetStoredAsync(long id, string vaultPath, string sha256, long custodyIndex, CancellationToken cancellationToken) =>
        TransitionAsync(id, ClipState.Stored, $"stored at {vaultPath}, streamed sha256 {sha256}", cancellationToken,
            "vault_path = $path, stored_sha256 = $sha, pulled_bytes = size, hold = NULL, last_error = NULL, custody_index = $idx",
            ("$path", vaultPath), ("$sha", sha256), ("$idx", custodyIndex));

    /// <summary>Verified, and queued for the cloud in the same transaction (the upload outbox): in the transaction of the clip's
    /// `queued` custody entry.</summary>
    internal async Task<ClipRecord> MarkVerifiedAndQueuedAsync(SqliteConnection c, SqliteTransaction tx, long id, Upload.UploadIntent upload)
    {
        var row = await ChangeAsync(c, tx, id, ClipState.Verified, null, "re-read from the vault; sha256 matches the recorder's", []).ConfigureAwait(false);
        await ExecAsync(c, tx, """
            INSERT INTO uploads(clip_row, target, object_key, priority, state, next_attempt_at, queued_at, updated_at)
            VALUES ($clip, $target, $key, $priority, 'queued', $now, $now, $now) ON CONFLICT(clip_row) DO NOTHING;
            """, CancellationToken.None, ("$clip", id), ("$target", upload.Target), ("$key", upload.ObjectKey), ("$priority", upload.Priority),
            ("$now", db.Now())).ConfigureAwait(false);
        return row;
    }

    public Task<ClipRecord> SetVerifiedAsync(long id, CancellationToken cancellationToken) =>
        TransitionAsync(id, ClipState.Verified, "re-read from the vault; sha256 matches the recorder's", cancellationToken, null);

    /// <summary>The dock is asking the recorder to delete the clip: in the transaction of its release-requested custody entry.</summary>
    internal Task<ClipRecord> MarkReleaseRequestedAsync(SqliteConnection c, SqliteTransaction tx, long id, long custodyIndex) =>
        ChangeAsync(c, tx, id, null, "release_requested_at = $now, release_requested_index = $idx",
            $"release requested (custody entry {custodyIndex})", [("$idx", custodyIndex)], only: ClipState.Verified);

    /// <summary>The clip is gone from its recorder after the dock asked for that: in the transaction of its released custody entry.</summary>
    internal Task<ClipRecord> SettleReleasedAsync(SqliteConnection c, SqliteTransaction tx, long id, string detail) =>
        ChangeAsync(c, tx, id, ClipState.Released, "left_recorder_at = $now, last_error = NULL", detail, []);

    /// <summary>The clip is gone from its recorder and the dock never allowed that: in the transaction of its missing custody entry.
    /// The state stays (what the vault holds has not changed).</summary>
    internal Task<ClipRecord> SettleMissingAsync(SqliteConnection c, SqliteTransaction tx, long id, string detail) =>
        ChangeAsync(c, tx, id, null, "left_recorder_at = $now, last_error = $detail", detail, [("$detail", detail)]);

    /// <summary>
    /// The recorder lists a clip the dock had recorded as gone from it (it reported the deletion but kept the clip, or the
    /// clip came back): it is on the recorder after all. A Released clip goes back to Verified, so it is asked for again.
    /// </summary>
    public async Task<ClipRecord> RelistedAsync(long id, string detail, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var current = await CurrentAsync(c, tx, id).ConfigureAwait(false);
        var row = await ChangeAsync(c, tx, id, current.State == ClipState.Released ? ClipState.Verified : null,
            "left_recorder_at = NULL, last_error = $detail", detail, [("$detail", detail)]).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary>The recorder acknowledged a release but keeps the clip (a policy on the camera): it stays Verified, and
    /// the next docking asks again.</summary>
    public async Task<ClipRecord> RecordReleaseKeptAsync(long id, string detail, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var row = await ChangeAsync(c, tx, id, null, "last_error = $detail", detail, [("$detail", detail)], only: ClipState.Verified).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary>
    /// A copy whose hash did not match: record where the bad copy now lies, then send the clip back
    /// to Announced for another pull, or leave it Quarantined after <paramref name="maxAttempts"/>.
    /// </summary>
    public async Task<ClipRecord> QuarantineAsync(long id, string badCopyPath, string badSha256, string reason, int maxAttempts,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, tx, "INSERT INTO quarantine(clip_row, path, sha256, reason, at) VALUES ($id, $path, $sha, $reason, $now);",
            cancellationToken, ("$id", id), ("$path", badCopyPath), ("$sha", badSha256), ("$reason", reason), ("$now", db.Now())).ConfigureAwait(false);
        var current = await CurrentAsync(c, tx, id).ConfigureAwait(false);
        var next = current.Attempts + 1 >= maxAttempts ? ClipState.Quarantined : ClipState.Announced;
        var row = await ChangeAsync(c, tx, id, next,
            "attempts = attempts + 1, pulled_bytes = 0, vault_path = NULL, stored_sha256 = NULL, last_error = $reason",
            $"quarantined copy {badCopyPath}: {reason}", [("$reason", reason)]).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary>
    /// A whole, hash-verified copy that must not be trusted yet: it lies in quarantine at
    /// <paramref name="heldCopyPath"/>, the clip is Quarantined with <paramref name="hold"/>, and the
    /// recorder keeps its footage.
    /// </summary>
    public async Task<ClipRecord> HoldAsync(long id, string heldCopyPath, string sha256, ClipHold hold, string reason, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, tx, "INSERT INTO quarantine(clip_row, path, sha256, reason, at) VALUES ($id, $path, $sha, $reason, $now);",
            cancellationToken, ("$id", id), ("$path", heldCopyPath), ("$sha", sha256), ("$reason", reason), ("$now", db.Now())).ConfigureAwait(false);
        var row = await ChangeAsync(c, tx, id, ClipState.Quarantined,
            "hold = $hold, pulled_bytes = 0, vault_path = NULL, stored_sha256 = $sha, last_error = $reason",
            $"held at {heldCopyPath}: {reason}", [("$hold", HoldToDb(hold)), ("$sha", sha256), ("$reason", reason)]).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary>The recorder is trusted now (enrolled since): its held clips go back to Announced for a fresh pull.
    /// The held copies stay in quarantine; nothing is deleted.</summary>
    public async Task<int> UnholdUntrustedAsync(string serial, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var ids = await QueryAsync(c, tx, "SELECT id FROM clips WHERE recorder_serial = $serial AND state = 'quarantined' AND hold = $hold;",
            r => r.GetInt64(0), cancellationToken, ("$serial", serial), ("$hold", HoldToDb(ClipHold.UntrustedRecorder))).ConfigureAwait(false);
        foreach (var id in ids)
            await ChangeAsync(c, tx, id, ClipState.Announced, "hold = NULL, stored_sha256 = NULL, last_error = NULL", "recorder now enrolled: pulling again", [])
                .ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return ids.Count;
    }

    /// <summary>
    /// A clip's vault copy is gone before its cloud copy verified: in its missing entry's transaction, the clip goes back to
    /// Announced (to be pulled again, when <paramref name="pullAgain"/>: its recorder still holds it) and its upload row goes.
    /// Not pulled again, the state stays (the record of what happened), but nothing points at the lost copy any more.
    /// </summary>
    internal async Task<ClipRecord> VaultCopyMissingAsync(SqliteConnection c, SqliteTransaction tx, long clipRow, long uploadRow, bool pullAgain, string detail)
    {
        await ExecAsync(c, tx, "DELETE FROM upload_parts WHERE upload_row = $u; DELETE FROM uploads WHERE id = $u;", CancellationToken.None, ("$u", uploadRow))
            .ConfigureAwait(false);
        return await ChangeAsync(c, tx, clipRow, pullAgain ? ClipState.Announced : null,
            "vault_path = NULL, stored_sha256 = NULL, pulled_bytes = 0, manifest_path = NULL, custody_index = NULL, last_error = $detail", detail,
            [("$detail", detail)]).ConfigureAwait(false);
    }

    /// <summary>One transition in its own transaction (see <see cref="ChangeAsync"/>).</summary>
    private async Task<ClipRecord> TransitionAsync(long id, ClipState state, string? detail, CancellationToken cancellationToken,
        string? extraSet, params (string, object?)[] extra)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var row = await ChangeAsync(c, tx, id, state, extraSet, detail, extra).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return row;
    }

    /// <summary>
    /// The one place a clip row changes: moves it to <paramref name="state"/> (null keeps its state) if <see cref="Allowed"/> lets it
    /// come from where it is, sets <paramref name="extraSet"/>, writes the <c>clip_events</c> row (when <paramref name="detail"/> is
    /// given), and returns the row as it now is. <paramref name="only"/> narrows a change that keeps the state to clips in that state.
    /// </summary>
    private async Task<ClipRecord> ChangeAsync(SqliteConnection c, SqliteTransaction tx, long id, ClipState? state, string? extraSet, string? detail,
        (string, object?)[] extra, ClipState? only = null)
    {
        ClipState[]? from = state is { } to ? Allowed[to] : only is { } o ? [o] : null;
        var sql = $"UPDATE clips SET updated_at = $now{(state is { } t ? $", state = '{t.ToDb()}'" : "")}{(extraSet is null ? "" : ", " + extraSet)} " +
            $"WHERE id = $id{(from is null ? "" : $" AND state IN ({string.Join(',', from.Select(s => $"'{s.ToDb()}'"))})")} RETURNING {ClipColumns};";
        var rows = await QueryAsync(c, tx, sql, ReadClip, CancellationToken.None, [("$now", db.Now()), ("$id", id), .. extra]).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            var current = await CurrentAsync(c, tx, id).ConfigureAwait(false);
            throw new StorageException(StorageFailure.InvalidTransition,
                $"{current.RecorderSerial}/{current.ClipId} cannot move from {current.State.ToDb()} to {(state ?? current.State).ToDb()}" +
                (only is { } required ? $" (this change needs a {required.ToDb()} clip)." : "."));
        }
        if (detail is not null)
            await AddEventAsync(c, tx, id, rows[0].State, detail, CancellationToken.None).ConfigureAwait(false);
        return rows[0];
    }

    private static async Task<ClipRecord> CurrentAsync(SqliteConnection c, SqliteTransaction tx, long id) =>
        (await QueryClipsInAsync(c, tx, "WHERE id = $id", CancellationToken.None, ("$id", id)).ConfigureAwait(false)).FirstOrDefault()
        ?? throw new StorageException(StorageFailure.NotFound, $"Clip row {id} does not exist.");

    internal async Task AddEventAsync(SqliteConnection c, SqliteTransaction tx, long id, ClipState state, string detail, CancellationToken cancellationToken) =>
        await ExecAsync(c, tx, "INSERT INTO clip_events(clip_row, at, state, detail) VALUES ($id, $now, $state, $detail);", cancellationToken,
            ("$id", id), ("$now", db.Now()), ("$state", state.ToDb()), ("$detail", detail)).ConfigureAwait(false);
}
