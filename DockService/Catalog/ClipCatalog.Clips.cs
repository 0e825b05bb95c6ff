using Dock.DeviceProtocol.Messages;
using Microsoft.Data.Sqlite;

namespace Dock.Service.Catalog;

public sealed partial class ClipCatalog
{
    private const string ClipColumns = """
        id, recorder_serial, clip_id, size, device_sha256, device_start, device_end, flags, officer_id,
        state, pulled_bytes, attempts, vault_path, stored_sha256, last_error, updated_at, custody_index, manifest_path,
        recorder_signature, hold, release_requested_at, release_requested_index, left_recorder_at
        """;

    /// <summary>Records a clip the recorder listed (once; later listings return the existing row).
    /// A clip id reused with other content is an error, and the new content stays on the recorder.
    /// An empty SHA-256 means the recorder states none yet (mass storage): the reference hash is set by
    /// <see cref="SetReferenceHashAsync"/> just before the pull, and later listings compare sizes only.</summary>
    /// <summary>The id the recorder knows a catalogued clip by: its catalog id up to the generation mark.</summary>
    public static string DeviceClipId(string catalogClipId) => Evidence.ClipIds.DeviceClipId(catalogClipId);

    /// <summary>
    /// Catalogs a listed clip. What identifies a clip is its recorder, its id and its bytes (size and SHA-256): the same id with
    /// other bytes is never silently taken for the clip already catalogued, and new footage is always catalogued to be pulled.
    /// With no verified copy yet, the recorder's newer listing replaces its earlier word (a corrupted entry, a file rewritten
    /// before it was pulled). Once a copy is verified, other bytes under the id are a new generation "ID~N": normal when
    /// the clip has left the recorder (ids reused after a card was cleared), a conflict for a person to decide when it has not.
    /// </summary>
    public async Task<Announced> AnnounceAsync(string serial, ClipSummary clip, string officerId, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var now = Now();
        var sha = Hex(clip.Sha256);
        var generations = await QueryClipsInAsync(c, tx, "WHERE recorder_serial = $serial AND (clip_id = $clip OR clip_id LIKE $generations ESCAPE '\\') ORDER BY id",
            cancellationToken, ("$serial", serial), ("$clip", clip.ClipId), ("$generations", clip.ClipId.Replace("_", "\\_") + "~%")).ConfigureAwait(false);
        // The same clip: the same size, and the same hash where both sides have one (a mass-storage recorder states none; its
        // reference is the dock's first read).
        bool Same(ClipRecord row) => row.Size == (long)clip.Size && (clip.Sha256.Length == 0 || row.DeviceSha256.Length == 0 || row.DeviceSha256 == sha);
        if (generations.LastOrDefault(Same) is { } known)
        {
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
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
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
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
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        var row = (await QueryClipsAsync(c, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false))[0];
        return new Announced(row, change, latest);
    }

    private static string Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("O");

    public async Task<ClipRecord?> GetClipAsync(long id, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryClipsAsync(c, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Sets the reference SHA-256 of a clip announced without one (mass storage: the dock's first read).
    /// Set once; false if the clip already had one.</summary>
    public async Task<bool> SetReferenceHashAsync(long id, string sha256, string how, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        int changed = await ExecAsync(c, tx, "UPDATE clips SET device_sha256 = $sha, updated_at = $now WHERE id = $id AND device_sha256 = '';",
            cancellationToken, ("$sha", sha256), ("$now", Now()), ("$id", id)).ConfigureAwait(false);
        if (changed == 1)
        {
            var state = ClipStates.FromDb((string)(await ScalarAsync(c, tx, "SELECT state FROM clips WHERE id = $id;", cancellationToken, ("$id", id))
                .ConfigureAwait(false))!);
            await AddEventAsync(c, tx, id, state, $"reference sha256 {sha256} ({how})", cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return changed == 1;
    }

    /// <summary>(serial, clip id) of every clip the catalog knows.</summary>
    public async Task<IReadOnlySet<(string Serial, string ClipId)>> ClipKeysAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT recorder_serial, clip_id FROM clips;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var keys = new HashSet<(string, string)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) keys.Add((reader.GetString(0), reader.GetString(1)));
        return keys;
    }

    /// <summary>Where the clip's vault copy and manifest are (relative to the data directory), after the vault layout changed.</summary>
    public async Task SetVaultPathsAsync(long id, string? vaultPath, string? manifestPath, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE clips SET vault_path = $path, manifest_path = $manifest WHERE id = $id;", cancellationToken,
            ("$path", vaultPath), ("$manifest", manifestPath), ("$id", id)).ConfigureAwait(false);
    }

    public async Task<ClipRecord?> FindClipAsync(string serial, string clipId, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryClipsAsync(c, "WHERE recorder_serial = $serial AND clip_id = $clip", cancellationToken, ("$serial", serial), ("$clip", clipId))
            .ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<IReadOnlyList<ClipRecord>> ListClipsAsync(string? serial, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return serial is null
            ? await QueryClipsAsync(c, "ORDER BY recorder_serial, clip_id", cancellationToken).ConfigureAwait(false)
            : await QueryClipsAsync(c, "WHERE recorder_serial = $serial ORDER BY clip_id", cancellationToken, ("$serial", serial)).ConfigureAwait(false);
    }

    /// <summary>Durable progress: the partial file is flushed to <paramref name="pulledBytes"/>.</summary>
    public Task SetPullingAsync(long id, long pulledBytes, CancellationToken cancellationToken) =>
        TransitionAsync(id, ClipState.Pulling, pulledBytes == 0 ? "pull started" : null, cancellationToken,
            "pulled_bytes = $pulled", ("$pulled", pulledBytes));

    /// <summary>In the vault under its final name; <paramref name="custodyIndex"/> is its "stored" custody entry.</summary>
    public Task SetStoredAsync(long id, string vaultPath, string sha256, long custodyIndex, CancellationToken cancellationToken) =>
        TransitionAsync(id, ClipState.Stored, $"stored at {vaultPath}, streamed sha256 {sha256}", cancellationToken,
            "vault_path = $path, stored_sha256 = $sha, pulled_bytes = size, last_error = NULL, custody_index = $idx",
            ("$path", vaultPath), ("$sha", sha256), ("$idx", custodyIndex));

    /// <summary>Verified, and queued for the cloud in the same transaction (the upload outbox): in the transaction of the clip's
    /// `queued` custody entry.</summary>
    internal async Task MarkVerifiedAndQueuedAsync(SqliteConnection c, SqliteTransaction tx, long id, Upload.UploadIntent upload)
    {
        var now = Now();
        int changed = await ExecAsync(c, tx, "UPDATE clips SET state = 'verified', updated_at = $now WHERE id = $id;", CancellationToken.None,
            ("$now", now), ("$id", id)).ConfigureAwait(false);
        if (changed != 1) throw new CatalogException($"Clip row {id} does not exist.");
        await AddEventAsync(c, tx, id, ClipState.Verified, "re-read from the vault; sha256 matches the recorder's", CancellationToken.None).ConfigureAwait(false);
        await ExecAsync(c, tx, """
            INSERT INTO uploads(clip_row, target, object_key, priority, state, next_attempt_at, queued_at, updated_at)
            VALUES ($clip, $target, $key, $priority, 'queued', $now, $now, $now) ON CONFLICT(clip_row) DO NOTHING;
            """, CancellationToken.None, ("$clip", id), ("$target", upload.Target), ("$key", upload.ObjectKey), ("$priority", upload.Priority),
            ("$now", now)).ConfigureAwait(false);
    }

    public Task SetVerifiedAsync(long id, CancellationToken cancellationToken) =>
        TransitionAsync(id, ClipState.Verified, "re-read from the vault; sha256 matches the recorder's", cancellationToken, null);

    /// <summary>The dock is asking the recorder to delete the clip: in the transaction of its release-requested custody entry.</summary>
    internal async Task MarkReleaseRequestedAsync(SqliteConnection c, SqliteTransaction tx, long id, long custodyIndex)
    {
        await ExecAsync(c, tx, "UPDATE clips SET release_requested_at = $now, release_requested_index = $idx, updated_at = $now WHERE id = $id;",
            CancellationToken.None, ("$now", Now()), ("$idx", custodyIndex), ("$id", id)).ConfigureAwait(false);
        await AddEventAsync(c, tx, id, ClipState.Verified, $"release requested (custody entry {custodyIndex})", CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The clip is gone from its recorder after the dock asked for that: in the transaction of its released custody entry.</summary>
    internal async Task SettleReleasedAsync(SqliteConnection c, SqliteTransaction tx, long id, string detail)
    {
        var now = Now();
        int changed = await ExecAsync(c, tx, "UPDATE clips SET state = 'released', left_recorder_at = $now, last_error = NULL, updated_at = $now WHERE id = $id;",
            CancellationToken.None, ("$now", now), ("$id", id)).ConfigureAwait(false);
        if (changed != 1) throw new CatalogException($"Clip row {id} does not exist.");
        await AddEventAsync(c, tx, id, ClipState.Released, detail, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The clip is gone from its recorder and the dock never allowed that: in the transaction of its missing custody entry.
    /// The state stays (what the vault holds has not changed).</summary>
    internal async Task SettleMissingAsync(SqliteConnection c, SqliteTransaction tx, long id, string detail)
    {
        var now = Now();
        var state = ClipStates.FromDb((string)(await ScalarAsync(c, tx, """
            UPDATE clips SET left_recorder_at = $now, last_error = $detail, updated_at = $now WHERE id = $id RETURNING state;
            """, CancellationToken.None, ("$now", now), ("$detail", detail), ("$id", id)).ConfigureAwait(false)
            ?? throw new CatalogException($"Clip row {id} does not exist.")));
        await AddEventAsync(c, tx, id, state, detail, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// The recorder lists a clip the dock had recorded as gone from it (it reported the deletion but kept the clip, or the
    /// clip came back): it is on the recorder after all. A Released clip goes back to Verified, so it is asked for again.
    /// </summary>
    public async Task<ClipRecord> RelistedAsync(long id, string detail, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var state = ClipStates.FromDb((string)(await ScalarAsync(c, tx, """
            UPDATE clips SET state = CASE state WHEN 'released' THEN 'verified' ELSE state END, left_recorder_at = NULL, last_error = $detail,
                             updated_at = $now WHERE id = $id RETURNING state;
            """, cancellationToken, ("$detail", detail), ("$now", Now()), ("$id", id)).ConfigureAwait(false)
            ?? throw new CatalogException($"Clip row {id} does not exist.")));
        await AddEventAsync(c, tx, id, state, detail, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryClipsAsync(c, "WHERE id = $id", cancellationToken, ("$id", id)).ConfigureAwait(false))[0];
    }

    /// <summary>The recorder acknowledged a release but keeps the clip (a policy on the camera): it stays Verified, and
    /// the next docking asks again.</summary>
    public async Task RecordReleaseKeptAsync(long id, string detail, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, tx, "UPDATE clips SET last_error = $detail, updated_at = $now WHERE id = $id;", cancellationToken,
            ("$detail", detail), ("$now", Now()), ("$id", id)).ConfigureAwait(false);
        await AddEventAsync(c, tx, id, ClipState.Verified, detail, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task SetManifestAsync(long id, long custodyIndex, string manifestPath, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE clips SET custody_index = $idx, manifest_path = $path, updated_at = $now WHERE id = $id;", cancellationToken,
            ("$idx", custodyIndex), ("$path", manifestPath), ("$now", Now()), ("$id", id)).ConfigureAwait(false);
    }

    public async Task RecordErrorAsync(long id, string error, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE clips SET last_error = $error, updated_at = $now WHERE id = $id;", cancellationToken,
            ("$error", error), ("$now", Now()), ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>
    /// A copy whose hash did not match: record where the bad copy now lies, then send the clip back
    /// to Announced for another pull, or leave it Quarantined after <paramref name="maxAttempts"/>.
    /// </summary>
    public async Task<ClipState> QuarantineAsync(long id, string badCopyPath, string badSha256, string reason, int maxAttempts,
        CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var now = Now();
        await ExecAsync(c, tx, "INSERT INTO quarantine(clip_row, path, sha256, reason, at) VALUES ($id, $path, $sha, $reason, $now);",
            cancellationToken, ("$id", id), ("$path", badCopyPath), ("$sha", badSha256), ("$reason", reason), ("$now", now)).ConfigureAwait(false);
        long attempts = (long)(await ScalarAsync(c, tx, "UPDATE clips SET attempts = attempts + 1 WHERE id = $id RETURNING attempts;",
            cancellationToken, ("$id", id)).ConfigureAwait(false))!;
        var next = attempts >= maxAttempts ? ClipState.Quarantined : ClipState.Announced;
        await ExecAsync(c, tx, """
            UPDATE clips SET state = $state, pulled_bytes = 0, vault_path = NULL, stored_sha256 = NULL,
                             last_error = $reason, updated_at = $now WHERE id = $id;
            """, cancellationToken, ("$state", next.ToDb()), ("$reason", reason), ("$now", now), ("$id", id)).ConfigureAwait(false);
        await AddEventAsync(c, tx, id, next, $"quarantined copy {badCopyPath}: {reason}", cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return next;
    }

    /// <summary>Keeps the recorder's record-time signature (hex) with the clip, as it came in CLIP_INFO.</summary>
    public async Task SetRecorderSignatureAsync(long id, string? signatureHex, CancellationToken cancellationToken, string? officerId = null)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE clips SET recorder_signature = $sig, officer_id = COALESCE($officer, officer_id) WHERE id = $id;", cancellationToken,
            ("$sig", signatureHex), ("$officer", officerId), ("$id", id)).ConfigureAwait(false);
    }

    /// <summary>
    /// A whole, hash-verified copy that must not be trusted yet: it lies in quarantine at
    /// <paramref name="heldCopyPath"/>, the clip is Quarantined with <paramref name="hold"/>, and the
    /// recorder keeps its footage.
    /// </summary>
    public async Task HoldAsync(long id, string heldCopyPath, string sha256, ClipHold hold, string reason, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var now = Now();
        await ExecAsync(c, tx, "INSERT INTO quarantine(clip_row, path, sha256, reason, at) VALUES ($id, $path, $sha, $reason, $now);",
            cancellationToken, ("$id", id), ("$path", heldCopyPath), ("$sha", sha256), ("$reason", reason), ("$now", now)).ConfigureAwait(false);
        await ExecAsync(c, tx, """
            UPDATE clips SET state = 'quarantined', hold = $hold, pulled_bytes = 0, vault_path = NULL, stored_sha256 = $sha,
                             last_error = $reason, updated_at = $now WHERE id = $id;
            """, cancellationToken, ("$hold", HoldToDb(hold)), ("$sha", sha256), ("$reason", reason), ("$now", now), ("$id", id)).ConfigureAwait(false);
        await AddEventAsync(c, tx, id, ClipState.Quarantined, $"held at {heldCopyPath}: {reason}", cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The recorder is trusted now (enrolled since): its held clips go back to Announced for a fresh pull.
    /// The held copies stay in quarantine; nothing is deleted.</summary>
    public async Task<int> UnholdUntrustedAsync(string serial, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var ids = new List<long>();
        await using (var command = Command(c, tx, "SELECT id FROM clips WHERE recorder_serial = $serial AND state = 'quarantined' AND hold = $hold;",
            ("$serial", serial), ("$hold", HoldToDb(ClipHold.UntrustedRecorder))))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) ids.Add(reader.GetInt64(0));
        foreach (var id in ids)
        {
            await ExecAsync(c, tx, "UPDATE clips SET state = 'announced', hold = NULL, stored_sha256 = NULL, last_error = NULL, updated_at = $now WHERE id = $id;",
                cancellationToken, ("$now", Now()), ("$id", id)).ConfigureAwait(false);
            await AddEventAsync(c, tx, id, ClipState.Announced, "recorder now enrolled: pulling again", cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return ids.Count;
    }

    private static string HoldToDb(ClipHold hold) => hold switch
    {
        ClipHold.UntrustedRecorder => "untrusted-recorder",
        _ => "bad-record-signature",
    };

    private static ClipHold? HoldFromDb(string value) => value switch
    {
        "untrusted-recorder" => ClipHold.UntrustedRecorder,
        "bad-record-signature" => ClipHold.BadRecordSignature,
        _ => null,
    };

    public async Task<IReadOnlyList<(DateTimeOffset At, ClipState State, string? Detail)>> ClipHistoryAsync(long id, CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT at, state, detail FROM clip_events WHERE clip_row = $id ORDER BY id;", ("$id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<(DateTimeOffset, ClipState, string?)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            events.Add((ParseTime(reader.GetString(0)), ClipStates.FromDb(reader.GetString(1)), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return events;
    }

    private async Task TransitionAsync(long id, ClipState state, string? detail, CancellationToken cancellationToken,
        string? extraSet, params (string, object?)[] extra)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var sql = $"UPDATE clips SET state = $state, updated_at = $now{(extraSet is null ? "" : ", " + extraSet)} WHERE id = $id;";
        int changed = await ExecAsync(c, tx, sql, cancellationToken,
            [("$state", state.ToDb()), ("$now", Now()), ("$id", id), .. extra]).ConfigureAwait(false);
        if (changed != 1) throw new CatalogException($"Clip row {id} does not exist.");
        if (detail is not null)
            await AddEventAsync(c, tx, id, state, detail, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task AddEventAsync(SqliteConnection c, SqliteTransaction tx, long id, ClipState state, string detail, CancellationToken cancellationToken) =>
        await ExecAsync(c, tx, "INSERT INTO clip_events(clip_row, at, state, detail) VALUES ($id, $now, $state, $detail);", cancellationToken,
            ("$id", id), ("$now", Now()), ("$state", state.ToDb()), ("$detail", detail)).ConfigureAwait(false);

    private static Task<List<ClipRecord>> QueryClipsAsync(SqliteConnection c, string where, CancellationToken cancellationToken,
        params (string, object?)[] parameters) => QueryClipsInAsync(c, null, where, cancellationToken, parameters);

    private static async Task<List<ClipRecord>> QueryClipsInAsync(SqliteConnection c, SqliteTransaction? tx, string where, CancellationToken cancellationToken,
        params (string, object?)[] parameters)
    {
        await using var command = Command(c, tx, $"SELECT {ClipColumns} FROM clips {where};", parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<ClipRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new ClipRecord(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                ParseTime(reader.GetString(5)), ParseTime(reader.GetString(6)), (ClipFlags)reader.GetInt32(7), reader.GetString(8),
                ClipStates.FromDb(reader.GetString(9)), reader.GetInt64(10), reader.GetInt32(11),
                reader.IsDBNull(12) ? null : reader.GetString(12), reader.IsDBNull(13) ? null : reader.GetString(13),
                reader.IsDBNull(14) ? null : reader.GetString(14), ParseTime(reader.GetString(15)),
                reader.IsDBNull(16) ? null : reader.GetInt64(16), reader.IsDBNull(17) ? null : reader.GetString(17),
                reader.IsDBNull(18) ? null : reader.GetString(18), reader.IsDBNull(19) ? null : HoldFromDb(reader.GetString(19)),
                reader.IsDBNull(20) ? null : ParseTime(reader.GetString(20)), reader.IsDBNull(21) ? null : reader.GetInt64(21),
                reader.IsDBNull(22) ? null : ParseTime(reader.GetString(22))));
        }
        return rows;
    }
}
