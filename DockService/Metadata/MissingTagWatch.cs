using System.Globalization;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Metadata;

/// <summary>
/// R10 for tags: footage still missing a required tag <see cref="MetadataOptions.MissingTagAlertAfter"/> after docking raises a
/// <c>missing-tags</c> alert per camera, naming the officer and how many clips, for the supervisors; it resolves itself once they
/// are tagged. The officer hears of it at their next kiosk sign-in (<see cref="OverdueAsync"/>).
/// </summary>
public sealed class MissingTagWatch(TagStore tags, AlertStore alerts, MetadataOptions options, TimeProvider time)
{
    public const string AlertKind = "missing-tags";

    /// <summary>How often the watch looks: a quarter of the allowed time, between 10 s and 5 min.</summary>
    public TimeSpan Period => TimeSpan.FromTicks(Math.Clamp(options.MissingTagAlertAfter.Ticks / 4, TimeSpan.FromSeconds(10).Ticks, TimeSpan.FromMinutes(5).Ticks));

    /// <summary>One look: raises (or refreshes) the alert of each camera with overdue untagged footage, resolves the others. Returns the
    /// cameras alerted.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        var overdue = await OverdueAsync(null, cancellationToken).ConfigureAwait(false);
        var bySerial = overdue.GroupBy(o => o.Serial, StringComparer.Ordinal).ToList();
        foreach (var camera in bySerial)
        {
            var officers = string.Join(", ", camera.Select(o => o.Officer.Length > 0 ? o.Officer : "no officer"));
            int clips = camera.Sum(o => o.Clips);
            var oldest = camera.Min(o => o.Oldest);
            await alerts.RaiseAlertAsync(AlertKind, camera.Key, null,
                $"{clips} clip(s) of officer {officers} lack a required tag (case number, 证明对象{(options.Location.Length == 0 ? ", place" : "")}) " +
                $"more than {Describe(options.MissingTagAlertAfter)} after docking; the oldest docked {oldest.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC",
                cancellationToken).ConfigureAwait(false);
        }
        var alerted = bySerial.Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var serial in await alerts.OpenAlertSerialsAsync(AlertKind, cancellationToken).ConfigureAwait(false))
            if (!alerted.Contains(serial))
                await alerts.ResolveAlertsAsync(AlertKind, serial, null, "every clip of this camera is tagged", cancellationToken).ConfigureAwait(false);
        return alerted.Count;
    }

    /// <summary>The overdue untagged footage, by camera and officer (of one officer when given).</summary>
    public Task<IReadOnlyList<(string Serial, string Officer, int Clips, DateTimeOffset Oldest)>> OverdueAsync(string? officer, CancellationToken cancellationToken) =>
        tags.OverdueAsync(time.GetUtcNow() - options.MissingTagAlertAfter, placeNeeded: options.Location.Length == 0, officer, cancellationToken);

    private static string Describe(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : $"{span.TotalMinutes:0} min";
}

/// <summary>Runs the <see cref="MissingTagWatch"/> while the dock runs.</summary>
public sealed class MissingTagWorker(DockCore core, ServiceHealth health, ILogger<MissingTagWorker> logger, TimeProvider time)
    : DockWorker(core, health, logger)
{
    protected override string Part => "missing-tag watch";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var watch = new MissingTagWatch(new TagStore(Core.Catalog.Database), Core.Catalog.Alerts, Core.Options.Metadata, time);
        while (true)
        {
            await watch.CheckAsync(stoppingToken).ConfigureAwait(false);
            await Task.Delay(watch.Period, time, stoppingToken).ConfigureAwait(false);
        }
    }
}
