using System.Security.Claims;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Dock.Service.Users;
using Dock.Service.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Dock.Service.Api;

/// <summary>
/// The people's part of API v1: user management for IT (add, roles, disable, badge, PIN and password resets; each a <c>user-changed</c>
/// custody entry naming the caller), a person's own language, and the officer's badge-and-PIN sign-in at the kiosk with the view it opens.
/// Handlers parse and call <see cref="UserAccounts"/>; they change nothing themselves.
/// </summary>
public static class PeopleApi
{
    /// <summary>A kiosk session lasts at most this long, whatever the page does (the page signs out after Dock:Web:KioskIdleTimeout).</summary>
    public static readonly TimeSpan KioskSessionLimit = TimeSpan.FromMinutes(15);

    private const int KioskClips = 30;

    public static void MapDockPeople(this RouteGroupBuilder api)
    {
        api.MapGet("/users", ListAsync).RequireAuthorization(DockPolicies.ManageUsers).Produces<List<User>>().WithSummary("Every account, with roles, badge and state.");
        api.MapPost("/users", AddAsync).RequireAuthorization(DockPolicies.ManageUsers).Produces<User>(201).ProducesValidationProblem().ProducesProblem(409)
            .WithSummary("Add a person with a password, roles and (for an officer) a badge number.");
        api.MapPut("/users/{name}/roles", RolesAsync).RequireAuthorization(DockPolicies.ManageUsers).Produces<User>().ProducesValidationProblem()
            .ProducesProblem(404).ProducesProblem(409).WithSummary("Replace a person's roles (the last enabled it-admin keeps theirs).");
        api.MapPost("/users/{name}/disable", (string name, ClaimsPrincipal user, DockCore core, CancellationToken ct) => DisableAsync(name, true, user, core, ct))
            .RequireAuthorization(DockPolicies.ManageUsers).Produces<User>().ProducesProblem(404).ProducesProblem(409)
            .WithSummary("Disable a person: no sign-in, and their API tokens stop working.");
        api.MapPost("/users/{name}/enable", (string name, ClaimsPrincipal user, DockCore core, CancellationToken ct) => DisableAsync(name, false, user, core, ct))
            .RequireAuthorization(DockPolicies.ManageUsers).Produces<User>().ProducesProblem(404).WithSummary("Enable a disabled person again.");
        api.MapPut("/users/{name}/badge", BadgeAsync).RequireAuthorization(DockPolicies.ManageUsers).Produces<User>().ProducesValidationProblem()
            .ProducesProblem(404).ProducesProblem(409).WithSummary("Set or clear an officer's badge number (警号), their kiosk sign-in.");
        api.MapPost("/users/{name}/pin", PinAsync).RequireAuthorization(DockPolicies.ManageUsers).Produces<PinResult>().ProducesValidationProblem()
            .ProducesProblem(404).WithSummary("Reset an officer's kiosk PIN (also ends a lockout). Without a PIN in the body the dock draws one; it is " +
                "returned this once, only its hash is kept.");
        api.MapPost("/users/{name}/password", PasswordAsync).RequireAuthorization(DockPolicies.ManageUsers).Produces(204).ProducesValidationProblem()
            .ProducesProblem(404).WithSummary("Reset a person's password (also ends a lockout).");
        api.MapPut("/me/language", LanguageAsync).RequireAuthorization(DockPolicies.Anyone).Produces(204).ProducesValidationProblem()
            .WithSummary("The caller's language for the pages (en, zh-CN), or null to follow the browser's Accept-Language.");

        api.MapPost("/kiosk/signin", KioskSignInAsync).AllowAnonymous().RequireRateLimiting("kiosk").Produces<SignInResult>().ProducesProblem(401)
            .ProducesValidationProblem().ProducesProblem(429)
            .WithSummary("An officer at the kiosk: badge number and PIN. Opens a short session for their own camera and footage only.");
        api.MapPost("/kiosk/signout", SignOutAsync).RequireAuthorization(DockPolicies.KioskOfficer).Produces(204).WithSummary("End the kiosk session.");
        api.MapGet("/kiosk/mine", MineAsync).RequireAuthorization(DockPolicies.KioskOfficer).Produces<KioskView>()
            .WithSummary("The signed-in officer's cameras, the bay each is docked in, and their newest footage (marked when it came off at the latest docking).");
    }

    private static async Task<IResult> ListAsync(DockCore core, CancellationToken cancellationToken) =>
        Results.Ok((await core.Users.ListAsync(cancellationToken)).Select(User.From).ToList());

