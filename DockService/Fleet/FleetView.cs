using System.Globalization;
using Dock.Service.Upload;

namespace Dock.Service.Fleet;

/// <summary>One dock as the fleet view sees it, against the bundle the pointer names.</summary>
public sealed record DockView(string DockId, string? Site, DateTimeOffset LastSeen, bool Silent, long? Version, string State, string? Reason,
    bool InCohort, int OpenAlerts, int Recorders, IReadOnlyList<string> Overrides);

/// <summary>A status object that could not be taken (bad signature, not endorsed, unreadable): listed, never counted.</summary>
public sealed record RejectedStatus(string Key, string Problem);

/// <summary>Where the current rollout stands: the docks its steps have reached, and how many of them applied, wait or failed.</summary>
public sealed record RolloutProgress(long Version, int Step, int Steps, string StepCohort, int Covered, int Applied, int Pending, int Failed, double FailureRate,
    double Threshold);

public sealed record FleetReport(DateTimeOffset At, RolloutPointer? Pointer, RolloutProgress? Progress, IReadOnlyList<DockView> Docks,
    IReadOnlyList<RejectedStatus> Rejected)
{
    public int Silent => Docks.Count(d => d.Silent);
}

/// <summary>
/// The fleet view (fleet-bundle-v1.md §5.4): every dock's signed status read from the store, judged against the pointer and its bundle's
/// plan. `dock fleet status` and the console show it; `dock fleet rollout advance` moves the pointer by it.
/// </summary>
public static class FleetView
{
    /// <summary>A dock is silent after this many of its own status intervals without a status.</summary>
    public const int SilentAfterIntervals = 3;

    public const int MaxDocks = 20_000;

    public static async Task<FleetReport> ReadAsync(FleetStore store, byte[]? agencyKey, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var (status, pointer, _) = await store.ReadPointerAsync(null, cancellationToken).ConfigureAwait(false);
        FleetBundle? bundle = null;
        if (status == FetchStatus.Found)
        {
            var note = await store.ReadBundleAsync(pointer!.Version, pointer.Sha256, cancellationToken).ConfigureAwait(false);
            bundle = agencyKey is not null ? BundleNote.Open(note, [new ConfigKey(agencyKey, "--trust")]).Bundle : BundleNote.Peek(note);
        }
        var docks = new List<DockView>();
        var rejected = new List<RejectedStatus>();
        foreach (var (key, content, unreadable) in await store.ReadStatusesAsync(MaxDocks, cancellationToken).ConfigureAwait(false))
        {
            if (content is null)
            {
                rejected.Add(new RejectedStatus(key, unreadable ?? "cannot be read"));
                continue;
            }
            if (!DockStatus.TryOpen(content, agencyKey, out var s, out var problem))
            {
                rejected.Add(new RejectedStatus(key, problem));
                continue;
            }
            if (key != store.StatusKey(s.DockId))
            {
                rejected.Add(new RejectedStatus(key, $"signed by dock {s.DockId}, stored under another dock's name"));
                continue;
            }
            var silent = now - s.At > TimeSpan.FromSeconds(Math.Max(1, s.StatusIntervalSeconds) * SilentAfterIntervals);
            bool inCohort = pointer is not null && bundle!.Rollout.Covers(pointer.Step, s.DockId, s.Site);
            string state;
            string? reason = null;
            if (pointer is null) state = s.Bundle is null ? "none" : TargetStates.Applied;
            else if (s.Target is { State: TargetStates.Failed } t && t.Version == pointer.Version)
            {
                // Refused, or applied with cameras that would not take its profile.
                state = TargetStates.Failed;
                reason = t.Reason;
            }
            else if (s.Bundle is { } b && b.Version >= pointer.Version) state = TargetStates.Applied;
            else state = inCohort ? TargetStates.Pending : TargetStates.Waiting;
            docks.Add(new DockView(s.DockId, s.Site, s.At, silent, s.Bundle?.Version, state, reason, inCohort, s.Alerts.Count, s.Recorders.Count, s.Overrides));
        }
        RolloutProgress? progress = null;
        if (pointer is not null)
        {
            var covered = docks.Where(d => d.InCohort).ToList();
            int failed = covered.Count(d => d.State == TargetStates.Failed);
            progress = new RolloutProgress(pointer.Version, pointer.Step, pointer.Steps, bundle!.Rollout.Steps[Math.Min(pointer.Step, bundle.Rollout.Steps.Count - 1)].ToString(),
                covered.Count, covered.Count(d => d.State == TargetStates.Applied), covered.Count(d => d.State == TargetStates.Pending), failed,
                covered.Count == 0 ? 0 : failed / (double)covered.Count, bundle.Rollout.FailureThreshold);
        }
        return new FleetReport(now, pointer, progress, docks, rejected);
    }

    /// <summary>Why the pointer may not move to the next step (null: it may): the step's failure rate above the plan's threshold, docks of
    /// the step that have not reported the version yet (unless <paramref name="allowPending"/>), or no next step.</summary>
    public static string? RefusalToAdvance(FleetReport report, bool allowPending)
    {
        if (report.Pointer is not { } pointer || report.Progress is not { } p) return "nothing is published under this prefix";
        if (pointer.Step + 1 >= pointer.Steps) return $"version {pointer.Version} is already at its last step ({p.StepCohort})";
        if (p.FailureRate > p.Threshold)
            return string.Create(CultureInfo.InvariantCulture,
                $"{p.Failed} of the {p.Covered} docks of step {pointer.Step + 1} ({p.StepCohort}) failed version {pointer.Version}: {p.FailureRate * 100:0.#}%, above the plan's {p.Threshold * 100:0.#}%");
        if (p.Covered == 0 && !allowPending) return $"no dock of step {pointer.Step + 1} ({p.StepCohort}) has reported yet (--allow-pending to go on)";
        if (p.Pending > 0 && !allowPending)
            return $"{p.Pending} of the {p.Covered} docks of step {pointer.Step + 1} ({p.StepCohort}) have not applied version {pointer.Version} yet (--allow-pending to go on)";
        return null;
    }

    /// <summary>Moves the pointer one step on, when <see cref="RefusalToAdvance"/> allows; returns the new pointer, or the refusal.</summary>
    public static async Task<(RolloutPointer? Moved, string? Refusal, FleetReport Report)> AdvanceAsync(FleetStore store, byte[]? agencyKey, string actor,
        bool allowPending, TimeProvider time, CancellationToken cancellationToken)
    {
        var report = await ReadAsync(store, agencyKey, time, cancellationToken).ConfigureAwait(false);
        if (RefusalToAdvance(report, allowPending) is { } refusal) return (null, refusal, report);
        var pointer = report.Pointer!;
        var p = report.Progress!;
        var now = time.GetUtcNow();
        var judged = string.Create(CultureInfo.InvariantCulture, $"step {pointer.Step + 1}: {p.Applied} applied, {p.Failed} failed, {p.Pending} pending of {p.Covered}");
        var moved = pointer with { Step = pointer.Step + 1, StepAt = now, History = [.. pointer.History, new RolloutMove(pointer.Step + 1, now, actor, judged)] };
        await store.WritePointerAsync(moved, actor, cancellationToken).ConfigureAwait(false);
        return (moved, null, report);
    }
}
