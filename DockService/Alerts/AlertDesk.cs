using Dock.Crypto.Custody;
using Dock.Service.Catalog;
using Dock.Service.Custody;

namespace Dock.Service.Alerts;

/// <summary>A person-facing failure on an alert (none with that id, no reason given).</summary>
public sealed class AlertException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound => notFound;
}

/// <summary>
/// What people do with alerts (R10): list them and acknowledge one with a reason. An acknowledgement is a custody event whose actor
/// is the person, committed with the alert's change; it does not resolve the alert (only its cause going away does).
/// </summary>
public sealed class AlertDesk(AlertStore alerts, CustodyLog log)
{
    /// <summary>At most 300 characters: with the prefix, the custody detail stays within its 1,024 bytes even in CJK (3 bytes each).</summary>
    public const int MaxReasonLength = 300;

    public Task<Paged<AlertRecord>> ListAsync(bool? open, int page, int pageSize, CancellationToken cancellationToken) =>
        alerts.SearchAlertsAsync(open, page, pageSize, cancellationToken);

    public async Task<AlertRecord> AcknowledgeAsync(long id, string actor, string reason, CancellationToken cancellationToken)
    {
        reason = reason.Trim();
        if (reason.Length == 0) throw new AlertException("An acknowledgement needs a reason.");
        if (reason.Length > MaxReasonLength || reason.Any(char.IsControl))
            throw new AlertException($"A reason is one line of at most {MaxReasonLength} characters.");
        var alert = await alerts.GetAlertAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new AlertException($"There is no alert {id}.", notFound: true);
        var detail = $"alert {id} ({alert.Kind}) acknowledged: {reason}";
        await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.AlertAcknowledged, at, log.DockId, actor, alert.RecorderSerial,
            alert.ClipId, Detail: detail), cancellationToken,
            (c, tx, entry) => AlertStore.AcknowledgeAlertAsync(c, tx, id, actor, reason, entry.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture)))
            .ConfigureAwait(false);
        return (await alerts.GetAlertAsync(id, cancellationToken).ConfigureAwait(false))!;
    }
}
