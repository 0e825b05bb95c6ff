using Dock.Crypto.Custody;
using Dock.DeviceProtocol.CommandChannel;
using Dock.Service.Bays;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Catalog;
using Dock.Service.Enrolment;

namespace Dock.Service.Recorders;

/// <summary>
/// Writes the officer (and unit) a mass-storage recorder tags its footage with, over its command channel (`dock recorders assign`):
/// reads the old value, writes, reads back, and only a read-back that matches is recorded, as a recorder-assigned custody entry
/// naming who assigned it, then checkpointed.
/// </summary>
public static class OfficerAssignment
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Returns the recorder's serial and the officer it held before (null when none).</summary>
    public static async Task<(string Serial, string? Before)> AssignAsync(CustodyLog log, BayEndpoint endpoint, string password, OfficerInfo written,
        string reason, string actor, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Deadline);
        var transport = await BayConnector.TryConnectAsync(endpoint, timeout.Token).ConfigureAwait(false)
            ?? throw new EnrolmentException($"No recorder answers at {endpoint}.");
        await using var channel = new CommandChannelClient(transport);
        await channel.LoginAsync(password, timeout.Token).ConfigureAwait(false);
        var identity = await channel.IdentifyAsync(timeout.Token).ConfigureAwait(false);
        var before = await channel.ReadOfficerAsync(timeout.Token).ConfigureAwait(false);
        await channel.WriteOfficerAsync(written, timeout.Token).ConfigureAwait(false);
        var after = await channel.ReadOfficerAsync(timeout.Token).ConfigureAwait(false);
        if (after != written)
            throw new EnrolmentException($"Recorder {identity.Serial} accepted the officer but reads back {after.OfficerId} ({after.Name}); nothing recorded.");
        var was = before.OfficerId.Length > 0 ? before.OfficerId : null;
        var detail = $"officer {written.OfficerId} ({written.Name}), unit {written.UnitId} ({written.UnitName}) written over {channel.Endpoint}; " +
            $"was {was ?? "unassigned"}: {reason}";
        await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.RecorderAssigned, at, log.DockId, actor, identity.Serial, Detail: detail),
            cancellationToken).ConfigureAwait(false);
        await log.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        return (identity.Serial, was);
    }
}
