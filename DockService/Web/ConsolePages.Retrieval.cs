using System.Globalization;
using System.Text;
using Dock.Service.Api;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Retrieval;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

/// <summary>
/// Supervised retrieval in the console (R5, R6): the reason form before a sensitive clip's page or any playback, the player with its
/// overlay, the sensitivity control, the audit page and the case file export. Every action goes through the API (console.js), whose
/// owners (<see cref="Retrievals"/>, <see cref="ClipSensitivity"/>, Exports/CaseExports) decide and record.
/// </summary>
public static partial class ConsolePages
{
    /// <summary>The purpose, case number and free-text fields every retrieval form shares.</summary>
    private static string ReasonFields(string language, DockCore core, string prefix)
    {
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var html = new StringBuilder($"""<div><label for="{prefix}-purpose">{T("retrieve.purpose")}</label><select id="{prefix}-purpose" name="purpose" required>""");
        foreach (var purpose in core.Retrievals.Options.EffectivePurposes)
            html.Append($"""<option value="{Html.Encode(purpose)}">{Html.Encode(t.Has(language, "purpose." + purpose) ? t.Get(language, "purpose." + purpose) : purpose)}</option>""");
        html.Append($"""
            </select></div>
            <div><label for="{prefix}-case">{T("retrieve.case")}</label><input id="{prefix}-case" name="caseNumber" maxlength="60"></div>
            <div><label for="{prefix}-text">{T("retrieve.text")}</label><input id="{prefix}-text" name="text" maxlength="120"></div>
            """);
        return html.ToString();
    }

    /// <summary>A sensitive clip's page before its reader has said why: what it is (no more) and the reason form (a metadata retrieval).</summary>
    private static IResult ReasonGate(HttpContext context, string language, DockCore core, ClipRecord clip, SensitivityLevel level)
    {
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var body = $"""
            <h2>{Html.Encode(clip.RecorderSerial)} / {Html.Encode(clip.ClipId)}</h2>
            <p class="sensitive" data-level="{SensitivityLevels.Name(level)}">{T("sensitivity.gate", t.Get(language, "sensitivity." + SensitivityLevels.Name(level)))}</p>
            <form id="reason-gate" class="retrieve card" data-serial="{Html.Encode(clip.RecorderSerial)}" data-clip="{Html.Encode(clip.ClipId)}" data-kind="metadata">
            {ReasonFields(language, core, "gate")}
            <button type="submit">{T("retrieve.open")}</button>
            </form>
            """;
        return Page(context, Layout(context, language, $"{clip.RecorderSerial}/{clip.ClipId}", body));
    }

    /// <summary>On the clip's page: its sensitivity (a supervisor changes it here, a reason to lower it), and play or download under a reason.</summary>
    private static string RetrieveSection(HttpContext context, string language, DockCore core, ClipRecord clip, SensitivityMark? mark)
    {
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var level = mark?.Level ?? SensitivityLevel.None;
        var html = new StringBuilder($"""
            <section aria-labelledby="retrieve-title" id="retrieve">
            <h3 id="retrieve-title">{T("retrieve.title")}</h3>
            <p data-field="sensitivity" data-level="{SensitivityLevels.Name(level)}">{T("sensitivity.label")}: {T("sensitivity." + SensitivityLevels.Name(level))}{(mark is null ? "" : Html.Encode($" ({mark.SetBy}, {mark.SetAt:yyyy-MM-dd HH:mm})"))}</p>
            """);
        if (DockPolicies.RolesOf[DockPolicies.MarkSensitivity].Any(context.User.IsInRole))
        {
            html.Append($"""<form id="set-sensitivity" class="inline" data-serial="{Html.Encode(clip.RecorderSerial)}" data-clip="{Html.Encode(clip.ClipId)}"><label for="level">{T("sensitivity.change")}</label><select id="level" name="level">""");
            foreach (var name in SensitivityLevels.Names)
                html.Append($"""<option value="{name}"{(name == SensitivityLevels.Name(level) ? " selected" : "")}>{T("sensitivity." + name)}</option>""");
            html.Append($"""</select><label for="level-reason">{T("alerts.reason")}</label><input id="level-reason" name="reason" maxlength="60"><button type="submit">{T("sensitivity.save")}</button></form>""");
        }
        bool playable = clip.ManifestPath is not null && (clip.InVault || clip.PurgedAt is not null);
        html.Append($"""
            <form id="retrieve-form" class="retrieve" data-serial="{Html.Encode(clip.RecorderSerial)}" data-clip="{Html.Encode(clip.ClipId)}">
            {ReasonFields(language, core, "retrieve")}
            <button type="submit" data-kind="view"{(playable ? "" : " disabled")}>{T("retrieve.play")}</button>
            <button type="submit" data-kind="download"{(playable ? "" : " disabled")}>{T("retrieve.download")}</button>
            </form>
            <p class="note">{T("retrieve.note")}</p>
            </section>
            """);
        return html.ToString();
    }

