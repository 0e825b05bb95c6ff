using Dock.Service.Configuration;
using Dock.Service.Registry;

namespace Dock.Service.Equipment;

/// <summary>Why a camera cannot be handed out now, as a code the kiosk words in each language.</summary>
public enum NotReadyReason
{
    /// <summary>The equipment manager has not registered it: the dock does not know whose it is.</summary>
    NotRegistered,
    /// <summary>Its registry status is spare, repair or retired.</summary>
    NotInService,
    /// <summary>It is not in a bay of this dock.</summary>
    NotDocked,
    /// <summary>Docked, but the dock is still identifying it or pulling its footage.</summary>
    Busy,
    /// <summary>Not enrolled, or its key is not the enrolled one.</summary>
    Untrusted,
    /// <summary>Footage not yet offloaded, or offloaded but not yet released from the camera.</summary>
    FootageWaiting,
    /// <summary>Charge below the checkout minimum, or not known.</summary>
    Battery,
    /// <summary>Its storage was nearly full at docking (a camera whose locked footage fills it stops recording).</summary>
    Storage,
    /// <summary>Someone holds it already.</summary>
    CheckedOut,
    /// <summary>Bound to another officer (fixed mode).</summary>
    BoundToAnother,
    /// <summary>The dock cannot write an officer to it (older firmware, or a mass-storage camera whose command channel closed).</summary>
    CannotBind,
    /// <summary>It does not run the applied fleet bundle's profile for its model (not written yet, refused, or it answered another hash).</summary>
    StaleConfiguration,
}

/// <summary>What the dock knows of one camera now: its registry row, where it is docked, and what its last docking said.</summary>
public sealed record CameraFacts(
    string Serial,
    RegisteredRecorder? Registered,
    string? BayId,
    bool Busy,
    bool Trusted,
    int? BatteryPercent,
    int PendingClips,
    double? StorageFreeShare,
    string? CheckedOutTo,
    bool CanBind = true,
    bool StaleConfiguration = false);

/// <summary>
/// The one judgement of whether a camera may be handed out (issue "checkout"): registered and in service, docked with its docking done,
/// enrolled and trusted, no footage waiting to be offloaded or released, battery at or above <see cref="EquipmentOptions.CheckoutMinimumBattery"/>,
/// storage not nearly full, held by no one. Every reason that applies is given, not only the first, so the equipment manager sees all.
/// </summary>
public static class Readiness
{
    public static IReadOnlyList<(NotReadyReason Reason, string Detail)> Problems(CameraFacts camera, EquipmentOptions options, int storageNearlyFullPercent,
        string? forOfficer = null)
    {
        var problems = new List<(NotReadyReason, string)>();
        if (camera.Registered is not { } registered) problems.Add((NotReadyReason.NotRegistered, $"{camera.Serial} is not in the registry (dock recorders import)"));
        else
        {
            if (registered.Status != RecorderStatus.InService) problems.Add((NotReadyReason.NotInService, $"status {registered.Status.Name()}"));
            if (registered.Officer is { } bound && forOfficer is not null && bound != forOfficer)
                problems.Add((NotReadyReason.BoundToAnother, $"bound to officer {bound}"));
        }
        if (camera.CheckedOutTo is { } holder) problems.Add((NotReadyReason.CheckedOut, $"checked out to {holder}"));
        if (camera.BayId is null) problems.Add((NotReadyReason.NotDocked, "not in a bay"));
        else
        {
            if (camera.Busy) problems.Add((NotReadyReason.Busy, $"bay {camera.BayId}: its docking is not finished"));
            if (!camera.Trusted) problems.Add((NotReadyReason.Untrusted, "not enrolled, or not the enrolled key"));
            if (camera.BatteryPercent is not { } percent) problems.Add((NotReadyReason.Battery, "battery not known"));
            else if (percent < options.CheckoutMinimumBattery)
                problems.Add((NotReadyReason.Battery, $"battery {percent} %, below {options.CheckoutMinimumBattery} %"));
            if (!camera.CanBind) problems.Add((NotReadyReason.CannotBind, "the dock cannot write an officer to it"));
        }
        if (camera.StaleConfiguration) problems.Add((NotReadyReason.StaleConfiguration, "it does not run the fleet bundle's profile for its model"));
        if (camera.PendingClips > 0) problems.Add((NotReadyReason.FootageWaiting, $"{camera.PendingClips} clip(s) not yet offloaded or released"));
        if (camera.StorageFreeShare is { } free && free * 100 < storageNearlyFullPercent)
            problems.Add((NotReadyReason.Storage, $"storage {free * 100:0.#} % free, below {storageNearlyFullPercent} %"));
        return problems;
    }

    public static bool IsReady(CameraFacts camera, EquipmentOptions options, int storageNearlyFullPercent, string? forOfficer = null) =>
        Problems(camera, options, storageNearlyFullPercent, forOfficer).Count == 0;

    /// <summary>The wire code of a reason: kebab case, as the kiosk's string keys and the API name it.</summary>
    public static string Code(this NotReadyReason reason) => Kebab(reason.ToString());

    internal static string Kebab(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }
}
