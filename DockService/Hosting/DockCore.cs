using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Enrolment;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Service.Retention;
using Dock.Service.Retrieval;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Service.Users;
using Dock.Service.Vault;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dock.Service.Hosting;

/// <summary>
/// What every part of a running dock shares, opened once at start: the data folder's lock, the catalog (with its stores), the
/// vault, the identity, the custody log, enrolment, users and the cloud target. <see cref="DockCoreStartup"/> opens it before any
/// other hosted service starts, so a broken set-up fails the start with one message; the bays, uploads, checkpoints, the
/// endorsement watch and the HTTP API then take what they need from here.
/// </summary>
public sealed partial class DockCore(IOptions<DockOptions> options, ILogger<DockCore> logger, ILoggerFactory loggers, TimeProvider time) : IDisposable
{
    private readonly DockOptions _options = options.Value;
    private Opened? _opened;

    private sealed record Opened(RunLock RunLock, CatalogStores Catalog, ClipVault Vault, DockIdentity Identity, CustodyTrail Custody,
        RecorderEnrolment Enrolment, UserAccounts Users, ICloudTarget? Cloud, CloudTargetUri? CloudUri, PullScheduler Scheduler, VaultPurge Purge,
        LegalHolds Holds, ClipSensitivity Sensitivity, Retrievals Retrievals, ClipContent Content);

    private Opened Open => _opened ?? throw new InvalidOperationException("The dock core is not open yet.");

    public DockOptions Options => _options;
    public DockPaths Paths => DockPaths.From(_options);
    public bool IsOpen => _opened is not null;
    public CatalogStores Catalog => Open.Catalog;
    public ClipVault Vault => Open.Vault;
    public DockIdentity Identity => Open.Identity;
    public CustodyTrail Custody => Open.Custody;
    public CustodyLog Log => Open.Custody.Log;
    public RecorderEnrolment Enrolment => Open.Enrolment;
    public UserAccounts Users => Open.Users;
    public ICloudTarget? Cloud => Open.Cloud;
    public CloudTargetUri? CloudUri => Open.CloudUri;
    public PullScheduler Scheduler => Open.Scheduler;
    public VaultPurge Purge => Open.Purge;
    public LegalHolds Holds => Open.Holds;
    public ClipSensitivity Sensitivity => Open.Sensitivity;
    public Retrievals Retrievals => Open.Retrievals;
    public ClipContent Content => Open.Content;

    /// <summary>Which fleet bundle this dock runs (Fleet/FleetConfiguration).</summary>
    public Fleet.FleetConfiguration Fleet => _fleet ??= new Fleet.FleetConfiguration(Catalog.Database, Log, Catalog.Alerts, Paths.DataDirectory);

    /// <summary>Which profile each recorder runs (Fleet/RecorderConfiguration): one, so its copy of the applied bundle is read once per version.</summary>
    public Fleet.RecorderConfiguration RecorderConfiguration => _recorderConfiguration ??= new Fleet.RecorderConfiguration(Catalog.Database, Log, Catalog.Alerts, Fleet);

    /// <summary>The firmware images this dock holds (DATA/fleet/firmware).</summary>
    public Fleet.FirmwareImages FirmwareImages => _firmwareImages ??= new Fleet.FirmwareImages(Paths.DataDirectory);

    /// <summary>Which firmware each recorder runs (Fleet/RecorderFirmware).</summary>
    public Fleet.RecorderFirmware RecorderFirmware => _recorderFirmware ??=
        new Fleet.RecorderFirmware(Catalog.Database, Log, Catalog.Alerts, RecorderConfiguration, FirmwareImages);

    /// <summary>The fleet as the console and the API show it (Fleet/FleetOverview).</summary>
    public Fleet.FleetOverview FleetOverview => _fleetOverview ??= new Fleet.FleetOverview(this, Catalog.Database.Time);

    private Fleet.FleetOverview? _fleetOverview;
    private Fleet.FirmwareImages? _firmwareImages;
    private Fleet.RecorderFirmware? _recorderFirmware;
    private Fleet.FleetConfiguration? _fleet;
    private Fleet.RecorderConfiguration? _recorderConfiguration;

