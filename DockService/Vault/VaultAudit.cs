using Dock.Service.Catalog;

namespace Dock.Service.Vault;

/// <summary>
/// At start: clip files in the vault that the catalog has no record of. They appear when the catalog lost changes (a
/// restored backup, a lost write-ahead log) or when someone put files there by hand. Nothing deletes them; they are
/// listed in an alert (and the log), so a person sees them, and `dock log recover` or their recorder's next docking
/// adopts those the custody log speaks for.
/// </summary>
public static class VaultAudit
{
    public sealed record Finding(int Files, IReadOnlyList<string> Examples);

    public static async Task<Finding> FindUnknownAsync(ClipVault vault, CatalogStores catalog, CancellationToken cancellationToken)
    {
        var known = await catalog.Clips.ClipKeysAsync(cancellationToken).ConfigureAwait(false);
        var unknown = new List<string>();
        var clips = Path.Combine(vault.Root, "clips");
        if (!Directory.Exists(clips)) return new Finding(0, []);
        foreach (var serialDir in Directory.EnumerateDirectories(clips))
        {
            // clips/ holds recorders' bytes only (the dock's manifests are under manifests/): every file is a clip or unknown.
            var serial = SafeName.Decode(Path.GetFileName(serialDir));
            foreach (var file in Directory.EnumerateFiles(serialDir))
            {
                var clipId = SafeName.Decode(Path.GetFileName(file));
                if (serial is null || clipId is null || !known.Contains((serial, clipId)))
                    unknown.Add(Path.GetRelativePath(vault.DataDirectory, file).Replace('\\', '/'));
            }
        }
        unknown.Sort(StringComparer.Ordinal);
        return new Finding(unknown.Count, unknown);
    }

    /// <summary>Raises (or resolves) the "unknown-vault-file" alert for what <see cref="FindUnknownAsync"/> found.</summary>
    public static async Task<Finding> AlertAsync(ClipVault vault, CatalogStores catalog, CancellationToken cancellationToken)
    {
        var finding = await FindUnknownAsync(vault, catalog, cancellationToken).ConfigureAwait(false);
        if (finding.Files == 0)
        {
            await catalog.Alerts.ResolveAlertKindAsync("unknown-vault-file", "every clip file in the vault is in the catalog", cancellationToken).ConfigureAwait(false);
            return finding;
        }
        var examples = string.Join(", ", finding.Examples.Take(10)) + (finding.Files > 10 ? $", … ({finding.Files - 10} more)" : "");
        await catalog.Alerts.RaiseAlertAsync("unknown-vault-file", null, null,
            $"{finding.Files} clip file(s) in the vault have no record in the catalog: {examples}. The catalog lost changes (a restored backup, " +
            "a lost write-ahead log) or files were put there by hand. Nothing deletes them; `dock log recover` or their recorder's next docking adopts " +
            "those the custody log speaks for, and `dock verify FILE` checks any of them.", cancellationToken).ConfigureAwait(false);
        return finding;
    }
}
