using System.Security.Claims;
using System.Text.Encodings.Web;
using Dock.Service.Hosting;
using Dock.Service.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dock.Service.Api;

/// <summary>
/// Who may call what. Browsers sign in with a cookie (and send the CSRF token they got at sign-in on every state change); machines
/// send a bearer token (`dock users token`). Every endpoint names one of these policies; the fallback refuses anything that does not.
/// </summary>
public static class DockPolicies
{
    public const string Anyone = "any-role";
    public const string ReadClips = "read-clips";
    public const string ReadAlerts = "read-alerts";
    public const string AcknowledgeAlerts = "acknowledge-alerts";
    public const string ReadRecorders = "read-recorders";
    public const string ManageRecorders = "manage-recorders";
    public const string ReadCustody = "read-custody";
    public const string ExportCustody = "export-custody";
    public const string ManageUsers = "manage-users";
    public const string TagClips = "tag-clips";
    public const string PlaceHolds = "place-holds";
    public const string LiftHolds = "lift-holds";
    public const string MarkSensitivity = "mark-sensitivity";
    public const string ExportCases = "export-cases";
    /// <summary>An officer signed in at the kiosk with badge and PIN: their own camera and footage, nothing of the console.</summary>
    public const string KioskOfficer = "kiosk-officer";

    /// <summary>The role only a kiosk sign-in carries (never a person's role, never a token's): a PIN opens the officer's own view, not the
    /// console, whatever roles the person holds.</summary>
    public const string KioskRole = "kiosk-session";
    public const string BadgeClaim = "dock:badge";

    /// <summary>The roles each policy admits (the API's authorisation table; README "HTTP API").</summary>
    public static readonly IReadOnlyDictionary<string, string[]> RolesOf = new Dictionary<string, string[]>
    {
        [Anyone] = [.. Roles.All],
        [ReadClips] = [Roles.Supervisor, Roles.Auditor, Roles.ItAdmin],
        [ReadAlerts] = [Roles.Supervisor, Roles.EquipmentManager, Roles.ItAdmin, Roles.Auditor],
        [AcknowledgeAlerts] = [Roles.Supervisor, Roles.EquipmentManager, Roles.ItAdmin],
        [ReadRecorders] = [Roles.Supervisor, Roles.EquipmentManager, Roles.ItAdmin, Roles.Auditor],
        [ManageRecorders] = [Roles.EquipmentManager, Roles.ItAdmin],
        [ReadCustody] = [Roles.Auditor, Roles.Supervisor, Roles.ItAdmin],
        // The whole log in one download: a retrieval for the people who audit (R5), itself recorded.
        [ExportCustody] = [Roles.Auditor, Roles.ItAdmin],
        [ManageUsers] = [Roles.ItAdmin],
        // Officers tag their own footage at the kiosk; in the console, those who supervise it.
        [TagClips] = [Roles.Supervisor, Roles.ItAdmin],
        // Keeping footage from deletion is for those who answer for it; letting it go again is the supervisor's (Retention/LegalHolds).
        [PlaceHolds] = [.. Retention.LegalHolds.MayPlace],
        [LiftHolds] = [.. Retention.LegalHolds.MayLift],
        // R6: officers mark their own footage at the kiosk (raise only); in the console, the supervisors, who may also lower a level.
        [MarkSensitivity] = [Roles.Supervisor],
        // R1: archiving a case into its case file is for those who answer for the case, and the auditors who file it.
        [ExportCases] = [Roles.Supervisor, Roles.Auditor],
        [KioskOfficer] = [KioskRole],
    };

    public const string CookieScheme = "cookie";
    public const string TokenScheme = "token";
    public const string CsrfClaim = "dock:csrf";
    public const string CsrfHeader = "X-Dock-CSRF";

    public static IServiceCollection AddDockApiSecurity(this IServiceCollection services, string keysFolder)
    {
        // The cookie's keys live beside the dock key, in a folder only the dock's user may read (DockCore makes it at start, so a bad
        // data folder is reported there, as a start failure, not here).
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keysFolder)).SetApplicationName("dock");
        services.AddAuthentication(o => o.DefaultScheme = "dock")
            .AddPolicyScheme("dock", "cookie or bearer token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.Ordinal) ? TokenScheme : CookieScheme)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = "dock-session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
                // The API answers 401/403 and never redirects; a console page sends a person to sign in, or says they may not use it.
                o.Events.OnRedirectToLogin = c =>
                {
                    if (Web.ConsolePages.IsPage(c.Request))
                        c.Response.Redirect("/login?returnUrl=" + Uri.EscapeDataString(c.Request.Path + c.Request.QueryString));
                    else c.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return Task.CompletedTask;
                };
                o.Events.OnRedirectToAccessDenied = c =>
                {
                    if (Web.ConsolePages.IsPage(c.Request)) return Web.ConsolePages.ForbiddenAsync(c.HttpContext);
                    c.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(TokenScheme, null);
        services.AddAuthorizationBuilder()
            // An endpoint mapped without a policy is refused to everyone signed in or not: a new endpoint must say who may call it.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAssertion(_ => false).Build())
            .AddPolicies();
        return services;
    }

    private static AuthorizationBuilder AddPolicies(this AuthorizationBuilder builder)
    {
        foreach (var (name, roles) in RolesOf)
            builder.AddPolicy(name, p => p.RequireAuthenticatedUser().RequireRole(roles));
        return builder;
    }

    public static ClaimsPrincipal Principal(SignedIn user, string scheme, string? csrf = null, bool kiosk = false)
    {
        var claims = new List<Claim> { new(ClaimTypes.Name, user.Name) };
        if (kiosk) claims.AddRange([new Claim(ClaimTypes.Role, KioskRole), new Claim(BadgeClaim, user.Badge!)]);
        else claims.AddRange(user.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        if (csrf is not null) claims.Add(new Claim(CsrfClaim, csrf));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    /// <summary>
    /// CSRF: a state change made with the session cookie must carry the token the sign-in returned, in <see cref="CsrfHeader"/>. A
    /// page from another site can make the browser send the cookie, but cannot read the token. Bearer-token calls need none, and
    /// neither does an endpoint open to anyone (a sign-in): it uses no authority of the session, and a kiosk reloaded while an
    /// officer's session lingers must still let the next officer sign in.
    /// </summary>
    public static async Task RequireCsrfTokenAsync(HttpContext context, Func<Task> next)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)
            && context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is null
            && context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieScheme }
            && context.User.FindFirstValue(CsrfClaim) is { } expected
            && !System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(context.Request.Headers[CsrfHeader].ToString()), System.Text.Encoding.UTF8.GetBytes(expected)))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await Results.Problem(statusCode: 403, title: "Missing or wrong CSRF token",
                detail: $"A change made with the session cookie needs the header {CsrfHeader} with the token the sign-in returned.")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        await next().ConfigureAwait(false);
    }
}

/// <summary><c>Authorization: Bearer dock_…</c>: a token `dock users token` printed, looked up by its SHA-256.</summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, DockCore core)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return AuthenticateResult.NoResult();
        var user = await core.Users.AuthenticateTokenAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted).ConfigureAwait(false);
        return user is null
            ? AuthenticateResult.Fail("unknown, revoked or disabled token")
            : AuthenticateResult.Success(new AuthenticationTicket(DockPolicies.Principal(user, DockPolicies.TokenScheme), DockPolicies.TokenScheme));
    }
}
