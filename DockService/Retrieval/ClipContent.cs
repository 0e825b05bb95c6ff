using Dock.Service.Catalog;
using Dock.Service.Upload;
using Dock.Service.Vault;

namespace Dock.Service.Retrieval;

/// <summary>A clip's bytes could not be read from anywhere the dock keeps them.</summary>
public sealed class ClipContentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Where a retrieval reads a clip's bytes: the vault copy while the dock holds one, the verified cloud copy once the vault copy was
/// purged (Retention/VaultPurge). Playback (ranges), downloads and case exports all read through here, so each reads the same copy
/// the same way.
/// </summary>
public sealed class ClipContent(ClipVault vault, UploadStore uploads, ICloudTarget? cloud)
{
    public ClipVault Vault => vault;

    /// <summary>Opens [offset, offset + length) of the clip; <c>Where</c> says which copy ("vault" or the cloud object's key).</summary>
    public async Task<(Stream Stream, string Where)> OpenAsync(ClipRecord clip, long offset, long length, CancellationToken cancellationToken)
    {
        if (offset < 0 || length < 0 || offset + length > clip.Size)
            throw new ArgumentOutOfRangeException(nameof(length), $"[{offset}, {offset + length}) is outside the clip's {clip.Size} bytes.");
        if (clip.InVault && File.Exists(vault.Resolve(clip.VaultPath!)))
            return (vault.OpenRead(vault.Resolve(clip.VaultPath!), offset, length), "vault");
        if (clip.PurgedAt is null)
            throw new ClipContentException($"{clip.RecorderSerial}/{clip.ClipId} has no proven copy to read: it is {clip.State.ToDb()}, and its vault copy is missing.");
        var upload = await uploads.GetUploadForClipAsync(clip.Id, cancellationToken).ConfigureAwait(false);
        if (cloud is null || upload is null)
            throw new ClipContentException($"{clip.RecorderSerial}/{clip.ClipId}: its vault copy was purged at {clip.PurgedAt:u} and this dock has no cloud " +
                "target configured to read the cloud copy from (Dock:Cloud:Target).");
        try
        {
            return (await cloud.OpenReadAsync(upload.ObjectKey, offset, length, cancellationToken).ConfigureAwait(false), upload.ObjectKey);
        }
        catch (CloudException ex)
        {
            throw new ClipContentException($"{clip.RecorderSerial}/{clip.ClipId}: its vault copy was purged and the cloud copy {upload.ObjectKey} cannot be read: {ex.Message}", ex);
        }
    }
}
