using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Metadata;
using Dock.Service.Users;

namespace Dock.Service.Retention;

/// <summary>A hold request refused, with what to do.</summary>
public sealed class HoldException(string message, bool notFound = false, bool forbidden = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
    public bool Forbidden { get; } = forbidden;
}

/// <summary>
/// The one owner of legal holds: a hold on a clip, or on a case (every clip tagged with its number, now or later), blocks every purge
/// of what it covers until it is lifted. Placing and lifting each need a reason and each is a custody entry (<c>hold-placed</c>,
/// <c>hold-lifted</c>) committed with the hold's row; a hold's id is the index of the entry that placed it. Lifting needs a role that may
/// lift (<see cref="MayLift"/>) through the HTTP faces; the CLI acts as the dock host's operator, named <c>user@host</c> as everywhere.
/// </summary>
public sealed class LegalHolds(HoldStore holds, ClipStore clips, CustodyLog log)
{
    /// <summary>The roles that may lift a hold: a supervisor answers for the case, not the officer whose footage it is.</summary>
    public static readonly IReadOnlyList<string> MayLift = [Roles.Supervisor];

    /// <summary>The roles that may place one through the console or API: those who answer for footage, and those who audit it.</summary>
    public static readonly IReadOnlyList<string> MayPlace = [Roles.Supervisor, Roles.Auditor];

    public HoldStore Store => holds;

    /// <summary>Places a hold on one clip.</summary>
    public async Task<LegalHold> PlaceOnClipAsync(string actor, string serial, string clipId, string reason, CancellationToken cancellationToken)
    {
        reason = Reason(reason);
        var clip = (Identifier.IsValid(serial) && clipId.Length <= 80 ? await clips.FindClipAsync(serial, clipId, cancellationToken).ConfigureAwait(false) : null)
            ?? throw new HoldException($"The catalog holds no clip {clipId} of recorder {serial}.", notFound: true);
        var entry = await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.HoldPlaced, at, log.DockId, actor, clip.RecorderSerial,
            clip.ClipId, clip.DeviceSha256.Length == 64 ? clip.DeviceSha256 : null, Detail: $"hold {index} on this clip: {reason}"), cancellationToken,
            (c, tx, e) => HoldStore.InsertAsync(c, tx, e.Index, clip.Id, null, reason, actor, e.At, cancellationToken)).ConfigureAwait(false);
        return (await holds.GetAsync(entry.Index, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Places a hold on a case: every clip whose case-number tag is <paramref name="caseNumber"/>, those tagged later too.</summary>
    public async Task<LegalHold> PlaceOnCaseAsync(string actor, string caseNumber, string reason, CancellationToken cancellationToken)
    {
        reason = Reason(reason);
        caseNumber = caseNumber.Trim();
        if (caseNumber.Length == 0) throw new HoldException("The case number: give one.");
        if (Tags.TextProblem(caseNumber, Tags.MaxValueBytes) is { } problem) throw new HoldException($"The case number: {problem}.");
        var entry = await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.HoldPlaced, at, log.DockId, actor,
            Detail: $"hold {index} on case {caseNumber}: {reason}"), cancellationToken,
            (c, tx, e) => HoldStore.InsertAsync(c, tx, e.Index, null, caseNumber, reason, actor, e.At, cancellationToken)).ConfigureAwait(false);
        return (await holds.GetAsync(entry.Index, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Lifts a standing hold. <paramref name="roles"/> are the person's roles (null: the host's operator at the CLI).</summary>
    public async Task<LegalHold> LiftAsync(string actor, IReadOnlyCollection<string>? roles, long id, string reason, CancellationToken cancellationToken)
    {
        reason = Reason(reason);
        if (roles is not null && !roles.Any(MayLift.Contains))
            throw new HoldException($"Lifting a legal hold needs the role {string.Join(" or ", MayLift)}.", forbidden: true);
        var hold = await holds.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new HoldException($"There is no hold {id}.", notFound: true);
        if (!hold.Active) throw new HoldException($"Hold {id} was lifted already, by {hold.LiftedBy} at {hold.LiftedAt:u}.");
        try
        {
            await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.HoldLifted, at, log.DockId, actor, hold.Serial, hold.ClipId,
                Detail: $"hold {id} on {(hold.CaseNumber is { } number ? $"case {number}" : "this clip")} lifted: {reason}"), cancellationToken,
                (c, tx, e) => HoldStore.LiftAsync(c, tx, id, reason, actor, e.At, e.Index, cancellationToken)).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.Kind == StorageFailure.InvalidTransition)
        {
            throw new HoldException(ex.Message);
        }
        return (await holds.GetAsync(id, cancellationToken).ConfigureAwait(false))!;
    }

    private static string Reason(string? reason)
    {
        var text = reason?.Trim() ?? "";
        if (text.Length == 0) throw new HoldException("Give a reason: a hold and its lifting are answered for in the custody log.");
        if (Tags.TextProblem(text, Tags.MaxReasonBytes) is { } problem) throw new HoldException($"The reason: {problem}.");
        return text;
    }
}
