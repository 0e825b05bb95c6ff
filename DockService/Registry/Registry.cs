using System.Globalization;
using Dock.DeviceProtocol.Messages;

namespace Dock.Service.Registry;

/// <summary>A unit (a station, a squad): what officers belong to and recorders are kept by.</summary>
public sealed record Unit(string Id, string Name);

/// <summary>Enforcement officers act alone; auxiliary staff only assist (R9).</summary>
public enum OfficerRole
{
    Officer,
    Auxiliary,
}

/// <summary>An officer as the registry knows them: badge number (警号, the id their recorder tags footage with), name, unit, role, and their
/// 执法证 (law-enforcement certificate) with its expiry.</summary>
public sealed record Officer(string Badge, string Name, string UnitId, OfficerRole Role, string? Certificate, DateOnly? CertificateExpires);

/// <summary>Where a recorder is in its life.</summary>
public enum RecorderStatus
{
    InService,
    Spare,
    Repair,
    Retired,
}

/// <summary>A recorder as the equipment manager registers it. What a docking observes (model and firmware it reports, its key) stays in
/// the recorders the docking keeps; enrolment stays where it is. <paramref name="Officer"/> binds it to one officer (fixed mode): only they
/// check it out; without it the camera is in its unit's pool.</summary>
public sealed record RegisteredRecorder(string Serial, string Model, string Firmware, RecorderStatus Status, string? HomeUnit, string? Officer = null);

/// <summary>A registry change refused, with what to do.</summary>
public sealed class RegistryException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}

/// <summary>The registry's wire names and checks, shared by CSV, CLI and API.</summary>
public static class RegistryNames
{
    public static string Name(this OfficerRole role) => role == OfficerRole.Officer ? "officer" : "auxiliary";

    public static string Name(this RecorderStatus status) => status switch
    {
        RecorderStatus.InService => "in-service",
        RecorderStatus.Spare => "spare",
        RecorderStatus.Repair => "repair",
        _ => "retired",
    };

    public static bool TryRole(string text, out OfficerRole role)
    {
        role = text.Trim().ToLowerInvariant() switch { "officer" or "执法人员" => OfficerRole.Officer, "auxiliary" or "辅助人员" or "辅警" => OfficerRole.Auxiliary, _ => (OfficerRole)(-1) };
        return Enum.IsDefined(role);
    }

    public static bool TryStatus(string text, out RecorderStatus status)
    {
        var found = Enum.GetValues<RecorderStatus>().Where(s => s.Name() == text.Trim().ToLowerInvariant()).ToList();
        status = found.FirstOrDefault();
        return found.Count == 1;
    }

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static bool TryDay(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    /// <summary>A name or free text: one line, at most <paramref name="max"/> characters.</summary>
    public static string? TextProblem(string value, int max = 100) =>
        value.Any(char.IsControl) ? "one line of text" : value.Length > max ? $"at most {max} characters" : null;

    public static string? IdProblem(string value) => Identifier.IsValid(value) ? null : Identifier.Rule;
}