    internal async Task OpenAsync(CancellationToken cancellationToken)
    {
        var paths = DockPaths.From(_options);
        // One dock per data folder: a second one would pull and upload everything twice beside the first.
        var runLock = RunLock.Acquire(paths, "dock run");
        var owned = new List<IDisposable> { runLock };
        try
        {
            var catalog = await CatalogStores.OpenAsync(paths.Catalog, time, cancellationToken, check: true).ConfigureAwait(false);
            var vault = new ClipVault(paths.DataDirectory);
            var moved = await VaultLayout.MigrateAsync(vault, catalog.Clips, cancellationToken).ConfigureAwait(false);
            if (moved.Clips + moved.Manifests > 0) LogVaultMigrated(logger, VaultLayout.Current, moved.Clips, moved.Manifests);
            // DockLink recorders accept only an agency-endorsed dock; mass-storage recorders check no dock at all.
            var identity = DockIdentity.Load(paths, _options.DockId,
                requireEndorsement: _options.Bays.Count == 0 || _options.Bays.Any(b => b.Driver == RecorderDriver.DockLink));
            owned.Add(identity);
            // Encrypted clips' data keys open with the dock key (or Dock:Vault:KeyFile); Dock:Vault:Encryption encrypts new ones.
            Service.Vault.Encryption.VaultEncryption.Configure(vault, _options.Vault, m => identity.Sign(m));
            var scheduler = new PullScheduler(_options.MaxConcurrentPulls);
            owned.Add(scheduler);
            var log = await CustodyLog.OpenAsync(catalog.Database, CustodyJournal.For(paths), identity.SigningKey, identity.DockId,
                DockKey.OwnPublicKeys(paths, identity.PublicKey.Span), time, cancellationToken).ConfigureAwait(false);
            CloudTargetUri.TryParse(_options.Cloud.Target, out var cloudUri, out _); // Validated at start.
            ICloudTarget? cloud;
            try
            {
                cloud = CloudTargets.Create(cloudUri, paths.DataDirectory);
            }
            catch (CloudException ex)
            {
                // Only static set-up problems land here (e.g. no connection string): say so and do not start.
                throw new DockStartException($"Dock:Cloud:Target {cloudUri}: {ex.Message}", ex);
            }
            await catalog.Docking.EndOrphanSessionsAsync(cancellationToken).ConfigureAwait(false);
            var unknown = await VaultAudit.AlertAsync(vault, catalog, cancellationToken).ConfigureAwait(false);
            if (unknown.Files > 0) LogUnknownVaultFiles(logger, unknown.Files, string.Join(", ", unknown.Examples.Take(10)));
            // The HTTP cookie keys' folder (Api/ApiSecurity), private to the dock's user like the dock key.
            var httpKeys = Directory.CreateDirectory(HttpKeysFolder(paths));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(httpKeys.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var holds = new HoldStore(catalog.Database);
            var sensitivity = new ClipSensitivity(catalog.Database, log, vault);
            var retrievals = new Retrievals(catalog.Database, log, sensitivity, holds, catalog.Alerts, _options.Retrieval, time, loggers.CreateLogger<Retrievals>());
            // Viewing sessions a crash left open are closed now, each with its served ranges: none stays without its closing entry.
            await retrievals.CloseIdleAsync(all: true, cancellationToken).ConfigureAwait(false);
            _opened = new Opened(runLock, catalog, vault, identity, new CustodyTrail(log, identity, vault, catalog.Clips), new RecorderEnrolment(catalog.Recorders, log),
                new UserAccounts(new UserStore(catalog.Database), log, time), cloud, cloudUri, scheduler,
                new VaultPurge(catalog, vault, log, cloud, cloudUri, _options, time), new LegalHolds(holds, catalog.Clips, log), sensitivity, retrievals,
                new ClipContent(vault, catalog.Uploads, cloud));
            LogStarting(logger, identity.DockId, paths.DataDirectory, _options.Bays.Count);
        }
        catch
        {
            foreach (var item in Enumerable.Reverse(owned)) item.Dispose();
            throw;
        }
    }

    public static string HttpKeysFolder(DockPaths paths) => Path.Combine(paths.DataDirectory, "keys", "http");

    /// <summary>Signs a last checkpoint, so a clean stop leaves no entry uncommitted. Called once everything else has stopped.</summary>
    internal async Task CloseAsync()
    {
        if (_opened is null) return;
        try
        {
            // Not a stop token: the host may already have cancelled it, and this is one short local write.
            await _opened.Custody.Log.CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is StorageException or IOException)
        {
            LogCheckpointFailed(logger, ex);
        }
    }

    public void Dispose()
    {
        if (_opened is not { } o) return;
        _opened = null;
        o.Cloud?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        o.Identity.Dispose();
        o.Scheduler.Dispose();
        o.RunLock.Dispose();
    }

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "ALERT {Count} clip file(s) in the vault have no record in the catalog: {Examples}")]
    private static partial void LogUnknownVaultFiles(ILogger logger, int count, string examples);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "The last custody checkpoint failed; the next start covers these events")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dock {DockId} starting: data in {DataDirectory}, {Bays} bay(s)")]
    private static partial void LogStarting(ILogger logger, string dockId, string dataDirectory, int bays);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Information,
        Message = "Vault moved to layout {Layout}: {Clips} clip file(s) renamed, {Manifests} manifest(s) moved to vault/manifests/")]
    private static partial void LogVaultMigrated(ILogger logger, int layout, int clips, int manifests);
}

/// <summary>Opens the <see cref="DockCore"/> first and closes it last (hosted services start in order and stop in reverse).</summary>
public sealed class DockCoreStartup(DockCore core) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => core.OpenAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => core.CloseAsync();
}

/// <summary>The dock cannot start as configured (a cloud target it cannot build, say): one message, exit 2.</summary>
public sealed class DockStartException(string message, Exception? inner = null) : Exception(message, inner);
