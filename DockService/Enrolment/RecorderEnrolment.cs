using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service.Custody;

namespace Dock.Service.Enrolment;

/// <summary>What the dock concluded about a docked recorder's identity.</summary>
/// <param name="Trusted">The key it proved in the handshake is its enrolled, unrevoked key.</param>
/// <param name="Reason">Why not, in words a person can act on; null when trusted.</param>
public sealed record RecorderTrust(bool Trusted, string? Reason)
{
    public static readonly RecorderTrust Enrolled = new(true, null);
}

/// <summary>
/// The enrolment list: which recorder keys this dock trusts (issue 3, R3). Every change (enrol,
/// replace, revoke) is a custody event, so an auditor can see which key was trusted when.
/// A recorder that is not enrolled is never trusted for its identity: its footage is held in
/// quarantine and it is never told to delete anything.
/// </summary>
public sealed class RecorderEnrolment(RecorderStore recorders, CustodyLog log)
{
    /// <summary>Enrols a key; returns false if exactly that key was already enrolled (nothing recorded).</summary>
    /// <remarks>An empty key enrols a keyless (mass-storage) recorder: its serial is trusted as claimed, which
    /// custody records say; it can be revoked and replaced like a key.</remarks>
    public async Task<bool> EnrolAsync(string serial, byte[] publicKey, string source, string actor, bool replace, CancellationToken cancellationToken)
    {
        if (publicKey.Length is not (0 or 32)) throw new EnrolmentException($"Recorder {serial}: an Ed25519 public key is 32 bytes, not {publicKey.Length}.");
        var (key, added, replaced) = await recorders.EnrolRecorderKeyAsync(serial, publicKey, source, replace, cancellationToken).ConfigureAwait(false);
        if (!added) return false;
        if (replaced is not null)
            await RecordAsync(CustodyEventKind.RecorderRevoked, serial, actor, $"key {replaced.Fingerprint} revoked: {replaced.RevokeReason}", cancellationToken)
                .ConfigureAwait(false);
        await RecordAsync(CustodyEventKind.RecorderEnrolled, serial, actor, key.IsKeyless
            ? $"keyless (mass-storage) recorder enrolled from {source}: its serial is trusted as claimed, it cannot prove it"
            : $"key {key.Fingerprint} ({Convert.ToHexStringLower(publicKey)}) enrolled from {source}", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Revokes the recorder's active key; false if it had none.</summary>
    public async Task<bool> RevokeAsync(string serial, string reason, string actor, CancellationToken cancellationToken)
    {
        var revoked = await recorders.RevokeRecorderKeyAsync(serial, reason, cancellationToken).ConfigureAwait(false);
        if (revoked is null) return false;
        await RecordAsync(CustodyEventKind.RecorderRevoked, serial, actor, $"key {revoked.Fingerprint} revoked: {reason}", cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    /// <summary>Compares the key a recorder proved in the handshake (none: a mass-storage recorder) with the enrolment list.</summary>
    public async Task<RecorderTrust> EvaluateAsync(string serial, byte[] provedKey, CancellationToken cancellationToken)
    {
        var active = await recorders.ActiveRecorderKeyAsync(serial, cancellationToken).ConfigureAwait(false);
        if (active is not null && active.PublicKey.AsSpan().SequenceEqual(provedKey)) return RecorderTrust.Enrolled;
        if (provedKey.Length == 0)
            return active is not null
                ? new(false, $"recorder {serial} docked as a mass-storage recorder, which proves no key, but its enrolled key is {active.Fingerprint}: " +
                    "a counterfeit claiming its serial, or a recorder switched to mass-storage mode; it is not trusted")
                : await recorders.RevokedRecorderKeyAsync(serial, provedKey, cancellationToken).ConfigureAwait(false) is { } revokedKeyless
                    ? new(false, $"keyless recorder {serial} was revoked on {revokedKeyless.RevokedAt:u} ({revokedKeyless.RevokeReason})")
                    : new(false, $"mass-storage recorder {serial} is not enrolled on this dock; if it is ours, enrol it with " +
                        $"`dock recorders enroll --serial {serial} --keyless`");
        var fingerprint = Ed25519Key.Fingerprint(provedKey);
        if (await recorders.RevokedRecorderKeyAsync(serial, provedKey, cancellationToken).ConfigureAwait(false) is { } revoked)
            return new(false, $"recorder {serial} proved key {fingerprint}, which was revoked on {revoked.RevokedAt:u} ({revoked.RevokeReason})");
        if (active is not null)
            return new(false, $"recorder {serial} proved key {fingerprint}, but its enrolled key is {active.Fingerprint}: " +
                "a re-keyed or cloned recorder; if it was re-keyed, enrol the new key with --replace");
        return new(false, $"recorder {serial} (key {fingerprint}) is not enrolled on this dock; enrol it with `dock recorders enroll`");
    }

    private Task<CustodyEvent> RecordAsync(CustodyEventKind kind, string serial, string actor, string detail, CancellationToken cancellationToken) =>
        log.AppendAsync((index, at) => new CustodyEvent(index, kind, at, log.DockId, actor, serial, Detail: detail), cancellationToken);
}
