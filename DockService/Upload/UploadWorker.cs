using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Upload;

/// <summary>The upload queue's worker as its own hosted service (nothing to do when the cloud target is <c>none</c>).</summary>
public sealed class UploadWorker(DockCore core, DockActivity activity, Release.ReleaseCoordinator releases, RecheckRequests rechecks, ServiceHealth health,
    ILoggerFactory loggers, TimeProvider time, UploadOutbox outbox, Metadata.TagChanges tagChanges)
    : DockWorker(core, health, loggers.CreateLogger<UploadWorker>())
{
    protected override string Part => "uploads";

    protected override Task RunAsync(CancellationToken stoppingToken) =>
        Core.Cloud is { } cloud
            ? new Uploader(Core.Catalog, Core.Vault, Core.Log, cloud, Core.CloudUri!, Core.Options.Cloud, activity, releases, rechecks,
                loggers.CreateLogger<Uploader>(), time,
                new Metadata.ClipTagging(Core.Catalog.Clips, new Metadata.TagStore(Core.Catalog.Database), Core.Log, Core.Options.Metadata),
                bytes => Core.Identity.SigningKey.Sign(bytes), tagChanges, outbox)
                .RunAsync(stoppingToken)
            : Task.CompletedTask;
}
