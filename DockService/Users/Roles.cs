namespace Dock.Service.Users;

/// <summary>
/// The people the rules are about, as roles (a user may hold several). What each role may do is set where the HTTP endpoints
/// are mapped (Api/), one policy per endpoint, so an endpoint without one cannot be added unnoticed.
/// </summary>
public static class Roles
{
    public const string Officer = "officer";
    public const string Supervisor = "supervisor";
    public const string EquipmentManager = "equipment-manager";
    public const string ItAdmin = "it-admin";
    public const string Auditor = "auditor";

    public static readonly IReadOnlyList<string> All = [Officer, Supervisor, EquipmentManager, ItAdmin, Auditor];

    /// <summary>Parses a comma-separated role list; null with the reason when a name is not a role.</summary>
    public static IReadOnlyList<string>? Parse(string text, out string? problem)
    {
        var roles = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        var unknown = roles.FirstOrDefault(r => !All.Contains(r));
        problem = roles.Count == 0 ? "no role given" : unknown is not null ? $"'{unknown}' is not a role (roles: {string.Join(", ", All)})" : null;
        return problem is null ? roles : null;
    }
}