    private static async Task<IResult> AddAsync(NewUserRequest? request, ClaimsPrincipal caller, DockCore core, CancellationToken cancellationToken)
    {
        if (request is null || string.IsNullOrEmpty(request.Name) || string.IsNullOrEmpty(request.Password))
            return HttpApi.Invalid(("name", "name and password are required"));
        if (ParseRoles(request.Roles) is not { } roles) return HttpApi.Invalid(("roles", RolesProblem(request.Roles)));
        var badge = string.IsNullOrWhiteSpace(request.Badge) ? null : request.Badge.Trim();
        return await ChangeAsync(async () =>
        {
            await core.Users.AddAsync(HttpApi.Actor(caller), request.Name, request.Password, roles, badge, cancellationToken);
            return Results.Created($"/api/v1/users/{request.Name}", User.From((await core.Users.FindAsync(request.Name, cancellationToken))!));
        });
    }

    private static async Task<IResult> RolesAsync(string name, RolesRequest? request, ClaimsPrincipal caller, DockCore core, CancellationToken cancellationToken)
    {
        if (ParseRoles(request?.Roles) is not { } roles) return HttpApi.Invalid(("roles", RolesProblem(request?.Roles)));
        return await ChangeAsync(async () =>
        {
            await core.Users.SetRolesAsync(HttpApi.Actor(caller), name, roles, cancellationToken);
            return await CurrentAsync(core, name, cancellationToken);
        });
    }

    private static Task<IResult> DisableAsync(string name, bool disabled, ClaimsPrincipal caller, DockCore core, CancellationToken cancellationToken) =>
        ChangeAsync(async () =>
        {
            await core.Users.SetDisabledAsync(HttpApi.Actor(caller), name, disabled, cancellationToken);
            return await CurrentAsync(core, name, cancellationToken);
        });

    private static Task<IResult> BadgeAsync(string name, BadgeRequest? request, ClaimsPrincipal caller, DockCore core, CancellationToken cancellationToken) =>
        ChangeAsync(async () =>
        {
            await core.Users.SetBadgeAsync(HttpApi.Actor(caller), name, string.IsNullOrWhiteSpace(request?.Badge) ? null : request.Badge.Trim(), cancellationToken);
            return await CurrentAsync(core, name, cancellationToken);
        });

    private static Task<IResult> PinAsync(string name, PinRequest? request, ClaimsPrincipal caller, DockCore core, CancellationToken cancellationToken) =>
        ChangeAsync(async () =>
        {
            var pin = await core.Users.SetPinAsync(HttpApi.Actor(caller), name, string.IsNullOrEmpty(request?.Pin) ? null : request.Pin, cancellationToken);
            return Results.Ok(new PinResult(pin));
        });

    private static Task<IResult> PasswordAsync(string name, PasswordRequest? request, ClaimsPrincipal caller, DockCore core, CancellationToken cancellationToken) =>
        ChangeAsync(async () =>
        {
            await core.Users.SetPasswordAsync(HttpApi.Actor(caller), name, request?.Password ?? "", cancellationToken);
            return Results.NoContent();
        });

    private static async Task<IResult> LanguageAsync(LanguageRequest? request, HttpContext context, ClaimsPrincipal caller, DockCore core,
        CancellationToken cancellationToken)
    {
        var language = request?.Language;
        if (language is not null && !WebText.Languages.Contains(language))
            return HttpApi.Invalid(("language", $"one of {string.Join(", ", WebText.Languages)}, or null for the browser's"));
        await core.Users.SetLanguageAsync(caller.Identity!.Name!, language, cancellationToken);
        WebText.Remember(context.Response, language);
        return Results.NoContent();
    }

    private static async Task<IResult> KioskSignInAsync(KioskSignInRequest? request, HttpContext context, DockCore core, TimeProvider time,
        IOptions<DockOptions> options, CancellationToken cancellationToken)
    {
        if (WebFace.Refused(context, options.Value.Web) is { } refused) return refused;
        if (request is null || string.IsNullOrEmpty(request.Badge) || string.IsNullOrEmpty(request.Pin))
            return HttpApi.Invalid(("badge", "badge number and PIN are required"));
        var user = await core.Users.PinLoginAsync(request.Badge.Trim(), request.Pin, cancellationToken);
        if (user is null)
            return Results.Problem(statusCode: 401, title: "Sign-in refused",
                detail: "Wrong badge number or PIN, or the account is disabled or locked (five failures in a row lock it for 15 minutes).");
        var csrf = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        // A short session that the page cannot stretch: the kiosk is a shared screen.
        await context.SignInAsync(DockPolicies.CookieScheme, DockPolicies.Principal(user, DockPolicies.CookieScheme, csrf, kiosk: true),
            new AuthenticationProperties { ExpiresUtc = time.GetUtcNow() + KioskSessionLimit, AllowRefresh = false, IsPersistent = false });
        if (user.Language is { } language) WebText.Remember(context.Response, language);
        return Results.Ok(new SignInResult(user.Name, [DockPolicies.KioskRole], csrf));
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, ClaimsPrincipal user)
    {
        await context.SignOutAsync(DockPolicies.CookieScheme);
        return Results.NoContent();
    }

