using Dock.DeviceProtocol.Session;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Enrolment;
using Dock.Service.Hosting;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Service.Vault;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dock.Service.Bays;

/// <summary>
/// The dock's main hosted service: opens the catalog, vault and identity at start (so a broken
/// set-up fails start-up with a clear message), then runs every bay in parallel.
/// </summary>
public sealed partial class BayMonitor(IOptions<DockOptions> options, DockActivity activity, ServiceHealth health, ILoggerFactory loggers,
    TimeProvider time) : BackgroundService
{
    private readonly DockOptions _options = options.Value;
    private readonly ILogger _logger = loggers.CreateLogger<BayMonitor>();
    private ClipCatalog? _catalog;
    private ClipVault? _vault;
    private DockIdentity? _identity;
    private PullScheduler? _scheduler;
    private CustodyTrail? _custody;
    private RecorderEnrolment? _enrolment;
    private ICloudTarget? _cloud;
    private CloudTargetUri? _cloudUri;
    private Discovery.UeventMonitor? _uevents;
    private RunLock? _runLock;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var paths = DockPaths.From(_options);
        // One dock per data folder: a second one would pull and upload everything twice beside the first.
        _runLock = RunLock.Acquire(paths, "dock run");
        _catalog = await ClipCatalog.OpenAsync(paths.Catalog, time, cancellationToken, check: true).ConfigureAwait(false);
        _vault = new ClipVault(paths.DataDirectory);
        var moved = await VaultLayout.MigrateAsync(_vault, _catalog, cancellationToken).ConfigureAwait(false);
        if (moved.Clips + moved.Manifests > 0) LogVaultMigrated(_logger, VaultLayout.Current, moved.Clips, moved.Manifests);
        // DockLink recorders accept only an agency-endorsed dock; mass-storage recorders check no dock at all.
        _identity = DockIdentity.Load(paths, _options.DockId, requireEndorsement: _options.Bays.Count == 0 || _options.Bays.Any(b => b.Driver == RecorderDriver.DockLink));
        _scheduler = new PullScheduler(_options.MaxConcurrentPulls);
        var log = await CustodyLog.OpenAsync(_catalog, CustodyJournal.For(paths), _identity.SigningKey, _identity.DockId,
            DockKey.OwnPublicKeys(paths, _identity.PublicKey.Span), time, cancellationToken).ConfigureAwait(false);
        _custody = new CustodyTrail(log, _identity, _vault, _catalog);
        _enrolment = new RecorderEnrolment(_catalog, log);
        CloudTargetUri.TryParse(_options.Cloud.Target, out _cloudUri, out _); // Validated at start.
        try
        {
            _cloud = CloudTargets.Create(_cloudUri, paths.DataDirectory);
        }
        catch (CloudException ex)
        {
            // Only static set-up problems land here (e.g. no connection string): say so and do not start.
            throw new IdentityException($"Dock:Cloud:Target {_cloudUri}: {ex.Message}", ex);
        }
        await _catalog.EndOrphanSessionsAsync(cancellationToken).ConfigureAwait(false);
        var unknown = await VaultAudit.AlertAsync(_vault, _catalog, cancellationToken).ConfigureAwait(false);
        if (unknown.Files > 0) LogUnknownVaultFiles(_logger, unknown.Files, string.Join(", ", unknown.Examples.Take(10)));
        LogStarting(_logger, _identity.DockId, paths.DataDirectory, _options.Bays.Count);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sessionOptions = new HostSessionOptions
        {
            RequestTimeout = _options.Link.RequestTimeout,
            HandshakeTimeout = _options.Link.HandshakeTimeout,
            ReadChunkSize = (int)_options.Link.ReadChunkSize.Bytes, // Validated: at most 1 MiB.
            ReadWindow = _options.Link.ReadWindow,
            MaxListedClips = _options.Link.MaxListedClips,
            ListingDeadline = _options.Link.ListingDeadline,
        };
        var ingestor = new ClipIngestor(_catalog!, _vault!, _custody!, _options, activity, loggers.CreateLogger<ClipIngestor>(), time);
        var docking = new RecorderDocking(_catalog!, ingestor, _custody!, _enrolment!, _scheduler!, _options, activity, loggers.CreateLogger<RecorderDocking>(), time);
        var workers = new List<Task>();
        Func<Task>? hotplug = null;
        if (_options.Bays.Any(b => !string.IsNullOrEmpty(b.UsbPort)))
        {
            _uevents = Discovery.UeventMonitor.TryOpen(["usb", "tty", "net", "block"], out var why);
            if (_uevents is not null) hotplug = () => _uevents.Next;
            else LogNoHotplug(_logger, why!, _options.ReconnectInterval.TotalSeconds);
        }
        foreach (var bay in _options.Bays)
        {
            Func<BayEndpoint?> endpoint;
            Func<string?> volume;
            if (bay.UsbPort is { Length: > 0 } port)
            {
                var scanner = new Discovery.SysfsUsbScanner(_options.SysfsRoot);
                endpoint = () => Discovery.UsbEndpoints.ForPort(scanner, port, _options.DeviceRoot, _options.ProcRoot, _options.Link.TcpPort);
                volume = () => Discovery.UsbEndpoints.VolumeForPort(scanner, port, _options.MassStorage.MountsFile);
                await _catalog!.UpsertBayAsync(bay.Id, $"usb:{port}", stoppingToken).ConfigureAwait(false);
            }
            else
            {
                BayEndpoint.TryParse(bay.Endpoint, out var fixedEndpoint, out _); // Validated at start.
                endpoint = () => fixedEndpoint;
                var folder = bay.Volume is { Length: > 0 } v ? Path.GetFullPath(v) : null;
                volume = () => folder is not null && Directory.Exists(folder) ? folder : null;
                await _catalog!.UpsertBayAsync(bay.Id, fixedEndpoint.ToString(), stoppingToken).ConfigureAwait(false);
            }
            IRecorderSource source = bay.Driver == RecorderDriver.MassStorage
                ? new MassStorageRecorderSource(endpoint, volume, _options.MassStorage, _catalog!, _options.Link.ConnectTimeout, time)
                : new DockLinkRecorderSource(endpoint, _identity!, sessionOptions, _options.Link.ConnectTimeout, time);
            var worker = new BayWorker(bay, source, docking, _catalog!, _options, activity, loggers.CreateLogger<BayWorker>(), time,
                string.IsNullOrEmpty(bay.UsbPort) ? null : hotplug);
            workers.Add(GuardAsync($"bay {bay.Id}", worker.RunAsync(stoppingToken), stoppingToken));
        }
        workers.Add(GuardAsync("custody checkpoints", CheckpointPeriodicallyAsync(stoppingToken), stoppingToken));
        if (_identity!.Endorsements.V1.Length > 0 || _identity.Endorsements.Expiring is not null)
        {
            var watch = new EndorsementWatch(_identity, DockPaths.From(_options), _options.Identity, _catalog!, loggers.CreateLogger<EndorsementWatch>(), time);
            workers.Add(GuardAsync("endorsement watch", watch.RunAsync(stoppingToken), stoppingToken));
        }
        if (_cloud is not null)
        {
            var uploader = new Uploader(_catalog!, _vault!, _custody!.Log, _cloud, _cloudUri!, _options.Cloud, activity, loggers.CreateLogger<Uploader>(), time);
            workers.Add(GuardAsync("uploads", uploader.RunAsync(stoppingToken), stoppingToken));
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    /// <summary>
    /// A part of the service that ends with an error stops the whole dock with that error (exit 1 from `dock run`), rather
    /// than the dock running on without it or stopping as if asked to: a damaged catalog, or a defect no retry mends.
    /// </summary>
    private async Task GuardAsync(string part, Task work, CancellationToken stoppingToken)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            var message = ClipCatalog.IsDamage(ex)
                ? ClipCatalog.Damaged(_catalog!.Path, ex.Message).Message
                : ex is CatalogDamagedException ? ex.Message : $"{part} failed: {ex.Message}";
            LogFatal(_logger, ex, part, message);
            health.Fail(message);
        }
    }

    /// <summary>Signs a checkpoint every interval while the log grows (one per verified clip is made anyway),
    /// so events with no clip behind them (enrolments, held footage) are soon committed to as well.</summary>
    private async Task CheckpointPeriodicallyAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.CheckpointInterval, time, stoppingToken).ConfigureAwait(false);
                try
                {
                    await _custody!.Log.CheckpointAsync(stoppingToken).ConfigureAwait(false);
                    if (_custody.Log.JournalProblem is null)
                        await _catalog!.ResolveAlertKindAsync("custody-journal", "the custody journal is written again", stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is CatalogException or Microsoft.Data.Sqlite.SqliteException or IOException && !ClipCatalog.IsDamage(ex)
                    && ex is not CatalogDamagedException)
                {
                    await _catalog!.ThrowIfDamagedAsync(ex, stoppingToken).ConfigureAwait(false);
                    LogCheckpointFailed(_logger, ex);
                    await _catalog!.RaiseAlertAsync("custody-journal", null, null, $"a custody checkpoint could not be signed and kept: {ex.Message}. " +
                        "Clips are not released until it can (each release waits for a checkpoint covering the clip).", stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Stops the bays, then signs a last checkpoint so a clean stop leaves no entry uncommitted.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_custody is null) return;
        try
        {
            // Not the stop token: the host may already have cancelled it, and this is one short local write.
            await _custody.Log.CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CatalogException or Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LogCheckpointFailed(_logger, ex);
        }
    }

    public override void Dispose()
    {
        _cloud?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _uevents?.Dispose();
        _identity?.Dispose();
        _scheduler?.Dispose();
        _runLock?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Critical, Message = "The dock stops: {Part} failed: {Message}")]
    private static partial void LogFatal(ILogger logger, Exception error, string part, string message);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "ALERT {Count} clip file(s) in the vault have no record in the catalog: {Examples}")]
    private static partial void LogUnknownVaultFiles(ILogger logger, int count, string examples);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "No USB hotplug events ({Why}); USB bays poll sysfs every {Seconds} s")]
    private static partial void LogNoHotplug(ILogger logger, string why, double seconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Periodic custody checkpoint failed; the next one will cover these events")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dock {DockId} starting: data in {DataDirectory}, {Bays} bay(s)")]
    private static partial void LogStarting(ILogger logger, string dockId, string dataDirectory, int bays);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Information,
        Message = "Vault moved to layout {Layout}: {Clips} clip file(s) renamed, {Manifests} manifest(s) moved to vault/manifests/")]
    private static partial void LogVaultMigrated(ILogger logger, int layout, int clips, int manifests);
}
