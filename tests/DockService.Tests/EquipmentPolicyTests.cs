using Dock.Service.Configuration;
using Dock.Service.Equipment;
using Dock.Service.Registry;

namespace Dock.Service.Tests;

/// <summary>The pure judgements of the equipment: whether a camera may be handed out, whether a unit keeps its policy, and the share of a
/// period it complied.</summary>
public sealed class EquipmentPolicyTests
{
    private static readonly EquipmentOptions Options = new() { CheckoutMinimumBattery = 80 };
    private static readonly RegisteredRecorder InService = new("C1", "V7", "1.0", RecorderStatus.InService, "XC-01");

    private static CameraFacts Ready() => new("C1", InService, "1", Busy: false, Trusted: true, BatteryPercent: 95, PendingClips: 0, StorageFreeShare: 0.5,
        CheckedOutTo: null);

    [Fact]
    public void AReadyCamera_HasNoProblem()
    {
        Assert.Empty(Readiness.Problems(Ready(), Options, storageNearlyFullPercent: 10));
    }

    public static TheoryData<string, NotReadyReason> EachCondition => new()
    {
        { "battery", NotReadyReason.Battery },
        { "unknown battery", NotReadyReason.Battery },
        { "footage", NotReadyReason.FootageWaiting },
        { "untrusted", NotReadyReason.Untrusted },
        { "repair", NotReadyReason.NotInService },
        { "storage", NotReadyReason.Storage },
        { "out", NotReadyReason.CheckedOut },
        { "undocked", NotReadyReason.NotDocked },
        { "busy", NotReadyReason.Busy },
        { "unregistered", NotReadyReason.NotRegistered },
        { "bound", NotReadyReason.BoundToAnother },
        { "cannot bind", NotReadyReason.CannotBind },
    };

    [Theory]
    [MemberData(nameof(EachCondition))]
    public void EachConditionOfReadiness_AloneKeepsTheCameraBack(string condition, NotReadyReason expected)
    {
        var camera = condition switch
        {
            "battery" => Ready() with { BatteryPercent = 79 },
            "unknown battery" => Ready() with { BatteryPercent = null },
            "footage" => Ready() with { PendingClips = 2 },
            "untrusted" => Ready() with { Trusted = false },
            "repair" => Ready() with { Registered = InService with { Status = RecorderStatus.Repair } },
            "storage" => Ready() with { StorageFreeShare = 0.09 },
            "out" => Ready() with { CheckedOutTo = "P1" },
            "undocked" => Ready() with { BayId = null },
            "busy" => Ready() with { Busy = true },
            "unregistered" => Ready() with { Registered = null },
            "bound" => Ready() with { Registered = InService with { Officer = "P2" } },
            _ => Ready() with { CanBind = false },
        };
        var problems = Readiness.Problems(camera, Options, storageNearlyFullPercent: 10, forOfficer: "P1");
        Assert.Equal(expected, Assert.Single(problems).Reason);
        // At the threshold exactly, the battery is enough.
        Assert.Empty(Readiness.Problems(Ready() with { BatteryPercent = 80 }, Options, 10, "P1"));
        // Bound to the officer asking: theirs to take.
        Assert.Empty(Readiness.Problems(Ready() with { Registered = InService with { Officer = "P1" } }, Options, 10, "P1"));
    }

    [Fact]
    public void RatioPolicy_CountsEnforcementOfficersAndServiceableRecorders_RoundsTheNeedUp_AndTakesAUnitsOwnPolicy()
    {
        var options = new EquipmentOptions { Ratio = 1.0, Units = [new UnitPolicyOptions { Unit = "XC-02", Ratio = 1.2, MinimumSpare = 1 }] };
        Officer Staff(string badge, string unit, OfficerRole role) => new(badge, badge, unit, role, "JZ", null);
        var officers = new[]
        {
            Staff("A", "XC-01", OfficerRole.Officer), Staff("B", "XC-01", OfficerRole.Officer), Staff("X", "XC-01", OfficerRole.Auxiliary),
            Staff("C", "XC-02", OfficerRole.Officer), Staff("D", "XC-02", OfficerRole.Officer), Staff("E", "XC-02", OfficerRole.Officer),
            Staff("F", "XC-02", OfficerRole.Officer), Staff("G", "XC-02", OfficerRole.Officer),
        };
        RegisteredRecorder Camera(string serial, string unit, RecorderStatus status) => new(serial, "V7", "1", status, unit);
        var recorders = new[]
        {
            Camera("1", "XC-01", RecorderStatus.InService), Camera("2", "XC-01", RecorderStatus.Repair), Camera("3", "XC-01", RecorderStatus.Spare),
            Camera("4", "XC-02", RecorderStatus.InService), Camera("5", "XC-02", RecorderStatus.InService), Camera("6", "XC-02", RecorderStatus.InService),
            Camera("7", "XC-02", RecorderStatus.InService), Camera("8", "XC-02", RecorderStatus.InService), Camera("9", "XC-02", RecorderStatus.Retired),
        };
        var units = RatioPolicy.Evaluate([new Unit("XC-01", "One"), new Unit("XC-02", "Two")], officers, recorders, new HashSet<string> { "1" },
            new HashSet<string>(), options);

        var one = units[0];
        Assert.Equal((2, 1, 2, 1, 2), (one.Officers, one.Auxiliaries, one.ServiceableRecorders, one.SpareRecorders, one.RequiredRecorders)); // repair does not count
        Assert.True(one.Compliant);
        Assert.Equal(1.0, one.Ratio);
        var two = units[1];
        Assert.Equal(6, two.RequiredRecorders); // 1.2 × 5 = 6
        Assert.Equal(5, two.ServiceableRecorders); // retired does not count
        Assert.False(two.Compliant);
        Assert.Equal(2, two.Problems.Count); // the ratio, and no spare of the one required
        Assert.Contains("the ratio 1.2 needs 6", two.Problems[0], StringComparison.Ordinal);
        Assert.Equal(0, RatioPolicy.Required(1.0, 0));
    }

    [Fact]
    public void CompliantShare_IsTheTimeCompliantOverTheTimeKnown_AndCountsEachFallIntoBreach()
    {
        var day = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        ComplianceRecord At(double hours, bool compliant) => new("XC-01", day.AddHours(hours), 1, 1, 0, 0, compliant, "");
        // Compliant from before the period, in breach 06:00–12:00, compliant again, in breach from 18:00 to the end.
        var rows = new[] { At(-5, true), At(6, false), At(12, true), At(18, false) };
        var (share, breaches) = Dock.Service.Equipment.EquipmentReports.Share(rows, day, day.AddDays(1));
        Assert.Equal(0.5, share);
        Assert.Equal(2, breaches);
        Assert.Equal((null, 0), Dock.Service.Equipment.EquipmentReports.Share([], day, day.AddDays(1)));
        // Known only from 12:00: half of what is known is compliant.
        Assert.Equal(0.5, Dock.Service.Equipment.EquipmentReports.Share([At(12, true), At(18, false)], day, day.AddDays(1)).Share);
    }
}
