using System.Diagnostics.Metrics;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Metrics;

/// <summary>
/// The dock's metrics (System.Diagnostics.Metrics, meter "Dock"), exported through OpenTelemetry: Prometheus at <c>GET /metrics</c>,
/// and OTLP when <c>Dock:Http:OtlpEndpoint</c> is set. Counters that live in memory (<see cref="DockActivity"/>) are observed
/// directly; what needs the catalog (clips by state, the upload queue) is sampled every few seconds by <see cref="MetricsSampler"/>,
/// because an observable callback must not block on SQLite.
/// </summary>
public sealed class DockMetrics : IDisposable
{
    public const string MeterName = "Dock";
    private readonly Meter _meter = new(MeterName);
    private volatile Sample _sample = new(new Dictionary<string, long>(), 0, 0);
    private readonly Histogram<double> _releaseDelay;

    internal sealed record Sample(IReadOnlyDictionary<string, long> ClipsByState, long UploadsQueued, double OldestUploadAgeSeconds);

    public DockMetrics(DockActivity activity, DockCore core)
    {
        _meter.CreateObservableCounter("dock.ingest.bytes", () => activity.BytesPulled, "By", "Clip bytes pulled from recorders");
        _meter.CreateObservableCounter("dock.clips.verified", () => (long)activity.ClipsVerified, "{clip}", "Clips verified in the vault since start");
        _meter.CreateObservableCounter("dock.clips.released", () => (long)activity.ClipsReleased, "{clip}", "Clips released (gone from their recorder) since start");
        _meter.CreateObservableGauge("dock.clips", () => _sample.ClipsByState.Select(s => new Measurement<long>(s.Value, new KeyValuePair<string, object?>("state", s.Key))),
            "{clip}", "Clips in the catalog by state");
        _meter.CreateObservableGauge("dock.uploads.queued", () => _sample.UploadsQueued, "{clip}", "Clips waiting for a verified cloud copy");
        _meter.CreateObservableGauge("dock.uploads.oldest_age", () => _sample.OldestUploadAgeSeconds, "s", "Age of the oldest clip waiting for its cloud copy");
        _meter.CreateObservableGauge("dock.bays", () => Enum.GetValues<BayPhase>().Select(p => new Measurement<int>(activity.Bays.Count(b => b.Phase == p),
            new KeyValuePair<string, object?>("phase", p.ToString().ToLowerInvariant()))), "{bay}", "Bays by phase");
        _meter.CreateObservableCounter("dock.custody.entries", () => core.IsOpen ? core.Log.Size : 0, "{entry}", "Custody log entries (appends)");
        _releaseDelay = _meter.CreateHistogram<double>("dock.release.delay", "s", "From a recorder's docking to the release of one of its clips");
    }

    /// <summary>Records one release, <paramref name="sinceDocking"/> after its recorder docked.</summary>
    public void Released(TimeSpan sinceDocking) => _releaseDelay.Record(sinceDocking.TotalSeconds);

    internal void Update(Sample sample) => _sample = sample;

    public void Dispose() => _meter.Dispose();
}

/// <summary>Refreshes the catalog-backed metrics every 5 s.</summary>
public sealed class MetricsSampler(DockCore core, DockMetrics metrics, ServiceHealth health, ILogger<MetricsSampler> logger, TimeProvider time)
    : DockWorker(core, health, logger)
{
    protected override string Part => "metrics";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                var byState = await Core.Catalog.Clips.CountClipsByStateAsync(stoppingToken).ConfigureAwait(false);
                var (queued, oldest) = await Core.Catalog.Uploads.UploadBacklogAsync(stoppingToken).ConfigureAwait(false);
                metrics.Update(new DockMetrics.Sample(byState, queued, oldest is { } at ? Math.Max(0, (time.GetUtcNow() - at).TotalSeconds) : 0));
            }
            catch (Exception ex) when (ex is StorageException && !StorageException.IsDamage(ex))
            {
                // A busy or briefly failing catalog leaves the last sample in place; the parts that write to it raise the alerts.
            }
            await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken).ConfigureAwait(false);
        }
    }
}
