using Dock.DeviceProtocol.Session;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Bays;

/// <summary>The bays: one <see cref="BayWorker"/> per configured bay, all in parallel, on the shared <see cref="DockCore"/>.</summary>
public sealed partial class BayMonitor(DockCore core, DockActivity activity, Release.ReleaseCoordinator releases, RecheckRequests rechecks, ServiceHealth health,
    ILoggerFactory loggers, TimeProvider time, Metrics.DockMetrics? metrics = null, Upload.UploadOutbox? outbox = null, Metadata.TagChanges? tagChanges = null,
    Recorders.DockedRecorders? docked = null, Equipment.Checkouts? checkouts = null)
    : DockWorker(core, health, loggers.CreateLogger<BayMonitor>())
{
    private readonly ILogger _logger = loggers.CreateLogger<BayMonitor>();
    private Discovery.UeventMonitor? _uevents;

    protected override string Part => "bays";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var options = Core.Options;
        var sessionOptions = new HostSessionOptions
        {
            RequestTimeout = options.Link.RequestTimeout,
            HandshakeTimeout = options.Link.HandshakeTimeout,
            ReadChunkSize = (int)options.Link.ReadChunkSize.Bytes, // Validated: at most 1 MiB.
            ReadWindow = options.Link.ReadWindow,
            MaxListedClips = options.Link.MaxListedClips,
            ListingDeadline = options.Link.ListingDeadline,
        };
        var catalog = Core.Catalog;
        var ingestor = new ClipIngestor(catalog, Core.Vault, Core.Custody, options, activity, loggers.CreateLogger<ClipIngestor>(), time, outbox);
        var docking = new RecorderDocking(catalog, ingestor, Core.Custody, Core.Enrolment, Core.Scheduler, options, activity, releases, rechecks,
            loggers.CreateLogger<RecorderDocking>(), time, metrics,
            new Metadata.RecorderMetadata(new Metadata.TagStore(catalog.Database),
                new Metadata.ClipTagging(catalog.Clips, new Metadata.TagStore(catalog.Database), Core.Log, options.Metadata, tagChanges), catalog.Alerts, Core.Log.DockId, time),
            docked, checkouts, Core.RecorderConfiguration, Core.RecorderFirmware);
        var workers = new List<Task>();
        Func<Task>? hotplug = null;
        if (options.Bays.Any(b => !string.IsNullOrEmpty(b.UsbPort)))
        {
            _uevents = Discovery.UeventMonitor.TryOpen(["usb", "tty", "net", "block"], out var why);
            if (_uevents is not null) hotplug = () => _uevents.Next;
            else LogNoHotplug(_logger, why!, options.ReconnectInterval.TotalSeconds);
        }
        foreach (var bay in options.Bays)
        {
            Func<BayEndpoint?> endpoint;
            Func<string?> volume;
            if (bay.UsbPort is { Length: > 0 } port)
            {
                var scanner = new Discovery.SysfsUsbScanner(options.SysfsRoot);
                endpoint = () => Discovery.UsbEndpoints.ForPort(scanner, port, options.DeviceRoot, options.ProcRoot, options.Link.TcpPort);
                volume = () => Discovery.UsbEndpoints.VolumeForPort(scanner, port, options.MassStorage.MountsFile);
                await catalog.Docking.UpsertBayAsync(bay.Id, $"usb:{port}", stoppingToken).ConfigureAwait(false);
            }
            else
            {
                BayEndpoint.TryParse(bay.Endpoint, out var fixedEndpoint, out _); // Validated at start.
                endpoint = () => fixedEndpoint;
                var folder = bay.Volume is { Length: > 0 } v ? Path.GetFullPath(v) : null;
                volume = () => folder is not null && Directory.Exists(folder) ? folder : null;
                await catalog.Docking.UpsertBayAsync(bay.Id, fixedEndpoint.ToString(), stoppingToken).ConfigureAwait(false);
            }
            IRecorderSource source = bay.Driver == RecorderDriver.MassStorage
                ? new MassStorageRecorderSource(endpoint, volume, options.MassStorage, catalog.Clips, options.Link.ConnectTimeout, time)
                : new DockLinkRecorderSource(endpoint, Core.Identity, sessionOptions, options.Link.ConnectTimeout, time);
            var worker = new BayWorker(bay, source, docking, catalog, options, activity, loggers.CreateLogger<BayWorker>(), time,
                string.IsNullOrEmpty(bay.UsbPort) ? null : hotplug);
            workers.Add(GuardAsync($"bay {bay.Id}", worker.RunAsync(stoppingToken), stoppingToken));
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    public override void Dispose()
    {
        _uevents?.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "No USB hotplug events ({Why}); USB bays poll sysfs every {Seconds} s")]
    private static partial void LogNoHotplug(ILogger logger, string why, double seconds);
}
