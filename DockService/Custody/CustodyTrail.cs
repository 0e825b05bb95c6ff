using Dock.Evidence;
using System.Text;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.Service.Catalog;
using Dock.Service.Enrolment;
using Dock.Service.Identity;
using Dock.Service.Vault;

namespace Dock.Service.Custody;

/// <summary>What a docking knows that custody records need: the recorder, its key, whether that key is
/// enrolled, whether it signs clips, and its clock offset. <paramref name="HashSource"/> names what the pulled bytes'
/// SHA-256 is compared with, in custody records' words.</summary>
public sealed record DockingContext(string BayId, string RecorderModel, string RecorderFirmware, byte[] RecorderKey, TimeSpan ClockOffset,
    RecorderTrust Trust, bool SignsClips, string HashSource = "the recorder's record-time sha256", bool SignsV11 = false, bool SignsV15 = false);

/// <summary>
/// The ingest pipeline's door to the custody log: records each step of a clip as an event, and writes
/// the signed manifest once the clip is verified (before any release).
/// </summary>
public sealed class CustodyTrail(CustodyLog log, DockIdentity identity, ClipVault vault, ClipStore clips)
{
    public CustodyLog Log => log;

    /// <summary>Appends the event for <paramref name="clip"/>; <paramref name="alongside"/> is a catalog change committed with it.</summary>
    public Task<CustodyEvent> RecordAsync(CustodyEventKind kind, ClipRecord clip, DockingContext context, string sha256, string detail,
        CancellationToken cancellationToken, CustodyLog.CatalogChange? alongside = null) =>
        log.AppendAsync((index, at) => new CustodyEvent(index, kind, at, log.DockId, log.DockId, clip.RecorderSerial, clip.ClipId,
            sha256.Length == 0 ? null : sha256, clip.Size, (long)context.ClockOffset.TotalMilliseconds, detail), cancellationToken, alongside);

    /// <summary>Appends several events for <paramref name="clip"/>, in order, in one commit.</summary>
    public Task<IReadOnlyList<CustodyEvent>> RecordAllAsync(ClipRecord clip, DockingContext context, string sha256,
        IReadOnlyList<(CustodyEventKind Kind, string Detail)> events, CancellationToken cancellationToken) =>
        log.AppendAllAsync([.. events.Select(e => (Func<long, DateTimeOffset, CustodyEvent>)((index, at) => new CustodyEvent(index, e.Kind, at, log.DockId,
            log.DockId, clip.RecorderSerial, clip.ClipId, sha256.Length == 0 ? null : sha256, clip.Size, (long)context.ClockOffset.TotalMilliseconds,
            e.Detail)))], cancellationToken);

    /// <summary>Checkpoints the log, then writes the clip's manifest and its ".sig" under vault/manifests/; returns the manifest's relative path.</summary>
    public async Task<string> WriteManifestAsync(ClipRecord clip, DockingContext context, CustodyEvent stored, CancellationToken cancellationToken)
    {
        var (checkpoint, note) = await log.CheckpointAsync(cancellationToken);
        var proof = log.InclusionProof(stored.Index, checkpoint.Size);
        var manifest = new ClipManifest(
            ClipManifest.FormatV1,
            new ManifestClip(clip.RecorderSerial, clip.ClipId, clip.Size, clip.DeviceSha256, (int)clip.Flags, clip.DeviceStart, clip.DeviceEnd),
            new ManifestRecorder(clip.RecorderSerial, context.RecorderModel, context.RecorderFirmware, Convert.ToHexStringLower(context.RecorderKey),
                string.IsNullOrEmpty(clip.RecorderSignature) ? null : clip.RecorderSignature,
                string.IsNullOrEmpty(clip.RecorderSignature) || !context.SignsV11 ? null
                    : context.SignsV15 ? ManifestRecorder.SignatureV15 : ManifestRecorder.SignatureV11)
            {
                ConfigVersion = context.SignsV15 ? clip.ConfigVersion : null,
                ConfigSha256 = context.SignsV15 ? clip.ConfigSha256 : null,
            },
            clip.OfficerId,
            new ManifestTimes(clip.DeviceStart, clip.DeviceEnd, stored.At, (long)context.ClockOffset.TotalMilliseconds),
            new ManifestDock(identity.DockId, Convert.ToHexStringLower(identity.PublicKey.Span)),
            new ManifestCustody(stored.Index, Encoding.UTF8.GetString(stored.ToBytes()), [.. proof.Select(Convert.ToHexStringLower)], note));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ClipManifest.TypeInfo);
        var relative = ClipVault.RelativeManifestPath(clip.RecorderSerial, clip.ClipId);
        vault.WriteDurably(relative, bytes);
        vault.WriteDurably(relative + ".sig", identity.SigningKey.Sign(bytes));
        await clips.SetManifestAsync(clip.Id, stored.Index, relative, cancellationToken);
        return relative;
    }
}