    private static async Task<IResult> MineAsync(ClaimsPrincipal user, DockCore core, DockActivity activity, Metadata.ClipTagging tagging, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var badge = user.FindFirstValue(DockPolicies.BadgeClaim)!;
        var recorders = (await core.Catalog.Recorders.ListRecordersAsync(cancellationToken)).Where(r => r.OfficerId == badge).ToList();
        // A bay that went empty may still name the camera that left it: only occupied bays say where a camera is.
        var bays = activity.Bays.Where(b => b.Phase != BayPhase.Empty).Select(Bay.From).ToList();
        var dockings = (await core.Catalog.Docking.LastDockingsAsync(cancellationToken)).ToDictionary(d => d.Serial, StringComparer.Ordinal);
        var clips = await core.Catalog.Clips.SearchClipsAsync(new ClipFilter(OfficerId: badge), 1, KioskClips, cancellationToken);
        var tags = await tagging.ReadManyAsync(clips.Items, cancellationToken);
        var overdue = (await new Metadata.MissingTagWatch(new Metadata.TagStore(core.Catalog.Database), core.Catalog.Alerts, core.Options.Metadata, time)
            .OverdueAsync(badge, cancellationToken)).Sum(o => o.Clips);
        // Footage of this docking: it came off the camera (was last changed) since the camera's latest docking began.
        bool ThisDocking(ClipRecord clip) => dockings.TryGetValue(clip.RecorderSerial, out var d) && d.StartedAt is { } started && clip.UpdatedAt >= started;
        // A camera in a bay now shows there even before the catalog knows whose it is (its first docking); one they hold on a checkout shows
        // with when it is due back.
        var held = (await new Equipment.EquipmentStore(core.Catalog.Database).OpenCheckoutsAsync(cancellationToken)).Where(c => c.Badge == badge)
            .ToDictionary(c => c.Serial, c => c.DueAt + core.Options.Equipment.DockWithin, StringComparer.Ordinal);
        var serials = recorders.Select(r => r.Serial).Union(bays.Where(b => b.OfficerId == badge && b.Serial is not null).Select(b => b.Serial!))
            .Union(held.Keys).Order(StringComparer.Ordinal);
        return Results.Ok(new KioskView(user.Identity!.Name!, badge,
            [.. serials.Select(serial =>
            {
                dockings.TryGetValue(serial, out var docking);
                return new KioskRecorder(serial, recorders.FirstOrDefault(r => r.Serial == serial)?.Model ?? "", bays.FirstOrDefault(b => b.Serial == serial),
                    docking?.StartedAt, docking?.BatteryPercent, held.TryGetValue(serial, out var due) ? due : null);
            })],
            [.. clips.Items.Select(c =>
            {
                var t = tags[c.Id];
                return new KioskClip(c.RecorderSerial, c.ClipId, c.DeviceStart, c.DeviceEnd, c.Size, c.State.ToDb(), ThisDocking(c),
                    t[Metadata.TagField.CaseNumber], t[Metadata.TagField.Purpose], t[Metadata.TagField.Category], [.. t.Missing.Select(Metadata.Tags.Name)]);
            })],
            MetadataApi.CategoryList(tagging), overdue));
    }

    private static async Task<IResult> CurrentAsync(DockCore core, string name, CancellationToken cancellationToken) =>
        Results.Ok(User.From((await core.Users.FindAsync(name, cancellationToken))!));

    /// <summary>A refused change is a problem the caller can act on: 404 for no such user, 409 for everything else (weak, taken, last admin).</summary>
    private static async Task<IResult> ChangeAsync(Func<Task<IResult>> change)
    {
        try
        {
            return await change();
        }
        catch (UserException ex)
        {
            return ex.NotFound
                ? Results.Problem(statusCode: 404, title: "No such user", detail: ex.Message)
                : Results.Problem(statusCode: 409, title: "Not changed", detail: ex.Message);
        }
    }

    private static IReadOnlyList<string>? ParseRoles(IReadOnlyList<string>? roles) =>
        roles is { Count: > 0 } && roles.All(Users.Roles.All.Contains) ? [.. roles.Distinct(StringComparer.Ordinal)] : null;

    private static string RolesProblem(IReadOnlyList<string>? roles) =>
        roles is not { Count: > 0 } ? "at least one role" : $"'{roles.First(r => !Users.Roles.All.Contains(r))}' is not a role (roles: {string.Join(", ", Users.Roles.All)})";
}