    /// <summary>The player: the vault (or cloud) copy through HTTP ranges under the viewer's retrieval, and over it the viewer's name and the
    /// time, drawn by the page (the file is never altered), which discourages filming the screen.</summary>
    private static async Task<IResult> PlayAsync(HttpContext context, string serial, string clipId, string? retrieval, DockCore core, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var clip = serial.Length > 64 || clipId.Length > 80 ? null : await core.Catalog.Clips.FindClipAsync(serial, clipId, cancellationToken);
        if (clip is null) return Results.NotFound();
        var who = await RetrievalApi.WhoAsync(context.User, core, cancellationToken);
        if (!await core.Retrievals.MayAsync(who, clip, cancellationToken))
        {
            await core.Retrievals.RefuseAsync(who, clip, "player page: above clearance", cancellationToken);
            await ForbiddenAsync(context);
            return Results.Empty;
        }
        var page = $"/clips/{Uri.EscapeDataString(clip.RecorderSerial)}/{Uri.EscapeDataString(clip.ClipId)}";
        var session = await core.Retrievals.FindOpenAsync(retrieval, who, clip, cancellationToken);
        if (session is not { Kind: RetrievalKind.View }) return Results.Redirect(page);
        var src = $"/api/v1{page}/content?retrieval={Uri.EscapeDataString(session.Token!)}";
        var body = $"""
            <h2>{Html.Encode(clip.RecorderSerial)} / {Html.Encode(clip.ClipId)}</h2>
            <p>{T("player.session", session.OpenIndex ?? 0, session.Reason)}</p>
            <div class="player">
            <video id="player" controls preload="metadata" src="{Html.Encode(src)}" data-size="{clip.Size}"></video>
            <div id="overlay" class="overlay" aria-hidden="true" data-user="{Html.Encode(who.Name)}">{Html.Encode(who.Name)}</div>
            </div>
            <p><a href="{Html.Encode(page)}">{T("player.back")}</a></p>
            """;
        return Page(context, Layout(context, language, $"{clip.RecorderSerial}/{clip.ClipId}", body));
    }

    /// <summary>Every retrieval and refusal, newest first, filtered by clip, person and time; and the patterns the dock flagged.</summary>
    private static async Task<IResult> AuditAsync(HttpContext context, DockCore core, CancellationToken cancellationToken, string? clip, string? user, string? since)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        string? serial = null, clipId = null;
        if (!string.IsNullOrWhiteSpace(clip))
        {
            var parts = clip.Trim().Split('/', 2);
            (serial, clipId) = (parts[0], parts.Length > 1 ? parts[1] : null);
        }
        DateTimeOffset? from = DateTime.TryParseExact(since, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? new DateTimeOffset(day, TimeSpan.Zero) : null;
        var rows = await core.Retrievals.ListAsync(new RetrievalFilter(serial, clipId, string.IsNullOrWhiteSpace(user) ? null : user.Trim(), from), 500, cancellationToken);
        var html = new StringBuilder($"""
            <h2>{T("nav.audit")}</h2>
            <form class="search" method="get" action="/audit">
            <label for="audit-clip">{T("audit.clip")}</label><input id="audit-clip" name="clip" value="{Html.Encode(clip ?? "")}" maxlength="150">
            <label for="audit-user">{T("audit.user")}</label><input id="audit-user" name="user" value="{Html.Encode(user ?? "")}" maxlength="64">
            <label for="audit-since">{T("audit.since")}</label><input id="audit-since" name="since" type="date" value="{from?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}">
            <button type="submit">{T("clips.search")}</button></form>
            <p id="audit-count">{T("audit.count", rows.Count)}</p>
            <table class="audit"><thead><tr><th scope="col">{T("alerts.when")}</th><th scope="col">{T("audit.user")}</th><th scope="col">{T("audit.kind")}</th>
            <th scope="col">{T("audit.clip")}</th><th scope="col">{T("alerts.reason")}</th><th scope="col">{T("audit.units")}</th><th scope="col">{T("audit.served")}</th>
            <th scope="col">{T("audit.entries")}</th></tr></thead><tbody>
            """);
        foreach (var r in rows)
        {
            var kind = r.Kind.ToString().ToLowerInvariant();
            var link = r.Serial is null ? "" : $"""<a href="/clips/{Html.Encode(Uri.EscapeDataString(r.Serial))}/{Html.Encode(Uri.EscapeDataString(r.ClipId ?? ""))}">{Html.Encode($"{r.Serial}/{r.ClipId}")}</a>""";
            html.Append($"""
                <tr data-kind="{kind}"><td>{r.At.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</td><td>{Html.Encode(r.User)}</td><td>{T("audit.kind." + kind)}</td>
                <td>{link}</td><td>{Html.Encode(r.Reason)}</td><td>{Html.Encode($"{r.ClipUnit ?? "—"} / {r.UserUnit ?? "—"}")}</td>
                <td>{(r.Bytes > 0 ? Html.Encode($"{r.Bytes.ToString("N0", CultureInfo.InvariantCulture)} ({r.Ranges})") : "")}</td>
                <td>{Html.Encode(string.Join(", ", new[] { r.OpenIndex, r.CloseIndex }.Where(i => i is not null)))}</td></tr>
                """);
        }
        html.Append("</tbody></table>");
        return Page(context, Layout(context, language, t.Get(language, "nav.audit"), html.ToString()));
    }

    /// <summary>The case file export form on the clips page (for those who may export a case): the bundle comes back as a ZIP download.</summary>
    private static string CaseExportForm(HttpContext context, string language)
    {
        if (!DockPolicies.RolesOf[DockPolicies.ExportCases].Any(context.User.IsInRole)) return "";
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        return $"""
            <details class="case-export"><summary>{T("case.title")}</summary>
            <form id="case-export" class="inline">
            <label for="case-number">{T("retrieve.case")}</label><input id="case-number" name="caseNumber" required maxlength="60">
            <label for="case-reason">{T("alerts.reason")}</label><input id="case-reason" name="reason" required maxlength="120">
            <button type="submit">{T("case.export")}</button>
            <p id="case-status" aria-live="polite"></p>
            </form>
            <p class="note">{T("case.note")}</p>
            </details>
            """;
    }
}
