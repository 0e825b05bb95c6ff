using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Dock.Service.Api;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Dock.Service.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dock.Service.Web;

/// <summary>
/// The console for supervisors, equipment managers, auditors and IT: sign-in (<c>/login</c>), the dashboard (<c>/</c>), alerts and
/// users. Pages are rendered on the server from the same application services as the API; the little script there is
/// (console.js) signs in and sends changes through the API with the session's CSRF token. Each page names a policy: a page a role
/// may not use is not in its navigation, and its URL answers 403.
/// </summary>
public static partial class ConsolePages
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>The console's pages, the policy each needs, and its name in the navigation.</summary>
    private static readonly (string Path, string Policy, string Key)[] Pages =
    [
        ("/", DockPolicies.Anyone, "nav.dashboard"),
        ("/clips", DockPolicies.ReadClips, "nav.clips"),
        ("/alerts", DockPolicies.ReadAlerts, "nav.alerts"),
        ("/recorders", DockPolicies.ReadRecorders, "nav.recorders"),
        ("/custody", DockPolicies.ReadCustody, "nav.custody"),
        ("/audit", DockPolicies.ReadCustody, "nav.audit"),
        ("/reports", DockPolicies.ReadClips, "nav.reports"),
        ("/registry", DockPolicies.ReadRecorders, "nav.registry"),
        ("/equipment", DockPolicies.ReadRecorders, "nav.equipment"),
        ("/fleet", DockPolicies.ReadRecorders, "nav.fleet"),
        ("/users", DockPolicies.ManageUsers, "nav.users"),
    ];

    public static void MapDockConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/login", Login).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/", DashboardAsync).RequireAuthorization(DockPolicies.Anyone).ExcludeFromDescription();
        app.MapGet("/clips", ClipsAsync).RequireAuthorization(DockPolicies.ReadClips).ExcludeFromDescription();
        app.MapGet("/clips/{serial}/{clipId}", ClipAsync).RequireAuthorization(DockPolicies.ReadClips).ExcludeFromDescription();
        app.MapGet("/alerts", AlertsAsync).RequireAuthorization(DockPolicies.ReadAlerts).ExcludeFromDescription();
        app.MapGet("/recorders", RecordersAsync).RequireAuthorization(DockPolicies.ReadRecorders).ExcludeFromDescription();
        app.MapGet("/custody", CustodyAsync).RequireAuthorization(DockPolicies.ReadCustody).ExcludeFromDescription();
        app.MapGet("/audit", AuditAsync).RequireAuthorization(DockPolicies.ReadCustody).ExcludeFromDescription();
        app.MapGet("/clips/{serial}/{clipId}/play", PlayAsync).RequireAuthorization(DockPolicies.ReadClips).ExcludeFromDescription();
        app.MapGet("/reports", ReportsAsync).RequireAuthorization(DockPolicies.ReadClips).ExcludeFromDescription();
        app.MapGet("/registry", RegistryAsync).RequireAuthorization(DockPolicies.ReadRecorders).ExcludeFromDescription();
        app.MapGet("/equipment", EquipmentAsync).RequireAuthorization(DockPolicies.ReadRecorders).ExcludeFromDescription();
        app.MapGet("/equipment/batteries/{serial}.svg", BatteryChartAsync).RequireAuthorization(DockPolicies.ReadRecorders).ExcludeFromDescription();
        app.MapGet("/fleet", FleetAsync).RequireAuthorization(DockPolicies.ReadRecorders).ExcludeFromDescription();
        app.MapGet("/users", UsersAsync).RequireAuthorization(DockPolicies.ManageUsers).ExcludeFromDescription();
    }

    /// <summary>Where a person who is not signed in, or not allowed, is sent: pages to the sign-in or a 403 page; the API never redirects.</summary>
    public static bool IsPage(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && !request.Path.StartsWithSegments("/api");

    public static Task ForbiddenAsync(HttpContext context)
    {
        var language = WebText.ForPage(context);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/html; charset=utf-8";
        var t = WebText.Instance;
        return context.Response.WriteAsync(Layout(context, language, t.Get(language, "forbidden.title"),
            $"<h2>{Html.Encode(t.Get(language, "forbidden.title"))}</h2><p>{Html.Encode(t.Get(language, "forbidden.text"))}</p>"));
    }

    private static IResult Login(HttpContext context)
    {
        var language = WebText.ForPage(context);
        string T(string key) => Html.Encode(WebText.Instance.Get(language, key));
        var back = context.Request.Query["returnUrl"].ToString();
        // Back to a page of this dock only: not "//host" nor "/\host", which browsers take for another site.
        if (!back.StartsWith('/') || back.Length > 1 && back[1] is '/' or '\\' || back.Contains('\\', StringComparison.Ordinal)) back = "/";
        var body = $"""
            <h2>{T("login.title")}</h2>
            <form id="login" class="card" data-return="{Html.Encode(back)}">
            <label for="name">{T("login.name")}</label>
            <input id="name" name="name" autocomplete="username" required>
            <label for="password">{T("login.password")}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required>
            <button type="submit">{T("login.submit")}</button>
            <p id="login-error" class="error" role="alert" hidden>{T("login.refused")}</p>
            </form>
            """;
        return Page(context, Layout(context, language, WebText.Instance.Get(language, "login.title"), body, navigation: false));
    }

    private static async Task<IResult> DashboardAsync(HttpContext context, DockCore core, DockActivity activity, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var alerts = await core.Catalog.Alerts.SearchAlertsAsync(open: true, 1, 1, cancellationToken);
        var (queued, oldest) = await core.Catalog.Uploads.UploadBacklogAsync(cancellationToken);
        var now = core.Catalog.Database.Time.GetUtcNow();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var clipsToday = await core.Catalog.Clips.SearchClipsAsync(new ClipFilter(From: today), 1, 1, cancellationToken);
        var checkpoint = await core.Log.LatestCheckpointAsync(cancellationToken);
        long unsigned = core.Log.Size - (checkpoint?.Size ?? 0);
        var page = new StringBuilder();
        page.Append($"""
            <h2>{T("nav.dashboard")}</h2>
            <div class="figures">
            <div class="figure" data-figure="alerts"><span class="value">{alerts.Total}</span><span class="label">{T("dash.alerts")}</span></div>
            <div class="figure" data-figure="backlog"><span class="value">{queued}</span><span class="label">{T("dash.backlog")}</span>
            <span class="note">{(oldest is { } at ? T("dash.oldest", Minutes(now - at)) : T("dash.none"))}</span></div>
            <div class="figure" data-figure="clips-today"><span class="value">{clipsToday.Total}</span><span class="label">{T("dash.today")}</span></div>
            <div class="figure" data-figure="checkpoint"><span class="value">{checkpoint?.Size ?? 0}</span><span class="label">{T("dash.checkpoint")}</span>
            <span class="note">{T("dash.unsigned", unsigned)}</span></div>
            </div>
            <h2>{T("kiosk.title")}</h2>
            <table class="bay-table"><thead><tr><th scope="col">{T("dash.bay")}</th><th scope="col">{T("dash.phase")}</th><th scope="col">{T("label.recorder")}</th>
            <th scope="col">{T("label.officer")}</th><th scope="col">{T("label.clips")}</th></tr></thead><tbody>
            """);
        foreach (var bay in activity.Bays.OrderBy(b => b.BayId, BayOrder.Instance).Select(Bay.From))
        {
            page.Append($"""
                <tr data-bay="{Html.Encode(bay.BayId)}" data-phase="{bay.Phase}"><td>{Html.Encode(bay.BayId)}</td><td>{T("phase." + bay.Phase)}</td>
                <td>{Html.Encode(bay.Serial ?? "—")}</td><td>{Html.Encode(bay.OfficerId ?? "—")}</td><td>{bay.ClipsDone} / {bay.ClipsTotal}</td></tr>
                """);
        }
        page.Append("</tbody></table>");
        return Page(context, Layout(context, language, t.Get(language, "nav.dashboard"), page.ToString()));
    }

    private static async Task<IResult> AlertsAsync(HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        bool mayAcknowledge = DockPolicies.RolesOf[DockPolicies.AcknowledgeAlerts].Any(context.User.IsInRole);
        var open = await core.Catalog.Alerts.SearchAlertsAsync(open: true, 1, 100, cancellationToken);
        var page = new StringBuilder($"""
            <h2>{T("nav.alerts")}</h2>
            <p>{T("alerts.count", open.Total)}</p>
            <table class="alerts"><thead><tr><th scope="col">{T("alerts.when")}</th><th scope="col">{T("alerts.kind")}</th>
            <th scope="col">{T("alerts.subject")}</th><th scope="col">{T("alerts.message")}</th><th scope="col">{T("alerts.acknowledged")}</th></tr></thead><tbody>
            """);
        foreach (var alert in open.Items)
        {
            var acknowledged = alert.AcknowledgedBy is { } by
                ? Html.Encode($"{by}: {alert.Acknowledgement}")
                : mayAcknowledge
                    ? $"""
                      <form class="acknowledge" data-alert="{alert.Id}"><label for="reason-{alert.Id}">{T("alerts.reason")}</label>
                      <input id="reason-{alert.Id}" name="reason" required maxlength="300"><button type="submit">{T("alerts.acknowledge")}</button></form>
                      """
                    : "—";
            page.Append($"""
                <tr data-alert="{alert.Id}"><td>{alert.At.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}</td><td>{Html.Encode(alert.Kind)}</td>
                <td>{Html.Encode(string.Join(" / ", new[] { alert.RecorderSerial, alert.ClipId }.Where(s => s is not null)))}</td>
                <td>{Html.Encode(alert.Message)}</td><td>{acknowledged}</td></tr>
                """);
        }
        page.Append("</tbody></table>");
        return Page(context, Layout(context, language, t.Get(language, "nav.alerts"), page.ToString()));
    }

    /// <summary>A recorder key's length in hex digits, as the enrol form's pattern says it.</summary>
    private const string HexKey = "{64}";

    /// <summary>The recorders: what each is, its enrolment, its last docking and battery; enrol and revoke for those who manage them.</summary>
    private static async Task<IResult> RecordersAsync(HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        bool mayManage = DockPolicies.RolesOf[DockPolicies.ManageRecorders].Any(context.User.IsInRole);
        var recorders = (await core.Catalog.Recorders.ListRecordersAsync(cancellationToken)).ToDictionary(r => r.Serial, StringComparer.Ordinal);
        var keys = (await core.Catalog.Recorders.ListRecorderKeysAsync(cancellationToken)).ToLookup(k => k.Serial, StringComparer.Ordinal);
        var dockings = (await core.Catalog.Docking.LastDockingsAsync(cancellationToken)).ToDictionary(d => d.Serial, StringComparer.Ordinal);
        var html = new StringBuilder($"<h2>{T("nav.recorders")}</h2>");
        if (mayManage)
        {
            html.Append($"""
                <form id="enrol" class="search">
                <label for="enrol-serial">{T("clips.serial")}</label><input id="enrol-serial" name="serial" required maxlength="64">
                <label for="enrol-key">{T("recorders.key")}</label><input id="enrol-key" name="publicKey" required pattern="[0-9a-fA-F]{HexKey}" size="40">
                <button type="submit">{T("recorders.enrol")}</button>
                </form>
                """);
        }
        html.Append($"""
            <table class="recorders"><thead><tr><th scope="col">{T("label.recorder")}</th><th scope="col">{T("recorders.model")}</th>
            <th scope="col">{T("label.officer")}</th><th scope="col">{T("recorders.enrolment")}</th><th scope="col">{T("recorders.lastDocking")}</th>
            <th scope="col">{T("label.battery")}</th><th scope="col">{T("recorders.storage")}</th></tr></thead><tbody>
            """);
        foreach (var serial in recorders.Keys.Union(keys.Select(k => k.Key)).Order(StringComparer.Ordinal))
        {
            recorders.TryGetValue(serial, out var recorder);
            dockings.TryGetValue(serial, out var docking);
            var active = keys[serial].FirstOrDefault(k => k.RevokedAt is null);
            var revoked = keys[serial].Where(k => k.RevokedAt is not null).MaxBy(k => k.RevokedAt);
            string enrolment = active is not null ? T("recorders.enrolled", active.Fingerprint)
                : revoked is not null ? T("recorders.revoked", revoked.RevokeReason ?? "") : T("recorders.notEnrolled");
            if (active is not null && mayManage)
            {
                enrolment += $"""
                    <form class="revoke" data-serial="{Html.Encode(serial)}"><label for="why-{Html.Encode(serial)}">{T("alerts.reason")}</label>
                    <input id="why-{Html.Encode(serial)}" name="reason" required maxlength="300"><button type="submit">{T("recorders.revoke")}</button></form>
                    """;
            }
            var last = docking?.StartedAt is { } started
                ? Html.Encode($"{t.Get(language, "bay", docking.BayId ?? "?")}, {started.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}")
                : "—";
            var battery = docking?.BatteryPercent is { } percent
                ? T("recorders.battery", percent, docking.BatteryHealthPercent ?? 0)
                : "—";
            // Free storage when it last docked; under Dock:StorageNearlyFullPercent it is marked (the storage-nearly-full alert says the same).
            var storage = docking is { StorageTotal: > 0 and var total, StorageFree: { } free } && free <= total
                ? T("recorders.storageFree", (100.0 * free / total).ToString("0", CultureInfo.InvariantCulture), ((Configuration.DataSize)free).ToString(), ((Configuration.DataSize)total).ToString())
                  + (100.0 * free / total < core.Options.StorageNearlyFullPercent ? $" <strong>{T("recorders.nearlyFull")}</strong>" : "")
                : "—";
            html.Append($"""
                <tr data-recorder="{Html.Encode(serial)}" data-enrolment="{(active is not null ? "enrolled" : revoked is not null ? "revoked" : "none")}">
                <td>{Html.Encode(serial)}</td><td>{Html.Encode(recorder is null ? "—" : $"{recorder.Model} {recorder.Firmware}")}</td>
                <td>{Html.Encode(recorder?.OfficerId ?? "—")}</td><td>{enrolment}</td><td>{last}</td><td data-field="battery">{battery}</td><td data-field="storage">{storage}</td></tr>
                """);
        }
        html.Append("</tbody></table>");
        return Page(context, Layout(context, language, t.Get(language, "nav.recorders"), html.ToString()));
    }

    private static string Minutes(TimeSpan age) => Math.Max(0, (int)age.TotalMinutes).ToString(CultureInfo.InvariantCulture);

    private static IResult Page(HttpContext context, string html)
    {
        WebFace.Secure(context.Response);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    /// <summary>The frame of every console page: the bar with the pages this person may use, the language and sign-out.</summary>
    private static string Layout(HttpContext context, string language, string title, string body, bool navigation = true)
    {
        var t = WebText.Instance;
        string T(string key) => Html.Encode(t.Get(language, key));
        var user = context.User;
        var nav = new StringBuilder();
        if (navigation && user.Identity?.IsAuthenticated == true)
        {
            nav.Append($"""<nav class="pages" aria-label="{T("nav.label")}"><ul>""");
            foreach (var (path, policy, key) in Pages.Where(p => DockPolicies.RolesOf[p.Policy].Any(user.IsInRole)))
            {
                var current = context.Request.Path == path ? " aria-current=\"page\"" : "";
                nav.Append($"""<li><a href="{path}"{current}>{T(key)}</a></li>""");
            }
            nav.Append($"""
                <li><a href="/kiosk">{T("nav.kiosk")}</a></li></ul></nav>
                <p class="who">{Html.Encode(user.Identity.Name ?? "")}</p>
                <button type="button" id="logout">{T("nav.logout")}</button>
                """);
        }
        var csrf = user.FindFirstValue(DockPolicies.CsrfClaim) ?? "";
        var languages = string.Concat(WebText.Languages.Select(l =>
            $"""<a href="?lang={l}" lang="{l}"{(l == language ? " aria-current=\"true\"" : "")}>{T("language." + l)}</a>"""));
        return $"""
            <!doctype html>
            <html lang="{language}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="dock-csrf" content="{Html.Encode(csrf)}">
            <title>{Html.Encode(title)} · {T("dock.title")}</title>
            <link rel="stylesheet" href="/web/kiosk.css">
            <link rel="stylesheet" href="/web/console.css">
            </head>
            <body class="console">
            <a class="skip" href="#main">{T("nav.skip")}</a>
            <header class="bar">
            <h1>{T("dock.title")}</h1>
            {nav}
            <nav class="languages" aria-label="{T("language")}">{languages}</nav>
            </header>
            <main id="main">
            {body}
            </main>
            <script id="strings" type="application/json">{System.Text.Json.JsonSerializer.Serialize(t.All(language))}</script>
            <script src="/web/console.js" defer></script>
            </body>
            </html>
            """;
    }
}
