using System.Globalization;
using Dock.Crypto.Custody;
using Dock.DeviceProtocol.CommandChannel;
using Dock.DeviceProtocol.Errors;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Ingest;
using Dock.Service.Recorders;
using Dock.Service.Registry;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Equipment;

/// <summary>Why a checkout was refused, as a code the kiosk words in each language.</summary>
public enum CheckoutRefusal
{
    NotRegistered,
    SecondCamera,
    NoCertificate,
    CertificateExpired,
    AuxiliaryAlone,
    NoReadyCamera,
    UnitMinimum,
    CameraWriteFailed,
}

/// <summary>What a checkout came to: the camera and its bay, or the refusal and its reason; a warning when it went ahead below the unit's
/// minimum; and, refused or not, the cameras looked at with what kept each back.</summary>
public sealed record CheckoutOutcome(
    bool Granted,
    string Message,
    CheckoutRefusal? Refusal = null,
    string? Serial = null,
    string? BayId = null,
    string? Mode = null,
    string? Warning = null,
    DateTimeOffset? DueAt = null,
    IReadOnlyList<CameraProblems>? Considered = null,
    UnitShortfall? BelowMinimum = null)
{
    public string? RefusalCode => Refusal is { } r ? Readiness.Kebab(r.ToString()) : null;
}

public sealed record CameraProblems(string Serial, IReadOnlyList<string> Problems);

/// <summary>The unit a checkout leaves below its minimum of ready cameras, with the figures (the kiosk words them in each language).</summary>
public sealed record UnitShortfall(string Unit, int ReadyLeft, int Minimum);

/// <summary>
/// The one owner of checkout and check-in. An officer asks for a camera (signed in at the kiosk with badge and PIN, or through the API); the
/// dock refuses a second camera, an expired or missing 执法证, auxiliary staff alone (R9: they check out only beside an enforcement officer on
/// duty), and, per policy, a checkout that would leave the unit below its minimum of ready cameras. Otherwise it picks a ready camera — the
/// officer's own in fixed mode, else one of the pool, their unit's first, the fullest battery first — writes the officer to it (DockLink
/// SET_OFFICER, or the mass-storage command channel's WRITE_OFFICER, read back), lights its bay in the "take me" pattern, and records a
/// <c>checked-out</c> custody entry with the checkout row. A refusal is a <c>checkout-refused</c> entry with its reason. Check-in is docking:
/// the camera's next docking closes the checkout (<c>checked-in</c>, by the dock).
/// </summary>
/// <remarks>Built before the dock core opens (the bays take it at construction); it reaches the catalog and the log only when used.</remarks>
public sealed partial class Checkouts(Hosting.DockCore core, DockedRecorders docked, DockActivity activity, TimeProvider time, ILogger<Checkouts> logger)
{
    private DockOptions Options => core.Options;
    private CustodyLog Log => core.Log;
    private CatalogStores Catalog => core.Catalog;

    public const string NotDockedAlert = "camera-not-docked";
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(15);

    // One change of the checkouts at a time (a checkout, a check-in, closing one not taken): two officers at two kiosks are never handed the
    // same camera, and a checkout is never closed twice.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public RegistryStore Registry => new(Catalog.Database);
    public EquipmentStore Store => new(Catalog.Database);

    /// <summary>Raised after every checkout and check-in, and every registry change made through the running dock: the ratio watch looks
    /// again at once.</summary>
    public event Action? Changed;

    /// <summary>Something the policy counts changed elsewhere (a roster imported through the API): judge again now.</summary>
    public void NotifyChanged() => Changed?.Invoke();

