using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;

namespace Dock.Service.Fleet;

/// <summary>One recorder as this dock knows it: the profile and the firmware it said it runs, and where its update stands.</summary>
public sealed record FleetRecorder(string Serial, string Model, string Firmware, DateTimeOffset LastSeen, string? ConfigSha256, long? ConfigVersion,
    bool Stale, string? FirmwareSha256, string? FirmwareState, string? FirmwareDetail, string? FirmwareTarget);

/// <summary>This dock's place in the fleet: the bundle it runs, the ones before, and its recorders' configuration and firmware.</summary>
public sealed record DockFleetState(string DockId, string? Site, string Source, AppliedBundle? Applied, IReadOnlyList<AppliedBundle> History,
    IReadOnlyList<FleetRecorder> Recorders);

/// <summary>
/// What the console's fleet page and the API's <c>/api/v1/fleet</c> show, from the same owners the CLI uses: this dock's bundle and recorders
/// (<see cref="FleetConfiguration"/>, <see cref="RecorderConfiguration"/>, <see cref="RecorderFirmware"/>), and the fleet as the object store
/// has it (<see cref="FleetView"/>, as `dock fleet status`).
/// </summary>
public sealed class FleetOverview(DockCore core, TimeProvider time)
{
    public const int HistoryShown = 10;

    /// <summary>Where this dock follows the fleet: Dock:Fleet:Source, else its cloud target.</summary>
    public string Source => core.Options.Fleet.Source.Length > 0 ? core.Options.Fleet.Source : core.Options.Cloud.Target;

    public async Task<DockFleetState> DockAsync(CancellationToken cancellationToken)
    {
        var history = await core.Fleet.HistoryAsync(HistoryShown, cancellationToken).ConfigureAwait(false);
        var recorders = await core.Catalog.Recorders.ListRecordersAsync(cancellationToken).ConfigureAwait(false);
        var configs = await core.RecorderConfiguration.ListAsync(cancellationToken).ConfigureAwait(false);
        var stale = await core.RecorderConfiguration.StaleAsync(recorders.Select(r => (r.Serial, r.Model)), cancellationToken).ConfigureAwait(false);
        var firmware = await core.RecorderFirmware.ListAsync(cancellationToken).ConfigureAwait(false);
        return new DockFleetState(core.Identity.DockId, core.Options.Fleet.Site, Source, history.FirstOrDefault(), history,
            [.. recorders.OrderBy(r => r.Serial, StringComparer.Ordinal).Select(r =>
            {
                var config = configs.GetValueOrDefault(r.Serial);
                var fw = firmware.GetValueOrDefault(r.Serial);
                return new FleetRecorder(r.Serial, r.Model, r.Firmware, r.LastSeen, config?.Sha256, config?.Version, stale.Contains(r.Serial),
                    fw?.Sha256, fw is null ? null : fw.Trial ? "trial" : fw.State, fw?.Detail, fw?.TargetVersion);
            })]);
    }

    /// <summary>The fleet from the object store (every dock's signed status), or why it cannot be read now.</summary>
    public async Task<(FleetReport? Report, string? Problem)> FleetAsync(CancellationToken cancellationToken)
    {
        if (!CloudTargetUri.TryParse(Source, out var uri, out var error) || uri.Kind == CloudKind.None)
            return (null, uri?.Kind == CloudKind.None ? "this dock follows no object store (Dock:Fleet:Source is none)" : error);
        try
        {
            await using var target = CloudTargets.Create(uri, core.Paths.DataDirectory)!;
            var agency = DockEndorsement.PeekAgencyKey(core.Paths.EndorsementFile);
            return (await FleetView.ReadAsync(new FleetStore(target, uri.Prefix), agency, time, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is CloudException or IOException)
        {
            return (null, ex.Message);
        }
    }
}
