using Dock.Service.Configuration;
using Dock.Service.Registry;

namespace Dock.Service.Equipment;

/// <summary>A unit's equipment policy (R4): serviceable recorders per enforcement officer, a minimum spare pool, a minimum of ready cameras.</summary>
public sealed record UnitPolicy(double Ratio, int MinimumSpare, int MinimumReady);

/// <summary>One unit measured against its policy at one moment. Serviceable recorders are those whose home unit it is, in service or spare
/// (not in repair, not retired); officers are its enforcement officers (auxiliary staff only assist, R9, and need no camera of their own).</summary>
public sealed record UnitCompliance(
    string Unit,
    string Name,
    int Officers,
    int Auxiliaries,
    int ServiceableRecorders,
    int SpareRecorders,
    int ReadyRecorders,
    int CheckedOut,
    UnitPolicy Policy,
    int RequiredRecorders,
    bool Compliant,
    IReadOnlyList<string> Problems)
{
    /// <summary>Serviceable recorders per officer; null for a unit without officers.</summary>
    public double? Ratio => Officers == 0 ? null : Math.Round((double)ServiceableRecorders / Officers, 3);
}

/// <summary>
/// The one owner of the equipment-ratio judgement: which policy applies to a unit (its own in <c>Dock:Equipment:Units</c>, else the
/// defaults), and whether the unit keeps it. Pure: the figures come in, the judgement goes out, so the CLI, the watch and the checkout all
/// judge alike.
/// </summary>
public static class RatioPolicy
{
    public static UnitPolicy For(string unit, EquipmentOptions options)
    {
        var own = options.Units.FirstOrDefault(u => string.Equals(u.Unit, unit, StringComparison.Ordinal));
        return new UnitPolicy(own?.Ratio ?? options.Ratio, own?.MinimumSpare ?? options.MinimumSpare, own?.MinimumReady ?? options.MinimumReady);
    }

    /// <summary>Recorders a unit must keep serviceable for <paramref name="officers"/> officers: the ratio times the officers, rounded up
    /// (a ratio of 1.2 for 5 officers needs 6).</summary>
    public static int Required(double ratio, int officers) => (int)Math.Ceiling(ratio * officers - 1e-9);

    public static IReadOnlyList<UnitCompliance> Evaluate(IReadOnlyList<Unit> units, IReadOnlyList<Officer> officers, IReadOnlyList<RegisteredRecorder> recorders,
        IReadOnlySet<string> readySerials, IReadOnlySet<string> checkedOutSerials, EquipmentOptions options) =>
        [.. units.Select(unit => Evaluate(unit, officers, recorders, readySerials, checkedOutSerials, options))];

    public static UnitCompliance Evaluate(Unit unit, IReadOnlyList<Officer> officers, IReadOnlyList<RegisteredRecorder> recorders,
        IReadOnlySet<string> readySerials, IReadOnlySet<string> checkedOutSerials, EquipmentOptions options)
    {
        var policy = For(unit.Id, options);
        var staff = officers.Where(o => o.UnitId == unit.Id).ToList();
        int enforcement = staff.Count(o => o.Role == OfficerRole.Officer);
        var own = recorders.Where(r => r.HomeUnit == unit.Id).ToList();
        int serviceable = own.Count(r => r.Status is RecorderStatus.InService or RecorderStatus.Spare);
        int spare = own.Count(r => r.Status == RecorderStatus.Spare);
        int ready = own.Count(r => readySerials.Contains(r.Serial));
        int out_ = own.Count(r => checkedOutSerials.Contains(r.Serial));
        int required = Required(policy.Ratio, enforcement);
        var problems = new List<string>();
        if (serviceable < required)
            problems.Add($"{serviceable} serviceable recorder(s) for {enforcement} officer(s): the ratio {policy.Ratio:0.##} needs {required}");
        if (spare < policy.MinimumSpare) problems.Add($"{spare} spare recorder(s), below the minimum of {policy.MinimumSpare}");
        if (ready < policy.MinimumReady) problems.Add($"{ready} camera(s) ready for checkout, below the minimum of {policy.MinimumReady}");
        return new UnitCompliance(unit.Id, unit.Name, enforcement, staff.Count - enforcement, serviceable, spare, ready, out_, policy, required,
            problems.Count == 0, problems);
    }
}
