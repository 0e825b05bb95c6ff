using System.Text.Json;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Fleet;

/// <summary>What the running dock knows of fleet settings: the bundle its configuration was built with, and whether its host can be
/// rebuilt in place to take new settings (`dock run` can; the demo and tests that build a host once cannot, and alert instead).</summary>
public sealed class FleetRuntime(AppliedSettings? applied, IReadOnlyDictionary<string, string?>? settings, bool canRestart)
{
    public AppliedSettings? Applied { get; private set; } = applied;
    public bool CanRestart { get; } = canRestart;

    /// <summary>Whether <paramref name="next"/> sets what the running configuration was built with (then a new bundle needs no restart:
    /// only its recorder profiles or firmware changed).</summary>
    public bool SameSettings(IReadOnlyDictionary<string, string?> next) =>
        next.Count == (settings?.Count ?? 0) && next.All(p => settings!.TryGetValue(p.Key, out var v) && v == p.Value);

    /// <summary>The running dock takes <paramref name="applied"/> without a restart (its settings are the ones it runs).</summary>
    public void Adopt(AppliedSettings applied) => Applied = applied;

    /// <summary>Set when the dock stopped to come back with a new bundle's settings.</summary>
    public long? RestartFor { get; private set; }

    public void RequestRestart(long version) => RestartFor = version;
}

/// <summary>Counts of what the fleet worker asked the store, for the idle-cost figures (fleet-bundle-v1.md §5.5, `dock bench fleet`).</summary>
public sealed class FleetCounters
{
    private long _looks, _notModified, _bundleReads, _statusWrites;
    public long Looks => Interlocked.Read(ref _looks);
    public long NotModified => Interlocked.Read(ref _notModified);
    public long BundleReads => Interlocked.Read(ref _bundleReads);
    public long StatusWrites => Interlocked.Read(ref _statusWrites);

    internal void Look(bool changed)
    {
        Interlocked.Increment(ref _looks);
        if (!changed) Interlocked.Increment(ref _notModified);
    }

    internal void BundleRead() => Interlocked.Increment(ref _bundleReads);

    internal void StatusWrite() => Interlocked.Increment(ref _statusWrites);
}