    public async Task<CheckoutOutcome> CheckOutAsync(string badge, string actor, string? accompaniedBy, CancellationToken cancellationToken)
    {
        CheckoutOutcome outcome;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            outcome = await DecideAsync(badge, actor, accompaniedBy, cancellationToken).ConfigureAwait(false);
            if (!outcome.Granted)
            {
                var detail = CustodyEvent.FitDetail($"officer {badge}: {outcome.RefusalCode}: {outcome.Message}");
                await Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.CheckoutRefused, at, Log.DockId, actor, Detail: detail),
                    cancellationToken).ConfigureAwait(false);
                LogRefused(logger, badge, outcome.RefusalCode!, outcome.Message);
            }
        }
        finally
        {
            _gate.Release();
        }
        if (outcome.Granted) Changed?.Invoke();
        return outcome;
    }

    private async Task<CheckoutOutcome> DecideAsync(string badge, string actor, string? accompaniedBy, CancellationToken cancellationToken)
    {
        var officers = await Registry.OfficersAsync(cancellationToken).ConfigureAwait(false);
        var officer = officers.FirstOrDefault(o => o.Badge == badge);
        if (officer is null)
            return Refuse(CheckoutRefusal.NotRegistered, $"badge {badge} is not in the officer registry: ask the equipment manager to register you");
        var open = await Store.OpenCheckoutsAsync(cancellationToken).ConfigureAwait(false);
        if (open.FirstOrDefault(c => c.Badge == badge) is { } held)
            return Refuse(CheckoutRefusal.SecondCamera,
                $"you hold camera {held.Serial} since {Local(held.OutAt)}: dock it first (one camera per officer)");
        var today = DateOnly.FromDateTime(time.GetLocalNow().DateTime);
        if (officer.Role == OfficerRole.Officer && CertificateProblem(officer, today) is { } certificate)
            return certificate;
        Officer? partner = null;
        if (officer.Role == OfficerRole.Auxiliary)
        {
            // R9: auxiliary staff assist an enforcement officer and never act alone. The officer they accompany must hold a valid 执法证
            // and be on duty now (a camera of theirs out).
            if (string.IsNullOrWhiteSpace(accompaniedBy))
                return Refuse(CheckoutRefusal.AuxiliaryAlone,
                    "auxiliary staff only assist an enforcement officer (R9): give the badge of the officer you accompany");
            partner = officers.FirstOrDefault(o => o.Badge == accompaniedBy.Trim());
            if (partner is null || partner.Role != OfficerRole.Officer)
                return Refuse(CheckoutRefusal.AuxiliaryAlone, $"{accompaniedBy.Trim()} is not a registered enforcement officer: auxiliary staff only assist one (R9)");
            if (CertificateProblem(partner, today) is not null)
                return Refuse(CheckoutRefusal.AuxiliaryAlone, $"the officer you accompany, {partner.Badge}, has no valid 执法证: auxiliary staff only assist one who has (R9)");
            if (open.All(c => c.Badge != partner.Badge))
                return Refuse(CheckoutRefusal.AuxiliaryAlone,
                    $"the officer you accompany, {partner.Badge}, has no camera out: they check out first, then you (R9)");
        }

        var recorders = await Registry.RecordersAsync(cancellationToken).ConfigureAwait(false);
        var facts = await LiveFactsAsync(recorders, cancellationToken).ConfigureAwait(false);
        var boundToMe = recorders.Where(r => r.Officer == badge).Select(r => r.Serial).ToHashSet(StringComparer.Ordinal);
        bool fixedMode = boundToMe.Count > 0;
        var candidates = facts.Where(f => f.Registered is { } r && (fixedMode ? boundToMe.Contains(r.Serial) : r.Officer is null)).ToList();
        var judged = candidates.Select(f => (Facts: f, Problems: Readiness.Problems(f, Options.Equipment, Options.StorageNearlyFullPercent, badge))).ToList();
        var considered = judged.Where(j => j.Facts.BayId is not null || fixedMode)
            .Select(j => new CameraProblems(j.Facts.Serial, [.. j.Problems.Select(p => p.Detail)])).ToList();
        var ready = judged.Where(j => j.Problems.Count == 0).Select(j => j.Facts)
            .OrderByDescending(f => f.Registered!.HomeUnit == officer.UnitId).ThenByDescending(f => f.BatteryPercent).ThenBy(f => f.Serial, StringComparer.Ordinal)
            .ToList();
        if (ready.Count == 0)
        {
            var why = fixedMode
                ? $"your camera {string.Join(", ", boundToMe)} is not ready: " + string.Join("; ", considered.SelectMany(c => c.Problems).Take(4))
                : considered.Count == 0 ? "no pool camera is in a bay" : $"no pool camera is ready ({considered.Count} in the bays: " +
                    string.Join("; ", considered.Take(3).Select(c => $"{c.Serial} {string.Join(", ", c.Problems)}")) + ")";
            return Refuse(CheckoutRefusal.NoReadyCamera, why, considered);
        }
        var pick = ready[0];
        var unitId = pick.Registered!.HomeUnit ?? officer.UnitId;

        // The unit's minimum of ready cameras, after this one leaves.
        string? warning = null;
        UnitShortfall? shortfall = null;
        var policy = RatioPolicy.For(unitId, Options.Equipment);
        int readyInUnit = facts.Count(f => f.Registered?.HomeUnit == unitId && Readiness.IsReady(f, Options.Equipment, Options.StorageNearlyFullPercent));
        if (readyInUnit - 1 < policy.MinimumReady)
        {
            var text = $"unit {unitId} would keep {readyInUnit - 1} ready camera(s), below its minimum of {policy.MinimumReady}";
            shortfall = new UnitShortfall(unitId, readyInUnit - 1, policy.MinimumReady);
            if (Options.Equipment.BelowMinimum == BelowMinimum.Refuse)
                return Refuse(CheckoutRefusal.UnitMinimum, text + ": ask a supervisor", considered) with { BelowMinimum = shortfall };
            warning = text;
        }

        var units = await Registry.UnitsAsync(cancellationToken).ConfigureAwait(false);
        var unitName = units.FirstOrDefault(u => u.Id == officer.UnitId)?.Name ?? officer.UnitId;
        // Taken out of its bay since the facts were read: not this camera.
        if (docked.Find(pick.Serial) is not { } live)
            return Refuse(CheckoutRefusal.NoReadyCamera, $"camera {pick.Serial} left its bay just now: try again", considered);
        string before;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(WriteTimeout);
            before = await live.Recorder.SetOfficerAsync(new OfficerInfo(badge, Fit(officer.Name), officer.UnitId, Fit(unitName)), timeout.Token)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DockLinkException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return Refuse(CheckoutRefusal.CameraWriteFailed, $"the dock could not write your badge to camera {pick.Serial} ({ex.Message}): try again", considered);
        }

        var outAt = time.GetUtcNow();
        var due = outAt + Options.Equipment.ShiftLength;
        var mode = fixedMode ? "fixed" : "pool";
        var detail = CustodyEvent.FitDetail($"officer {badge} ({officer.Name}), unit {officer.UnitId}, {mode}, bay {live.BayId}" +
            (partner is not null ? $", accompanying {partner.Badge}" : "") +
            $"; officer written to the camera (was {(before.Length > 0 ? before : "none")}); due back by {Local(due + Options.Equipment.DockWithin)}" +
            (warning is not null ? $"; warning: {warning}" : ""));
        await Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.CheckedOut, at, Log.DockId, actor, pick.Serial, Detail: detail),
            cancellationToken, (c, tx, entry) => EquipmentStore.InsertCheckoutAsync(c, tx, pick.Serial, badge, officer.UnitId, mode, live.BayId, live.SessionId,
                partner?.Badge, entry.At, entry.Index, entry.At + Options.Equipment.ShiftLength, cancellationToken)).ConfigureAwait(false);
        activity.SetBay(live.BayId, b => b.Serial == pick.Serial ? b with { OfficerId = badge, PickedFor = badge } : b);
        LogCheckedOut(logger, badge, pick.Serial, live.BayId, mode);
        return new CheckoutOutcome(true, $"take camera {pick.Serial} from bay {live.BayId}", Serial: pick.Serial, BayId: live.BayId, Mode: mode,
            Warning: warning, DueAt: due, Considered: considered, BelowMinimum: shortfall);
    }

    /// <summary>Check-in is docking: the camera's open checkout closes (<c>checked-in</c>, by the dock, saying whether it came back in time), and
    /// its <c>camera-not-docked</c> alert resolves. A camera that has not left since its checkout (a link that dropped and rejoined while it sat
    /// in the bay), or came back within <see cref="EquipmentOptions.ReturnAfter"/>, is not a return: the checkout stands and its bay stays lit.</summary>
    public async Task CheckInAsync(string serial, string bayId, long dockingSession, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CheckInLockedAsync(serial, bayId, dockingSession, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task CheckInLockedAsync(string serial, string bayId, long dockingSession, CancellationToken cancellationToken)
    {
        var open = (await Store.OpenCheckoutsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(c => c.Serial == serial);
        if (open is null) return;
        var left = docked.LeftAt(serial);
        bool stayed = left is { } l ? l < open.OutAt || time.GetUtcNow() - l < Options.Equipment.ReturnAfter : open.DockingSession == dockingSession;
        if (stayed)
        {
            activity.SetBay(bayId, b => b.Serial == serial ? b with { PickedFor = open.Badge, OfficerId = open.Badge } : b);
            return;
        }
        var now = time.GetUtcNow();
        var late = now - (open.DueAt + Options.Equipment.DockWithin);
        var detail = CustodyEvent.FitDetail($"officer {open.Badge}: docked in bay {bayId} after {Span(now - open.OutAt)} out" +
            (late > TimeSpan.Zero ? $", {Span(late)} after it was due" : ", in time") + $" (checked out at entry {open.OutIndex})");
        await Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.CheckedIn, at, Log.DockId, Log.DockId, serial, Detail: detail),
            cancellationToken, (c, tx, entry) => EquipmentStore.CloseCheckoutAsync(c, tx, open.Id, entry.At, entry.Index, $"docked in bay {bayId}", cancellationToken))
            .ConfigureAwait(false);
        await Catalog.Alerts.ResolveAlertsAsync(NotDockedAlert, serial, null, $"docked in bay {bayId}", cancellationToken).ConfigureAwait(false);
        LogCheckedIn(logger, open.Badge, serial, bayId);
        Changed?.Invoke();
    }

    /// <summary>A checkout whose camera never left its bay within <see cref="EquipmentOptions.TakeWithin"/> was not taken (the officer walked
    /// away, or took another): it is closed (<c>checked-in</c>, by the dock, "not taken") and the camera is back in the pool, its bay no longer
    /// lit. Returns how many were closed.</summary>
    public async Task<int> CloseUntakenAsync(CancellationToken cancellationToken)
    {
        int closed = 0;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            closed = await CloseUntakenLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
        if (closed > 0) Changed?.Invoke();
        return closed;
    }

    private async Task<int> CloseUntakenLockedAsync(CancellationToken cancellationToken)
    {
        int closed = 0;
        var now = time.GetUtcNow();
        foreach (var open in await Store.OpenCheckoutsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (now - open.OutAt < Options.Equipment.TakeWithin || docked.Find(open.Serial) is not { } live || live.SessionId != open.DockingSession) continue;
            if (docked.LeftAt(open.Serial) is { } left && left > open.OutAt) continue; // it left and came back: a return, judged at its docking
            var detail = CustodyEvent.FitDetail($"officer {open.Badge}: not taken from bay {live.BayId} within {Span(Options.Equipment.TakeWithin)} of its checkout " +
                $"(entry {open.OutIndex}); back in the pool");
            await Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.CheckedIn, at, Log.DockId, Log.DockId, open.Serial, Detail: detail),
                cancellationToken, (c, tx, entry) => EquipmentStore.CloseCheckoutAsync(c, tx, open.Id, entry.At, entry.Index, $"not taken from bay {live.BayId}",
                    cancellationToken)).ConfigureAwait(false);
            activity.SetBay(live.BayId, b => b.Serial == open.Serial ? b with { PickedFor = null } : b);
            closed++;
        }
        return closed;
    }

    /// <summary>Every camera with what the dock sees of it now: the catalog's facts, refined by the bays (a docking not finished is busy;
    /// trust is the docking's own judgement; whether the dock can write an officer to it).</summary>
    public async Task<IReadOnlyList<CameraFacts>> LiveFactsAsync(IReadOnlyList<RegisteredRecorder> recorders, CancellationToken cancellationToken)
    {
        var facts = await Store.CameraFactsAsync(recorders, Options.ReleasePolicy != ReleasePolicy.Never, cancellationToken).ConfigureAwait(false);
        var bays = activity.Bays.Where(b => b.Serial is not null).ToDictionary(b => b.Serial!, StringComparer.Ordinal);
        // Models as the cameras gave them at docking (the catalog), for the applied bundle's profiles.
        var models = (await core.Catalog.Recorders.ListRecordersAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Serial, r => r.Model, StringComparer.Ordinal);
        var stale = await core.RecorderConfiguration.StaleAsync(facts.Where(f => models.ContainsKey(f.Serial)).Select(f => (f.Serial, models[f.Serial])),
            cancellationToken).ConfigureAwait(false);
        return [.. facts.Select(f => f with { StaleConfiguration = stale.Contains(f.Serial) }).Select(f =>
        {
            var live = docked.Find(f.Serial);
            if (live is null) return f with { BayId = null, Busy = false };
            var bay = bays.GetValueOrDefault(f.Serial);
            bool busy = bay is null || !bay.Finished || bay.Phase is not (BayPhase.Done or BayPhase.Attention);
            return f with
            {
                BayId = live.BayId, Busy = busy, Trusted = live.Trusted, CanBind = live.Recorder.CanSetOfficer,
                BatteryPercent = bay?.BatteryPercent ?? f.BatteryPercent,
            };
        })];
    }

    private CheckoutOutcome? CertificateProblem(Officer officer, DateOnly today) =>
        officer.Certificate is null
            ? Refuse(CheckoutRefusal.NoCertificate, $"no 执法证 is on record for {officer.Badge}: enforcement officers act only with one; ask the equipment manager")
            : officer.CertificateExpires is { } expires && expires < today
                ? Refuse(CheckoutRefusal.CertificateExpired,
                    $"执法证 {officer.Certificate} of {officer.Badge} expired on {RegistryNames.Day(expires)}: renew it before taking a camera")
                : null;

    private static CheckoutOutcome Refuse(CheckoutRefusal refusal, string message, IReadOnlyList<CameraProblems>? considered = null) =>
        new(false, message, refusal, Considered: considered);

    private string Local(DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, time.LocalTimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    internal static string Span(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes:D2} min" : $"{Math.Max(0, (int)span.TotalMinutes)} min";

    /// <summary>A name fits the wire's 64 bytes (a longer one is cut on a character boundary).</summary>
    private static string Fit(string text)
    {
        while (System.Text.Encoding.UTF8.GetByteCount(text) > DeviceProtocol.Messages.SetOfficer.MaxNameBytes) text = text[..^1];
        return text;
    }


    [LoggerMessage(Level = LogLevel.Information, Message = "Checkout: officer {Badge} takes {Serial} from bay {Bay} ({Mode})")]
    private static partial void LogCheckedOut(ILogger logger, string badge, string serial, string bay, string mode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checkout refused to officer {Badge}: {Code}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string badge, string code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Check-in: {Serial} of officer {Badge} docked in bay {Bay}")]
    private static partial void LogCheckedIn(ILogger logger, string badge, string serial, string bay);
}
