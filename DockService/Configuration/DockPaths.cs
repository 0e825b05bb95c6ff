namespace Dock.Service.Configuration;

/// <summary>Where a dock keeps things, all under its data directory unless configured absolute.</summary>
public sealed record DockPaths(string DataDirectory, string Catalog, string KeyFile, string EndorsementFile, string? PassphraseFile = null)
{
    public static DockPaths From(DockOptions options)
    {
        var data = Path.GetFullPath(options.DataDirectory);
        return new DockPaths(data, Path.Combine(data, "catalog.db"),
            Path.Combine(data, options.Identity.KeyFile), Path.Combine(data, options.Identity.EndorsementFile),
            options.Identity.PassphraseFile is { Length: > 0 } file ? Path.Combine(data, file) : null);
    }
}
