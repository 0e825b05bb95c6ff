using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Identity;
using Microsoft.Extensions.Configuration;

namespace Dock.Service.Hosting;

/// <summary>
/// A dock's data folder opened by a command-line tool (beside or instead of the running service):
/// the catalog, the dock key and the custody log. Writers share the catalog safely (SQLite
/// transactions; the custody log catches up with entries other processes appended).
/// </summary>
public sealed class DataFolder : IDisposable
{
    private DataFolder(DockPaths paths, CatalogStores catalog, Ed25519Key key, string dockId, CustodyLog log)
    {
        Paths = paths;
        Catalog = catalog;
        Key = key;
        DockId = dockId;
        Log = log;
    }

    public DockPaths Paths { get; }
    public CatalogStores Catalog { get; }
    public Ed25519Key Key { get; }
    public string DockId { get; }
    public CustodyLog Log { get; }

    /// <summary>The person or tool acting, recorded as the custody "actor": user@host.</summary>
    public static string Actor => $"{Environment.UserName}@{Environment.MachineName}";

    /// <summary>The dock's settings as `dock run` reads them, without its command line: appsettings.json beside the binary, then the
    /// environment (e.g. Dock__Metadata__Location). One-shot commands that apply a policy (the tag categories) use the same one.</summary>
    public static DockOptions Options()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
        return configuration.GetSection("Dock").Get<DockOptions>() ?? new DockOptions();
    }

    public static DockPaths PathsFor(string? data) =>
        DockPaths.From(new DockOptions { DataDirectory = data ?? new DockOptions().DataDirectory });

    /// <summary>Opens an existing data folder; <paramref name="data"/> must hold a dock key (and a catalog,
    /// unless <paramref name="createCatalog"/>: a dock being set up before its first start).</summary>
    public static async Task<DataFolder> OpenAsync(string? data, CancellationToken cancellationToken, bool createCatalog = false)
    {
        var paths = PathsFor(data);
        if (!createCatalog && !File.Exists(paths.Catalog))
            throw new StorageException($"No catalog at {paths.Catalog}: pass --data with a dock's data folder (or start the dock once).");
        // A dock being set up (createCatalog: enrolling its recorders before its first start) gets its key now, as its first start would.
        var key = DockKey.Load(paths, create: createCatalog);
        try
        {
            // The dock id the service uses is the endorsed one; an unendorsed dock uses its default id.
            var dockId = DockEndorsement.PeekDockId(paths.EndorsementFile) ?? DockIdentity.DockIdFor(paths, key.PublicKey);
            var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken);
            var log = await CustodyLog.OpenAsync(catalog.Database, CustodyJournal.For(paths), key, dockId, DockKey.OwnPublicKeys(paths, key.PublicKey),
                TimeProvider.System, cancellationToken);
            return new DataFolder(paths, catalog, key, dockId, log);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>The vault, able to read encrypted clips (their data keys open with this dock's key, or Dock:Vault:KeyFile).</summary>
    public Vault.ClipVault Vault(DockOptions? options = null) =>
        Service.Vault.Encryption.VaultEncryption.Configure(new Vault.ClipVault(Paths.DataDirectory), (options ?? Options()).Vault, m => Key.Sign(m));

    /// <summary>The retrieval owner (audit rows, alerts) for a command-line tool; its log lines go nowhere (the custody log and the audit keep it all).</summary>
    public Retrieval.Retrievals Retrievals(DockOptions? options = null)
    {
        options ??= Options();
        return new Retrieval.Retrievals(Catalog.Database, Log, new Retrieval.ClipSensitivity(Catalog.Database, Log, Vault(options)),
            new Retention.HoldStore(Catalog.Database), Catalog.Alerts, options.Retrieval, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    public void Dispose() => Key.Dispose();
}
