using System.Text;
using Dock.Service.Hosting;
using Dock.Service.Users;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

public static partial class ConsolePages
{
    /// <summary>The users, for IT: add a person; per person change roles, set the badge, reset the PIN or password, disable or enable.
    /// Each action goes through the API (/api/v1/users…), which records it as a custody entry naming the administrator.</summary>
    private static async Task<IResult> UsersAsync(HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        string RoleBoxes(IReadOnlyList<string> held) => string.Concat(Roles.All.Select(role => $"""
            <label class="check"><input type="checkbox" name="roles" value="{role}"{(held.Contains(role) ? " checked" : "")}> {T("role." + role)}</label>
            """));
        var html = new StringBuilder($"""
            <h2>{T("nav.users")}</h2>
            <form id="add-user" class="card">
            <h3>{T("users.add")}</h3>
            <label for="new-name">{T("users.name")}</label><input id="new-name" name="name" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" autocomplete="off">
            <label for="new-password">{T("login.password")}</label><input id="new-password" name="password" type="password" required minlength="{PasswordHasher.MinLength}" autocomplete="new-password">
            <label for="new-badge">{T("users.badge")}</label><input id="new-badge" name="badge" maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9._\-]*">
            <fieldset><legend>{T("users.roles")}</legend>{RoleBoxes([])}</fieldset>
            <button type="submit">{T("users.addButton")}</button>
            </form>
            <div id="pin-shown" role="status" aria-live="polite"></div>
            <table class="users"><thead><tr><th scope="col">{T("users.name")}</th><th scope="col">{T("users.roles")}</th><th scope="col">{T("users.badge")}</th>
            <th scope="col">{T("users.pin")}</th><th scope="col">{T("users.state")}</th></tr></thead><tbody>
            """);
        foreach (var user in await core.Users.ListAsync(cancellationToken))
        {
            var name = Html.Encode(user.Name);
            var state = user.Disabled ? T("users.disabled") : user.LockedUntil > DateTimeOffset.UtcNow ? T("users.locked") : T("users.active");
            html.Append($"""
                <tr data-user="{name}" data-state="{(user.Disabled ? "disabled" : "active")}"><th scope="row">{name}</th>
                <td><form class="user-roles" data-user="{name}"><fieldset><legend class="visually-hidden">{T("users.rolesOf", user.Name)}</legend>
                {RoleBoxes(user.Roles)}</fieldset><button type="submit">{T("users.save")}</button></form></td>
                <td><form class="user-badge" data-user="{name}"><label for="badge-{name}" class="visually-hidden">{T("users.badgeOf", user.Name)}</label>
                <input id="badge-{name}" name="badge" value="{Html.Encode(user.Badge ?? "")}" maxlength="64" size="10"><button type="submit">{T("users.save")}</button></form></td>
                <td data-field="pin">{(user.HasPin ? T("users.pinSet") : T("users.pinNone"))}
                <button type="button" class="user-pin" data-user="{name}"{(user.Badge is null ? " disabled" : "")}>{T("users.resetPin")}</button></td>
                <td>{state} <button type="button" class="user-toggle" data-user="{name}" data-action="{(user.Disabled ? "enable" : "disable")}">{(user.Disabled ? T("users.enable") : T("users.disable"))}</button></td></tr>
                """);
        }
        html.Append("</tbody></table>");
        return Page(context, Layout(context, language, t.Get(language, "nav.users"), html.ToString()));
    }
}
