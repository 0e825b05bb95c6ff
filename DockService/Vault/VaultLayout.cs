using Dock.Service.Catalog;

namespace Dock.Service.Vault;

/// <summary>
/// Brings a vault written before layout 2 (manifests beside their clips, names as the recorder gave them) to the layout of
/// <see cref="ClipVault"/>: clip files under clips/ through <see cref="SafeName"/>, manifests and signatures under manifests/.
/// </summary>
/// <remarks>
/// The catalog says which file is which: in an old vault "X.manifest.json" may be X's manifest or a clip a recorder named
/// so, and only the rows tell them apart. Each file is renamed, then its row updated, one clip at a time; a crash between
/// the two is finished at the next start (the file is already at its new name). Files no row names stay where they are,
/// and the vault audit lists them. "vault/LAYOUT" records that the move is done, so later starts skip the scan.
/// </remarks>
public static class VaultLayout
{
    public const int Current = 2;

    public sealed record Report(int Clips, int Manifests);

    public static async Task<Report> MigrateAsync(ClipVault vault, ClipStore store, CancellationToken cancellationToken)
    {
        var marker = Path.Combine(vault.Root, "LAYOUT");
        if (File.Exists(marker) && (await File.ReadAllTextAsync(marker, cancellationToken).ConfigureAwait(false)).Trim() == Current.ToString(System.Globalization.CultureInfo.InvariantCulture))
            return new Report(0, 0);
        int clips = 0, manifests = 0;
        foreach (var row in await store.ListClipsAsync(null, cancellationToken).ConfigureAwait(false))
        {
            string? vaultPath = row.VaultPath, manifestPath = row.ManifestPath;
            if (vaultPath is not null && Move(vault, vaultPath, ClipVault.RelativeFinalPath(row.RecorderSerial, row.ClipId)) is { } movedClip)
            {
                vaultPath = movedClip;
                clips++;
            }
            if (manifestPath is not null && Move(vault, manifestPath, ClipVault.RelativeManifestPath(row.RecorderSerial, row.ClipId)) is { } movedManifest)
            {
                Move(vault, manifestPath + ClipVault.SignatureSuffix, movedManifest + ClipVault.SignatureSuffix);
                manifestPath = movedManifest;
                manifests++;
            }
            if (vaultPath != row.VaultPath || manifestPath != row.ManifestPath)
                await store.SetVaultPathsAsync(row.Id, vaultPath, manifestPath, cancellationToken).ConfigureAwait(false);
        }
        ClipVault.FsyncDirectory(vault.Root);
        await File.WriteAllTextAsync(marker, Current.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", cancellationToken).ConfigureAwait(false);
        return new Report(clips, manifests);
    }

    /// <summary>Renames a file to its layout-2 name; returns the new relative path, or null when there is nothing to do.</summary>
    private static string? Move(ClipVault vault, string from, string to)
    {
        if (from == to) return null;
        var source = vault.Resolve(from);
        var target = vault.Resolve(to);
        if (File.Exists(target)) return to; // Moved before a crash; the row was not updated yet.
        if (!File.Exists(source)) return null;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(source, target, overwrite: false);
        ClipVault.FsyncDirectory(Path.GetDirectoryName(target)!);
        return to;
    }
}
