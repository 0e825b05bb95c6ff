using System.Globalization;
using Dock.Service.Catalog;
using Dock.Service.Configuration;

namespace Dock.Service.Equipment;

/// <summary>What one finding rests on, for the person who decides to replace the pack.</summary>
public sealed record BatteryFinding(string Kind, string Evidence);

/// <summary>
/// A battery judged from its charging log: the constant-current charge rate, earliest and latest in the window; how long a full pack lasts,
/// estimated from how much it drained between dockings; how often it failed to reach full; the camera's own health figure and cycles; and
/// whether to replace it, with each finding's evidence.
/// </summary>
public sealed record BatteryVerdict(
    string Serial,
    int Sessions,
    int? Cycles,
    int? ReportedHealth,
    double? EarliestRate,
    double? LatestRate,
    double? RuntimeHours,
    int FailedToFill,
    bool Replace,
    IReadOnlyList<BatteryFinding> Findings,
    IReadOnlyList<ChargeSessionSummary> History);

/// <summary>One docking's charging, as the report shows it.</summary>
public sealed record ChargeSessionSummary(long Session, string Bay, DateTimeOffset DockedAt, DateTimeOffset? LeftAt, int StartPercent, int LastPercent,
    double? TimeToFullHours, double Delivered, double? ChargeRate, bool Fault);

/// <summary>
/// The one judge of battery health, from the curves themselves rather than the camera's own figure (which many packs never update):
/// <list type="bullet">
/// <item>a constant-current charge rate fallen by <see cref="EquipmentOptions.ChargeRateDrop"/> from the earliest dockings of the window
/// to the latest (internal resistance grows);</item>
/// <item>a capacity that no longer covers <see cref="EquipmentOptions.ShiftLength"/>: the drain between dockings (charge at leaving, charge at
/// the next docking, the hours between) says how long a full pack lasts;</item>
/// <item>repeated failures to reach full: <see cref="EquipmentOptions.FailuresToFlag"/> of the last five dockings that lasted
/// <see cref="EquipmentOptions.FullChargeWithin"/> or more and never read full;</item>
/// <item>a charge fault the camera reported.</item>
/// </list>
/// Pure: the summaries come in (newest first), the verdict goes out.
/// </summary>
public static class BatteryHealth
{
    /// <summary>A shift's drain counts only over a gap this long and a fall this large (a camera left a few minutes, or idle in a locker,
    /// says little).</summary>
    private static readonly TimeSpan MinimumGap = TimeSpan.FromHours(2);
    private const int MinimumFall = 10;

    public static BatteryVerdict Judge(string serial, IReadOnlyList<ChargeSessionRecord> newestFirst, EquipmentOptions options, int attentionHealthPercent)
    {
        var window = newestFirst.Take(options.HealthWindow).Reverse().ToList(); // oldest first
        var findings = new List<BatteryFinding>();
        string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

        // The charge rate: the mean of the two earliest dockings that tell one against the two latest.
        var rates = window.Where(s => s.ChargeRate is not null).Select(s => s.ChargeRate!.Value).ToList();
        double? earliest = rates.Count >= 4 ? rates.Take(2).Average() : null;
        double? latest = rates.Count >= 4 ? rates.TakeLast(2).Average() : rates.Count > 0 ? rates[^1] : null;
        if (earliest is { } first && latest is { } last && last < first * (1 - options.ChargeRateDrop))
            findings.Add(new("charge-rate", $"charges at {F(last)} %/h below 80 %, down from {F(first)} %/h over {rates.Count} dockings " +
                $"({F(100 * (1 - last / first))} % slower): its internal resistance has grown"));

        // The capacity: how fast it drained between leaving a bay and docking again.
        var drains = new List<double>();
        for (int i = 1; i < window.Count; i++)
        {
            if (window[i - 1].LeftAt is not { } left) continue;
            var gap = window[i].FirstAt - left;
            int fall = window[i - 1].LastPercent - window[i].StartPercent;
            if (gap >= MinimumGap && fall >= MinimumFall) drains.Add(fall / gap.TotalHours);
        }
        double? runtime = drains.Count > 0 ? 100 / Median(drains) : null;
        if (runtime is { } hours && hours < options.ShiftLength.TotalHours)
            findings.Add(new("capacity", $"a full charge lasts about {F(hours)} h (it drained {F(Median(drains))} %/h over {drains.Count} shift(s)), " +
                $"less than the {F(options.ShiftLength.TotalHours)} h shift"));

        // Failures to reach full, among the last five dockings long enough to have.
        var recent = window.TakeLast(5).ToList();
        int failed = recent.Count(s => s.FullAt is null && (s.LeftAt ?? s.LastAt) - s.DockedAt >= options.FullChargeWithin);
        if (failed >= options.FailuresToFlag)
        {
            var stuck = recent.Where(s => s.FullAt is null && (s.LeftAt ?? s.LastAt) - s.DockedAt >= options.FullChargeWithin).Select(s => s.LastPercent).ToList();
            findings.Add(new("not-full", $"never reached full in {failed} of its last {recent.Count} dockings of {F(options.FullChargeWithin.TotalHours)} h or more " +
                $"(stopped at {string.Join(", ", stuck.Select(p => $"{p} %"))})"));
        }
        if (window.Any(s => s.Fault)) findings.Add(new("fault", $"reported a charge fault in {window.Count(s => s.Fault)} docking(s)"));

        var newest = window.Count > 0 ? window[^1] : null;
        bool replace = findings.Count > 0;
        // The camera's own figure is shown, and counted only beside the curves' evidence or when it is low.
        if (newest is { } n && n.HealthPercent < attentionHealthPercent)
        {
            findings.Add(new("reported-health", $"the camera reports {n.HealthPercent} % health"));
            replace = true;
        }
        return new BatteryVerdict(serial, window.Count, newest?.CycleCount, newest?.HealthPercent, earliest, latest, runtime, failed, replace, findings,
            [.. window.Select(s => new ChargeSessionSummary(s.SessionId, s.BayId, s.DockedAt, s.LeftAt, s.StartPercent, s.LastPercent,
                s.TimeToFull?.TotalHours, s.Delivered, s.ChargeRate, s.Fault))]);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
