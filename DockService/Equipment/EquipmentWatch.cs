using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Registry;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Equipment;

/// <summary>
/// Keeps the equipment policy under watch (R4, R10): each unit judged against its ratio, spare pool and ready minimum — a <c>ratio-breach</c>
/// alert per unit while it falls short, resolved when it no longer does, and a compliance row whenever a unit's figures change — and every
/// camera checked out and not docked <see cref="EquipmentOptions.DockWithin"/> after its shift ended raises <c>camera-not-docked</c>, naming
/// the officer; and a battery whose charge curves say to replace it raises <c>battery-replace</c> with the evidence. Runs every <see cref="EquipmentOptions.CheckInterval"/> and at once after each checkout and check-in.
/// </summary>
public sealed class EquipmentWatch(CatalogStores catalog, Checkouts checkouts, DockOptions options, TimeProvider time)
{
    public const string RatioAlert = "ratio-breach";
    public const string BatteryAlert = "battery-replace";

    /// <summary>One look. Returns every unit's figures.</summary>
    public async Task<IReadOnlyList<UnitCompliance>> CheckAsync(CancellationToken cancellationToken)
    {
        await checkouts.CloseUntakenAsync(cancellationToken).ConfigureAwait(false);
        var registry = checkouts.Registry;
        var units = await registry.UnitsAsync(cancellationToken).ConfigureAwait(false);
        var officers = await registry.OfficersAsync(cancellationToken).ConfigureAwait(false);
        var recorders = await registry.RecordersAsync(cancellationToken).ConfigureAwait(false);
        var facts = await checkouts.LiveFactsAsync(recorders, cancellationToken).ConfigureAwait(false);
        var ready = facts.Where(f => Readiness.IsReady(f, options.Equipment, options.StorageNearlyFullPercent)).Select(f => f.Serial).ToHashSet(StringComparer.Ordinal);
        var open = await checkouts.Store.OpenCheckoutsAsync(cancellationToken).ConfigureAwait(false);
        var outSerials = open.Select(c => c.Serial).ToHashSet(StringComparer.Ordinal);
        var judged = RatioPolicy.Evaluate(units, officers, recorders, ready, outSerials, options.Equipment);

        var now = time.GetUtcNow();
        var latest = await checkouts.Store.LatestComplianceAsync(cancellationToken).ConfigureAwait(false);
        var changed = new List<ComplianceRecord>();
        foreach (var unit in judged)
        {
            var row = new ComplianceRecord(unit.Unit, now, unit.Officers, unit.ServiceableRecorders, unit.SpareRecorders, unit.ReadyRecorders, unit.Compliant,
                string.Join("; ", unit.Problems));
            if (latest.GetValueOrDefault(unit.Unit) is not { } last || last with { At = now } != row) changed.Add(row);
            if (unit.Compliant)
                await catalog.Alerts.ResolveAlertsAsync(RatioAlert, unit.Unit, null, "the unit keeps its equipment policy again", cancellationToken).ConfigureAwait(false);
            else
                await catalog.Alerts.RaiseAlertAsync(RatioAlert, unit.Unit, null, $"unit {unit.Unit} ({unit.Name}) breaks its equipment policy (R4): " +
                    string.Join("; ", unit.Problems), cancellationToken).ConfigureAwait(false);
        }
        await checkouts.Store.AddComplianceAsync(changed, cancellationToken).ConfigureAwait(false);

        // A unit no longer registered has nothing to breach.
        var known = units.Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var serial in await catalog.Alerts.OpenAlertSerialsAsync(RatioAlert, cancellationToken).ConfigureAwait(false))
            if (!known.Contains(serial))
                await catalog.Alerts.ResolveAlertsAsync(RatioAlert, serial, null, "the unit is no longer registered", cancellationToken).ConfigureAwait(false);

        // R10: a camera not back after its shift. The officer is named; the alert resolves at its docking (Checkouts.CheckInAsync).
        var names = officers.ToDictionary(o => o.Badge, o => o.Name, StringComparer.Ordinal);
        foreach (var checkout in open.Where(c => now > c.DueAt + options.Equipment.DockWithin))
            await catalog.Alerts.RaiseAlertAsync(Checkouts.NotDockedAlert, checkout.Serial, null,
                $"camera {checkout.Serial} of officer {checkout.Badge} ({names.GetValueOrDefault(checkout.Badge, "?")}, unit {checkout.UnitId}) is not docked " +
                $"{Checkouts.Span(now - checkout.DueAt)} after its shift ended (checked out from bay {checkout.BayId} " +
                $"{Checkouts.Span(now - checkout.OutAt)} ago)", cancellationToken).ConfigureAwait(false);

        // Batteries to replace, judged from their charge curves, each alert with its evidence.
        var verdicts = await new EquipmentReports(catalog.Database, options, time).BatteriesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var verdict in verdicts)
        {
            if (verdict.Replace)
                await catalog.Alerts.RaiseAlertAsync(BatteryAlert, verdict.Serial, null, $"replace the battery of {verdict.Serial}: " +
                    string.Join("; ", verdict.Findings.Select(f => f.Evidence)), cancellationToken).ConfigureAwait(false);
            else
                await catalog.Alerts.ResolveAlertsAsync(BatteryAlert, verdict.Serial, null, "its charge curves are healthy again", cancellationToken).ConfigureAwait(false);
        }
        return judged;
    }
}

/// <summary>Runs the <see cref="EquipmentWatch"/> while the dock runs (and closes the checkouts of cameras never taken from their bay).</summary>
public sealed class EquipmentWorker(DockCore core, Checkouts checkouts, ServiceHealth health, ILogger<EquipmentWorker> logger, TimeProvider time)
    : DockWorker(core, health, logger)
{
    protected override string Part => "equipment watch";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var watch = new EquipmentWatch(Core.Catalog, checkouts, Core.Options, time);
        var again = new Ingest.ChangeSignal();
        checkouts.Changed += again.Signal;
        try
        {
            while (true)
            {
                var next = again.Next;
                await watch.CheckAsync(stoppingToken).ConfigureAwait(false);
                await Task.WhenAny(next, Task.Delay(Core.Options.Equipment.CheckInterval, time, stoppingToken)).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            checkouts.Changed -= again.Signal;
        }
    }
}
