using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Catalog;

/// <summary>The recorders the dock has met (model, firmware, officer, the key each proved) and the enrolment list: the recorder keys
/// the dock trusts, with every enrolment and revocation kept.</summary>
public sealed class RecorderStore(CatalogDatabase db)
{
    public async Task UpsertRecorderAsync(Info info, byte[] publicKey, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            INSERT INTO recorders(serial, model, firmware, officer_id, key_fingerprint, public_key, first_seen, last_seen)
            VALUES ($serial, $model, $firmware, $officer, $fp, $key, $now, $now)
            ON CONFLICT(serial) DO UPDATE SET model = excluded.model, firmware = excluded.firmware,
                officer_id = excluded.officer_id, key_fingerprint = excluded.key_fingerprint,
                public_key = excluded.public_key, last_seen = excluded.last_seen;
            """, cancellationToken, ("$serial", info.Serial), ("$model", info.Model), ("$firmware", info.Firmware),
            ("$officer", info.OfficerId), ("$fp", publicKey.Length == 0 ? RecorderKeyRecord.Keyless : Ed25519Key.Fingerprint(publicKey)), ("$key", publicKey), ("$now", db.Now()))
            .ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<RecorderRecord>> ListRecordersAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT serial, model, firmware, officer_id, key_fingerprint, first_seen, last_seen FROM recorders ORDER BY serial;", reader => new RecorderRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), ParseTime(reader.GetString(5)), ParseTime(reader.GetString(6))),
            cancellationToken).ConfigureAwait(false);
    }

    private const string KeyColumns = "id, serial, public_key, fingerprint, enrolled_at, source, revoked_at, revoke_reason";

    /// <summary>
    /// Enrols <paramref name="publicKey"/> for <paramref name="serial"/>. The same key again changes
    /// nothing (<c>Added</c> false). Another key while one is active is refused unless
    /// <paramref name="replace"/>, which revokes the old key in the same transaction (a rotation).
    /// </summary>
    public async Task<(RecorderKeyRecord Key, bool Added, RecorderKeyRecord? Replaced)> EnrolRecorderKeyAsync(string serial, byte[] publicKey,
        string source, bool replace, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var active = await ActiveKeyAsync(c, tx, serial, cancellationToken).ConfigureAwait(false);
        if (active is not null && active.PublicKey.AsSpan().SequenceEqual(publicKey))
            return (active, false, null);
        var fingerprint = publicKey.Length == 0 ? RecorderKeyRecord.Keyless : Ed25519Key.Fingerprint(publicKey);
        if (await RevokedKeyAsync(c, tx, serial, publicKey, cancellationToken).ConfigureAwait(false) is { } revoked)
            throw new EnrolmentException($"Key {fingerprint} of recorder {serial} was revoked on {revoked.RevokedAt:u} ({revoked.RevokeReason}); " +
                "a revoked key is never enrolled again. Re-key the recorder.");
        if (active is not null && !replace)
            throw new EnrolmentException($"Recorder {serial} already has enrolled key {active.Fingerprint}; the new key is {fingerprint}. " +
                "If the recorder was re-keyed, enrol again with --replace (the old key is revoked and that is recorded).");
        var now = db.Now();
        if (active is not null)
            await ExecAsync(c, tx, "UPDATE recorder_keys SET revoked_at = $now, revoke_reason = $why WHERE id = $id;", cancellationToken,
                ("$now", now), ("$why", $"replaced by {fingerprint}"), ("$id", active.Id)).ConfigureAwait(false);
        await ExecAsync(c, tx, """
            INSERT INTO recorder_keys(serial, public_key, fingerprint, enrolled_at, source) VALUES ($serial, $key, $fp, $now, $source);
            """, cancellationToken, ("$serial", serial), ("$key", publicKey), ("$fp", fingerprint), ("$now", now), ("$source", source)).ConfigureAwait(false);
        var added = (await ActiveKeyAsync(c, tx, serial, cancellationToken).ConfigureAwait(false))!;
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return (added, true, active is null ? null : active with { RevokedAt = ParseTime(now), RevokeReason = $"replaced by {fingerprint}" });
    }

    /// <summary>Revokes the active key of <paramref name="serial"/>; null if it has none.</summary>
    public async Task<RecorderKeyRecord?> RevokeRecorderKeyAsync(string serial, string reason, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var active = await ActiveKeyAsync(c, tx, serial, cancellationToken).ConfigureAwait(false);
        if (active is null) return null;
        var now = db.Now();
        await ExecAsync(c, tx, "UPDATE recorder_keys SET revoked_at = $now, revoke_reason = $why WHERE id = $id;", cancellationToken,
            ("$now", now), ("$why", reason), ("$id", active.Id)).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return active with { RevokedAt = ParseTime(now), RevokeReason = reason };
    }

    public async Task<RecorderKeyRecord?> ActiveRecorderKeyAsync(string serial, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ActiveKeyAsync(c, null, serial, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RecorderKeyRecord?> RevokedRecorderKeyAsync(string serial, byte[] publicKey, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await RevokedKeyAsync(c, null, serial, publicKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every key ever enrolled, revoked ones included, oldest first.</summary>
    public async Task<IReadOnlyList<RecorderKeyRecord>> ListRecorderKeysAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryKeysAsync(c, null, "ORDER BY serial, id", cancellationToken).ConfigureAwait(false);
    }

    private static async Task<RecorderKeyRecord?> ActiveKeyAsync(SqliteConnection c, SqliteTransaction? tx, string serial, CancellationToken cancellationToken) =>
        (await QueryKeysAsync(c, tx, "WHERE serial = $serial AND revoked_at IS NULL", cancellationToken, ("$serial", serial)).ConfigureAwait(false))
        .FirstOrDefault();

    private static async Task<RecorderKeyRecord?> RevokedKeyAsync(SqliteConnection c, SqliteTransaction? tx, string serial, byte[] key,
        CancellationToken cancellationToken) =>
        (await QueryKeysAsync(c, tx, "WHERE serial = $serial AND public_key = $key AND revoked_at IS NOT NULL ORDER BY id", cancellationToken,
            ("$serial", serial), ("$key", key)).ConfigureAwait(false)).FirstOrDefault();

    private static async Task<List<RecorderKeyRecord>> QueryKeysAsync(SqliteConnection c, SqliteTransaction? tx, string where,
        CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        return await QueryAsync(c, tx, $"SELECT {KeyColumns} FROM recorder_keys {where};", reader => new RecorderKeyRecord(reader.GetInt64(0), reader.GetString(1), (byte[])reader.GetValue(2), reader.GetString(3),
                ParseTime(reader.GetString(4)), reader.GetString(5), reader.IsDBNull(6) ? null : ParseTime(reader.GetString(6)),
                reader.IsDBNull(7) ? null : reader.GetString(7)),
            cancellationToken, parameters).ConfigureAwait(false);
    }
}