/// <summary>
/// The dock's side of fleet configuration (fleet-bundle-v1.md §5): at start and every Dock:Fleet:PollInterval it looks at the rollout
/// pointer with a conditional GET; when the pointer names a higher version and this dock is in the cohorts the rollout has reached, it
/// fetches the bundle, checks it and applies it (<see cref="FleetConfiguration"/>); new dock settings then restart the host in place.
/// It writes its signed status object when something in it changes, and every Dock:Fleet:StatusInterval. A store that cannot be reached
/// costs nothing but a log line: the dock keeps what it runs and looks again.
/// </summary>
public sealed partial class FleetWorker(DockCore core, ServiceHealth health, FleetRuntime runtime, FleetCounters counters, IConfiguration configuration,
    IHostApplicationLifetime lifetime, ILogger<FleetWorker> logger, TimeProvider time) : DockWorker(core, health, logger)
{
    public const string RestartAlert = "fleet-restart-needed";

    protected override string Part => "fleet configuration";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var options = Core.Options.Fleet;
        var fleet = Core.Fleet;
        var dockId = Core.Identity.DockId;
        var source = options.Source.Length > 0 ? options.Source : Core.Options.Cloud.Target;
        CloudTargetUri.TryParse(source, out var uri, out _);
        ICloudTarget? target = null;
        try
        {
            target = uri is null || uri.Kind == CloudKind.None ? null : CloudTargets.Create(uri, Core.Paths.DataDirectory);
        }
        catch (CloudException ex)
        {
            // No credentials for the store: the uploader alerts about the same; bundles then come only from `dock fleet apply`.
            LogStoreProblem(logger, source, ex.Message);
        }
        await using var owned = target;
        var store = target is null ? null : new FleetStore(target, uri!.Prefix);
        string? etag = null;
        StatusTarget? following = null;
        string? lastStatus = null;
        DateTimeOffset lastWritten = DateTimeOffset.MinValue;
        while (true)
        {
            // A bundle applied beside the running dock (`dock fleet apply`), or a crash between the catalog and the settings file.
            try
            {
                if (await fleet.EnsureSettingsAsync(dockId, options.Site, stoppingToken).ConfigureAwait(false) is { } current
                    && (runtime.Applied is null || current.Version != runtime.Applied.Version) && await RestartAsync(current.Version, stoppingToken).ConfigureAwait(false))
                    return;
            }
            catch (Exception ex) when (ex is FleetBundleException or IOException or UnauthorizedAccessException)
            {
                // The applied bundle's note is gone or changed under DATA/fleet: the dock runs on what it was started with, and says so.
                await Core.Catalog.Alerts.RaiseAlertAsync(FleetConfiguration.RefusedAlert, null, null,
                    CustodyEventText($"the applied fleet bundle cannot be read back ({ex.Message}); apply it again"), stoppingToken).ConfigureAwait(false);
            }
            if (store is not null)
            {
                try
                {
                    var (status, pointer, next) = await store.ReadPointerAsync(etag, stoppingToken).ConfigureAwait(false);
                    counters.Look(status == FetchStatus.Found);
                    if (status == FetchStatus.Found)
                    {
                        etag = next;
                        following = await FollowAsync(store, fleet, pointer!, dockId, options, stoppingToken).ConfigureAwait(false);
                        if (following.State == TargetStates.Applied && runtime.Applied?.Version != pointer!.Version
                            && await RestartAsync(pointer.Version, stoppingToken).ConfigureAwait(false))
                            return;
                    }
                    // The applied bundle's firmware images, fetched once (a cached image is only re-hashed once per process).
                    if (await Core.RecorderConfiguration.AppliedBundleAsync(stoppingToken).ConfigureAwait(false) is { Bundle.Firmware.Count: > 0 } withImages)
                        foreach (var problem in await Core.FirmwareImages.FetchMissingAsync(store, withImages.Bundle.Firmware, stoppingToken).ConfigureAwait(false))
                            LogImageProblem(logger, problem);
                    var report = await StatusAsync(fleet, following, stoppingToken).ConfigureAwait(false);
                    // What changed is judged without the time and the checkpoint (which move on their own); the heartbeat carries those.
                    // Signed only when it goes out: an idle look costs no signature.
                    var body = JsonSerializer.Serialize(report with { At = default, Checkpoint = null });
                    if (body != lastStatus || report.At - lastWritten >= options.StatusInterval)
                    {
                        await store.WriteStatusAsync(dockId, report.Sign(m => Core.Identity.Sign(m)), stoppingToken).ConfigureAwait(false);
                        counters.StatusWrite();
                        lastStatus = body;
                        lastWritten = report.At;
                    }
                }
                catch (CloudException ex)
                {
                    LogStoreProblem(logger, store.Target.Description, ex.Message);
                }
            }
            await Task.Delay(options.PollInterval, time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Where this dock stands with the pointer's bundle; applies it when the rollout has reached this dock.</summary>
    private async Task<StatusTarget> FollowAsync(FleetStore store, FleetConfiguration fleet, RolloutPointer pointer, string dockId, FleetSyncOptions options,
        CancellationToken cancellationToken)
    {
        var current = await fleet.CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (current is not null && current.Version >= pointer.Version)
            return new StatusTarget(pointer.Version, pointer.Step, current.Version == pointer.Version ? TargetStates.Applied : TargetStates.Waiting, null);
        try
        {
            var note = await store.ReadBundleAsync(pointer.Version, pointer.Sha256, cancellationToken).ConfigureAwait(false);
            counters.BundleRead();
            var trusted = FleetTrust.Keys(Core.Paths, options);
            // The plan is read from the signed bundle, never from the pointer: a pointer someone rewrote can only choose a step.
            var plan = BundleNote.Open(note, trusted).Bundle.Rollout;
            if (!plan.Covers(pointer.Step, dockId, options.Site)) return new StatusTarget(pointer.Version, pointer.Step, TargetStates.Waiting, null);
            var (_, applied) = await fleet.ApplyAsync(note, trusted, dockId, options.Site, settings => FleetSettings.Validate(Core.Paths.DataDirectory, settings),
                $"{store.Target.Description} {store.BundleKey(pointer.Version)}", Core.Identity.DockId, cancellationToken).ConfigureAwait(false);
            LogApplied(logger, applied.Version, applied.Sha256, applied.CustodyIndex);
            return new StatusTarget(pointer.Version, pointer.Step, TargetStates.Applied, null);
        }
        catch (FleetBundleException ex)
        {
            LogRefused(logger, pointer.Version, ex.Reason, ex.Message);
            return new StatusTarget(pointer.Version, pointer.Step, TargetStates.Failed, $"{ex.Reason}: {ex.Message}");
        }
        catch (InvalidDataException ex)
        {
            // A trusted key file (checked at start) gone or changed since: no bundle can be judged until a person mends it.
            await Core.Catalog.Alerts.RaiseAlertAsync(FleetConfiguration.RefusedAlert, null, null, CustodyEventText($"the fleet's trusted keys cannot be read: {ex.Message}"),
                cancellationToken).ConfigureAwait(false);
            return new StatusTarget(pointer.Version, pointer.Step, TargetStates.Failed, $"trusted keys: {ex.Message}");
        }
    }

    /// <summary>Stops the host to come back with the new settings (`dock run` rebuilds it); where it cannot, says a restart is needed.</summary>
    private async Task<bool> RestartAsync(long version, CancellationToken cancellationToken)
    {
        if (runtime.RestartFor == version) return false;
        if (FleetSettings.Read(Core.Paths.DataDirectory) is { } read && read.Applied.Version == version && runtime.SameSettings(read.Settings))
        {
            runtime.Adopt(read.Applied);
            return false;
        }
        if (!runtime.CanRestart)
        {
            await Core.Catalog.Alerts.RaiseAlertAsync(RestartAlert, null, null, $"fleet bundle version {version} is applied; restart the dock to use its settings",
                cancellationToken).ConfigureAwait(false);
            runtime.RequestRestart(version);
            return false;
        }
        LogRestarting(logger, version);
        runtime.RequestRestart(version);
        lifetime.StopApplication();
        return true;
    }

    private async Task<DockStatus> StatusAsync(FleetConfiguration fleet, StatusTarget? following, CancellationToken cancellationToken)
    {
        var current = await fleet.CurrentAsync(cancellationToken).ConfigureAwait(false);
        var recorders = await Core.Catalog.Recorders.ListRecordersAsync(cancellationToken).ConfigureAwait(false);
        var alerts = (await Core.Catalog.Alerts.ListAlertsAsync(cancellationToken).ConfigureAwait(false)).Where(a => a.IsOpen).ToList();
        var checkpoint = await Core.Log.LatestCheckpointAsync(cancellationToken).ConfigureAwait(false);
        var configs = await Core.RecorderConfiguration.ListAsync(cancellationToken).ConfigureAwait(false);
        var stale = await Core.RecorderConfiguration.StaleAsync(recorders.Select(r => (r.Serial, r.Model)), cancellationToken).ConfigureAwait(false);
        var overrides = new List<string>();
        if (FleetSettings.Read(Core.Paths.DataDirectory) is { } read)
            foreach (var (key, value) in read.Settings)
                if (!string.Equals(configuration[key], value, StringComparison.Ordinal)) overrides.Add(key);
        StatusEndorsement? endorsement = null;
        if (Core.Identity.ExpiringEndorsement is { } e && DockEndorsement.PeekAgencyKey(Core.Paths.EndorsementFile) is { } agency)
            endorsement = new StatusEndorsement(Convert.ToHexStringLower(agency), e.Terms.NotAfterMs, Convert.ToHexStringLower(e.Signature));
        // Applied here, but cameras that did not take its profile make the bundle a failure on this dock: the rollout judges by it.
        int refusedBy = alerts.Count(a => a.Kind == RecorderConfiguration.MismatchAlert);
        int firmwareFailed = alerts.Count(a => a.Kind == RecorderFirmware.FailedAlert);
        if (following is { State: TargetStates.Applied } f && current?.Version == f.Version && refusedBy + firmwareFailed > 0)
            following = f with
            {
                State = TargetStates.Failed,
                Reason = string.Join("; ", new[]
                {
                    refusedBy > 0 ? $"{refusedBy} recorder(s) did not take the bundle's profile (recorder-config-mismatch)" : null,
                    firmwareFailed > 0 ? $"{firmwareFailed} recorder(s) did not take the bundle's firmware (firmware-failed)" : null,
                }.OfType<string>()),
            };
        var firmwareStates = await Core.RecorderFirmware.ListAsync(cancellationToken).ConfigureAwait(false);
        return new DockStatus(Core.Identity.DockId, Convert.ToHexStringLower(Core.Identity.PublicKey.Span), Core.Options.Fleet.Site, time.GetUtcNow(),
            Core.Options.Fleet.StatusInterval.TotalSeconds,
            current is null ? null : new StatusBundle(current.Version, current.Sha256, current.AppliedAt, current.Source),
            following,
            [.. recorders.OrderByDescending(r => r.LastSeen).Take(DockStatus.MaxRecorders).Select(r => (configs.GetValueOrDefault(r.Serial) is { } config
                ? new StatusRecorder(r.Serial, r.Model, r.Firmware, r.LastSeen, config.Sha256, config.Version, stale.Contains(r.Serial))
                : new StatusRecorder(r.Serial, r.Model, r.Firmware, r.LastSeen, Stale: stale.Contains(r.Serial))) with
                {
                    FirmwareSha256 = firmwareStates.GetValueOrDefault(r.Serial)?.Sha256,
                    FirmwareState = firmwareStates.GetValueOrDefault(r.Serial) is { } fw ? (fw.Trial ? "trial" : fw.State) : null,
                })],
            [.. alerts.OrderByDescending(a => a.LastAt).Take(DockStatus.MaxAlerts).Select(a => new StatusAlert(a.Kind, a.RecorderSerial, a.Message, a.At))],
            checkpoint is { } c ? new StatusCheckpoint(c.Size, c.Note) : null, overrides, endorsement);
    }

    private static string CustodyEventText(string text) => Dock.Crypto.Custody.CustodyEvent.FitDetail(text);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied fleet bundle version {Version} (sha256 {Sha256}): custody entry {Index}.")]
    private static partial void LogApplied(ILogger logger, long version, string sha256, long index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused fleet bundle version {Version} ({Reason}): {Message}")]
    private static partial void LogRefused(ILogger logger, long version, string reason, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restarting to run with the settings of fleet bundle version {Version}.")]
    private static partial void LogRestarting(ILogger logger, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A firmware image cannot be had from the fleet store now ({Problem}); the next look tries again.")]
    private static partial void LogImageProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The fleet store {Store} cannot be used now ({Message}); the dock keeps what it runs and looks again.")]
    private static partial void LogStoreProblem(ILogger logger, string store, string message);
}
