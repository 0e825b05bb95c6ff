namespace Dock.Service.Catalog;

/// <summary>
/// The stores of one catalog file, opened together: what a tool, a test or a one-shot CLI command takes when it needs several.
/// The running dock registers each store on its own (AddDock), and each part asks only for the stores it uses.
/// </summary>
public sealed class CatalogStores
{
    private CatalogStores(CatalogDatabase database)
    {
        Database = database;
        Clips = new ClipStore(database);
        Lifecycle = new ClipLifecycle(database);
        Uploads = new UploadStore(database);
        Recorders = new RecorderStore(database);
        Docking = new DockingStore(database);
        Alerts = new AlertStore(database);
    }

    public CatalogDatabase Database { get; }
    public ClipStore Clips { get; }
    public ClipLifecycle Lifecycle { get; }
    public UploadStore Uploads { get; }
    public RecorderStore Recorders { get; }
    public DockingStore Docking { get; }
    public AlertStore Alerts { get; }

    public string Path => Database.Path;

    public static CatalogStores From(CatalogDatabase database) => new(database);

    /// <inheritdoc cref="CatalogDatabase.OpenAsync"/>
    public static async Task<CatalogStores> OpenAsync(string path, TimeProvider time, CancellationToken cancellationToken, bool check = false) =>
        new(await CatalogDatabase.OpenAsync(path, time, cancellationToken, check).ConfigureAwait(false));
}
