using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Vault;

namespace Dock.Service.Exports;

/// <summary>An export that cannot be made, in words the person who asked can act on.</summary>
public sealed class ExportException(string message, bool forbidden = false, bool notFound = false) : Exception(message)
{
    /// <summary>Refused because the person may not retrieve what they asked for (HTTP 403), not because it cannot be done.</summary>
    public bool Forbidden { get; } = forbidden;

    /// <summary>What was named does not exist: no clip carries the case number (HTTP 404).</summary>
    public bool NotFound { get; } = notFound;
}

/// <summary>What an export produced: the copy, its SHA-256 and the custody entry that records the retrieval.</summary>
public sealed record ClipExport(ClipRecord Clip, string Copy, string Sha256, CustodyEvent Entry);

/// <summary>
/// A retrieval of a proven copy (R5): the clip with its signed manifest, copied to a folder, re-hashed there, and an `exported`
/// custody entry naming who asked and why, followed by a checkpoint. The CLI (`dock clips export`) and, later, the console call it.
/// </summary>
public sealed class ClipExports(ClipStore clips, CustodyLog log, ClipVault vault)
{
    public async Task<ClipExport> ExportAsync(string serial, string clipId, string targetFolder, string reason, string actor, CancellationToken cancellationToken)
    {
        var row = await clips.FindClipAsync(serial, clipId, cancellationToken).ConfigureAwait(false)
            ?? throw new ExportException($"no clip {clipId} of recorder {serial} in the catalog (see `dock status`).");
        if (row.PurgedAt is { } purged)
            throw new ExportException($"{row.RecorderSerial}/{row.ClipId}: its vault copy was purged at {purged:u} (custody entry {row.PurgedIndex}) once " +
                "its cloud copy was verified; the cloud copy and its manifest there hold it.");
        if (row.State is not (ClipState.Verified or ClipState.Released) || row.VaultPath is null || row.ManifestPath is null)
            throw new ExportException($"{row.RecorderSerial}/{row.ClipId} is {row.State.ToDb()}, not verified in the vault: there is no proven copy to export.");
        var target = Path.GetFullPath(targetFolder);
        Directory.CreateDirectory(target);
        var source = vault.Resolve(row.VaultPath);
        var manifest = vault.Resolve(row.ManifestPath);
        // The recorder chose the name: written as on the vault's disk, so a device name or a trailing dot cannot misdirect it.
        var copy = Path.Combine(target, SafeName.Encode(row.ClipId));
        foreach (var to in new[] { copy, copy + ".manifest.json", copy + ".manifest.json.sig" })
            if (File.Exists(to)) throw new ExportException($"{to} already exists; export into another folder.");
        // The clip as the recorder made it: decrypted on the way out when the vault copy is encrypted.
        await using (var from = vault.OpenRead(source))
        await using (var to = new FileStream(copy, FileMode.CreateNew, FileAccess.Write))
            await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
        File.Copy(manifest, copy + ".manifest.json");
        File.Copy(manifest + ".sig", copy + ".manifest.json.sig");
        var sha = Sha256.ToHex(await Sha256.HashFileAsync(copy, cancellationToken: cancellationToken).ConfigureAwait(false));
        if (sha != row.DeviceSha256)
            throw new ExportException($"the copy at {copy} hashes to {sha}, not the recorded {row.DeviceSha256}: the vault copy or the target disk is damaged. Do not use it.");
        var entry = await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Exported, at, log.DockId, actor,
            row.RecorderSerial, row.ClipId, sha, row.Size, Detail: $"copied to {target}: {reason}"), cancellationToken).ConfigureAwait(false);
        await log.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        return new ClipExport(row, copy, sha, entry);
    }
}
