using System.Globalization;
using System.Text;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Api;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

public static partial class ConsolePages
{
    private const int ClipsPerPage = 50;

    /// <summary>The clips, newest first, searched and paged on the server: by camera, officer, recording date (UTC days, both ends
    /// included), state and cloud state. A value that cannot be a serial, badge or date is ignored and shown as not applied.</summary>
    private static async Task<IResult> ClipsAsync(HttpContext context, DockCore core, CancellationToken cancellationToken, string? serial, string? officer,
        string? from, string? to, string? state, string? cloud, int? page)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        static string? Id(string? text) => Identifier.IsValid(text?.Trim()) ? text!.Trim() : null;
        static DateTimeOffset? Day(string? text) =>
            DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? new DateTimeOffset(day, TimeSpan.Zero) : null;
        serial = Id(serial);
        officer = Id(officer);
        var fromDay = Day(from);
        var toDay = Day(to);
        ClipState? wanted = Enum.TryParse<ClipState>(state, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s : null;
        CloudState? wantedCloud = Enum.TryParse<CloudState>(cloud, ignoreCase: true, out var c) && Enum.IsDefined(c) ? c : null;
        int number = Math.Clamp(page ?? 1, 1, 1_000_000);
        var clearance = core.Retrievals.ClearanceOf(await RetrievalApi.WhoAsync(context.User, core, cancellationToken));
        var found = await core.Catalog.Clips.SearchClipsAsync(new ClipFilter(serial, wanted, officer, fromDay, toDay?.AddDays(1), wantedCloud,
            [.. clearance.Levels.Select(Retrieval.SensitivityLevels.Name)]), number, ClipsPerPage, cancellationToken);
        string Option(string value, string label, bool selected) => $"""<option value="{value}"{(selected ? " selected" : "")}>{label}</option>""";
        var html = new StringBuilder($"""
            <h2>{T("nav.clips")}</h2>
            {CaseExportForm(context, language)}
            <form class="search" method="get" action="/clips">
            <label for="serial">{T("clips.serial")}</label><input id="serial" name="serial" value="{Html.Encode(serial ?? "")}" maxlength="64">
            <label for="officer">{T("clips.officer")}</label><input id="officer" name="officer" value="{Html.Encode(officer ?? "")}" maxlength="64">
            <label for="from">{T("clips.from")}</label><input id="from" name="from" type="date" value="{fromDay?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}">
            <label for="to">{T("clips.to")}</label><input id="to" name="to" type="date" value="{toDay?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}">
            <label for="state">{T("clips.state")}</label><select id="state" name="state">{Option("", T("clips.any"), wanted is null)}
            """);
        foreach (var option in Enum.GetValues<ClipState>()) html.Append(Option(option.ToDb(), T("state." + option.ToDb()), option == wanted));
        html.Append($"""</select><label for="cloud">{T("clips.cloud")}</label><select id="cloud" name="cloud">{Option("", T("clips.any"), wantedCloud is null)}""");
        foreach (var option in Enum.GetValues<CloudState>())
        {
            var name = option.ToString().ToLowerInvariant();
            html.Append(Option(name, T("cloud." + name), option == wantedCloud));
        }
        html.Append($"""
            </select><button type="submit">{T("clips.search")}</button></form>
            <p id="clip-count">{T("clips.count", found.Total)}</p>
            <table class="clips"><thead><tr><th scope="col">{T("label.recorder")}</th><th scope="col">{T("clips.clip")}</th><th scope="col">{T("label.officer")}</th>
            <th scope="col">{T("clips.recorded")}</th><th scope="col">{T("clips.size")}</th><th scope="col">{T("clips.state")}</th></tr></thead><tbody>
            """);
        foreach (var clip in found.Items)
        {
            var link = $"/clips/{Uri.EscapeDataString(clip.RecorderSerial)}/{Uri.EscapeDataString(clip.ClipId)}";
            html.Append($"""
                <tr data-clip="{Html.Encode(clip.ClipId)}"><td>{Html.Encode(clip.RecorderSerial)}</td><td><a href="{Html.Encode(link)}">{Html.Encode(clip.ClipId)}</a></td>
                <td>{Html.Encode(clip.OfficerId)}</td><td>{clip.DeviceStart.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</td>
                <td>{clip.Size.ToString("N0", CultureInfo.InvariantCulture)}</td><td>{T("state." + clip.State.ToDb())}</td></tr>
                """);
        }
        html.Append("</tbody></table>");
        var query = string.Join("&", new (string Key, string? Value)[]
            {
                ("serial", serial), ("officer", officer), ("from", fromDay?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
                ("to", toDay?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("state", wanted?.ToDb()), ("cloud", wantedCloud?.ToString().ToLowerInvariant()),
            }.Where(p => p.Value is not null).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}"));
        html.Append($"""<nav class="pager" aria-label="{T("clips.pages")}">""");
        if (number > 1) html.Append($"""<a href="/clips?{Html.Encode(query)}&amp;page={number - 1}" rel="prev">{T("clips.previous")}</a>""");
        if ((long)number * ClipsPerPage < found.Total) html.Append($"""<a href="/clips?{Html.Encode(query)}&amp;page={number + 1}" rel="next">{T("clips.next")}</a>""");
        html.Append("</nav>");
        return Page(context, Layout(context, language, t.Get(language, "nav.clips"), html.ToString()));
    }

    /// <summary>One clip: its hashes, both signatures, its history and every custody entry naming it, and "verify now".</summary>
    private static async Task<IResult> ClipAsync(HttpContext context, string serial, string clipId, string? retrieval, DockCore core,
        Metadata.ClipTagging tagging, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var clip = serial.Length > 64 || clipId.Length > 80 ? null : await core.Catalog.Clips.FindClipAsync(serial, clipId, cancellationToken);
        if (clip is null) return Results.NotFound();
        // R6: above the reader's clearance the page answers 403 (the refusal recorded); a sensitive clip's page opens only after a reason (R5).
        var mark = await core.Sensitivity.ReadAsync(clip.Id, cancellationToken);
        var level = mark?.Level ?? Retrieval.SensitivityLevel.None;
        var who = await RetrievalApi.WhoAsync(context.User, core, cancellationToken);
        if (!core.Retrievals.ClearanceOf(who).Allows(level))
        {
            await core.Retrievals.RefuseAsync(who, clip, $"clip page: {Retrieval.SensitivityLevels.Name(level)} is above the clearance of roles {string.Join(",", who.Roles)}",
                cancellationToken);
            await ForbiddenAsync(context);
            return Results.Empty;
        }
        if (level != Retrieval.SensitivityLevel.None && await core.Retrievals.FindOpenAsync(retrieval, who, clip, cancellationToken) is null)
            return ReasonGate(context, language, core, clip, level);
        var history = await core.Catalog.Clips.ClipHistoryAsync(clip.Id, cancellationToken);
        var custody = await core.Log.ReadClipEntriesAsync(clip.RecorderSerial, clip.ClipId, cancellationToken);
        // Read once for the three sections that show them (tags, what the camera kept, retention by category).
        var tags = await tagging.ReadAsync(clip, cancellationToken);
        string Row(string key, string? value) => $"<div><dt>{T(key)}</dt><dd>{(value is { Length: > 0 } ? Html.Encode(value) : "—")}</dd></div>";
        var html = new StringBuilder($"""
            <h2>{Html.Encode(clip.RecorderSerial)} / {Html.Encode(clip.ClipId)}</h2>
            <dl class="facts">
            {Row("label.recorder", clip.RecorderSerial)}{Row("label.officer", clip.OfficerId)}{Row("clips.state", t.Get(language, "state." + clip.State.ToDb()))}
            {Row("clips.recorded", $"{clip.DeviceStart:yyyy-MM-dd HH:mm:ss} – {clip.DeviceEnd:HH:mm:ss} UTC")}
            {Row("clips.size", clip.Size.ToString("N0", CultureInfo.InvariantCulture))}
            <div><dt>{T("clip.deviceSha")}</dt><dd class="hash" data-field="device-sha256">{Html.Encode(clip.DeviceSha256)}</dd></div>
            <div><dt>{T("clip.storedSha")}</dt><dd class="hash">{Html.Encode(clip.StoredSha256 ?? "—")}</dd></div>
            {Row("clip.recorderSignature", clip.RecorderSignature is { } sig ? sig : t.Get(language, "clip.none"))}
            {Row("clip.dockSignature", clip.ManifestPath is { } m ? m + ".sig" : t.Get(language, "clip.none"))}
            </dl>
            {RetrieveSection(context, language, core, clip, mark)}
            {TagsSection(context, language, clip, tagging, tags)}
            {CameraSection(language, tags.Recorder)}
            {await RetentionSectionAsync(context, language, clip, core, tags, cancellationToken)}
            <section aria-labelledby="verify-title">
            <h3 id="verify-title">{T("verify.title")}</h3>
            <button type="button" id="verify" data-serial="{Html.Encode(clip.RecorderSerial)}" data-clip="{Html.Encode(clip.ClipId)}"{(clip.ManifestPath is null || !clip.InVault ? " disabled" : "")}>{T("verify.now")}</button>
            <div id="verify-result" aria-live="polite"></div>
            </section>
            <h3>{T("clip.history")}</h3>
            <table class="history"><thead><tr><th scope="col">{T("alerts.when")}</th><th scope="col">{T("clips.state")}</th><th scope="col">{T("alerts.message")}</th></tr></thead><tbody>
            """);
        foreach (var (at, state, detail) in history)
            html.Append($"""<tr><td>{at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</td><td>{T("state." + state.ToDb())}</td><td>{Html.Encode(detail ?? "")}</td></tr>""");
        html.Append($"""</tbody></table><h3>{T("clip.custody")}</h3><ul class="custody">""");
        foreach (var (index, entry) in custody)
            html.Append($"""<li data-entry="{index}"><pre>{Html.Encode(Encoding.UTF8.GetString(entry))}</pre></li>""");
        html.Append("</ul>");
        return Page(context, Layout(context, language, $"{clip.RecorderSerial}/{clip.ClipId}", html.ToString()));
    }

    /// <summary>What the camera kept beside the clip: how many GPS fixes and when, the track drawn as a plain SVG line (north up, no map
    /// tiles: the dock is offline), the markers, and whether it was marked important on the camera.</summary>
    private static string CameraSection(string language, Metadata.RecorderData? data)
    {
        if (data is null) return "";
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("HH:mm:ss", CultureInfo.InvariantCulture);
        var html = new StringBuilder($"""<section aria-labelledby="camera-title" id="camera"><h3 id="camera-title">{T("camera.title")}</h3>""");
        if (data.Important) html.Append($"""<p data-field="camera-important">{T("camera.important")}</p>""");
        if (data.Track.Count == 0) html.Append($"<p>{T("camera.none")}</p>");
        else
        {
            html.Append($"""<p data-field="fixes">{T("camera.fixes", data.Track.Count, Time(data.Track[0].TimeMs), Time(data.Track[^1].TimeMs), data.Dropped)}</p>""");
            // Scaled to a 240 × 240 box, keeping the aspect of metres on the ground (a degree of longitude shrinks with the latitude).
            double minLat = data.Track.Min(p => p.Latitude), maxLat = data.Track.Max(p => p.Latitude);
            double minLon = data.Track.Min(p => p.Longitude), maxLon = data.Track.Max(p => p.Longitude);
            double squeeze = Math.Cos((minLat + maxLat) / 2 * Math.PI / 180);
            double span = Math.Max(Math.Max(maxLat - minLat, (maxLon - minLon) * squeeze), 1e-6);
            var points = string.Join(' ', data.Track.Select(p => string.Create(CultureInfo.InvariantCulture,
                $"{10 + (p.Longitude - minLon) * squeeze / span * 220:0.#},{230 - (p.Latitude - minLat) / span * 220:0.#}")));
            html.Append($"""
                <figure><svg viewBox="0 0 240 240" width="240" height="240" role="img" aria-label="{T("camera.track")}" class="track">
                <rect x="0" y="0" width="240" height="240" fill="none" stroke="currentColor" stroke-opacity="0.3"/>
                <polyline points="{points}" fill="none" stroke="currentColor" stroke-width="2"/></svg>
                <figcaption>{T("camera.track")}</figcaption></figure>
                """);
        }
        if (data.Markers.Count > 0)
        {
            html.Append($"""<h4>{T("camera.markers")}</h4><ul class="markers">""");
            foreach (var marker in data.Markers)
                html.Append($"""<li data-marker="{Metadata.MetadataSidecar.MarkerName(marker.Kind)}">{Html.Encode(Time(marker.TimeMs))} {T("marker." + Metadata.MetadataSidecar.MarkerName(marker.Kind))}{(marker.Label.Length > 0 ? " — " + Html.Encode(marker.Label) : "")}</li>""");
            html.Append("</ul>");
        }
        return html.Append("</section>").ToString();
    }

    /// <summary>How long the vault keeps the clip and why, the holds on it (a form to place one, a lift button per hold for those who may),
    /// or when its vault copy was purged. The decisions are Retention/'s; the page only shows them.</summary>
    private static async Task<string> RetentionSectionAsync(HttpContext context, string language, ClipRecord clip, DockCore core,
        Metadata.ClipTags tags, CancellationToken cancellationToken)
    {
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        string When(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var status = await core.Purge.StatusAsync(clip, tags[Metadata.TagField.Category], cancellationToken);
        var html = new StringBuilder($"""
            <section aria-labelledby="retention-title" id="retention">
            <h3 id="retention-title">{T("retention.title")}</h3>
            <dl class="facts">
            <div><dt>{T("retention.keptFor")}</dt><dd data-field="kept-for">{T("retention.days", status.KeptFor.TotalDays.ToString("0", CultureInfo.InvariantCulture),
                status.DecidedBy ?? t.Get(language, "retention.uncategorised"))}</dd></div>
            """);
        if (status.PurgedAt is { } purged)
            html.Append($"""<div><dt>{T("retention.due")}</dt><dd data-field="purged">{T("retention.purged", When(purged), status.PurgedIndex ?? 0)}</dd></div>""");
        else
            html.Append($"""<div><dt>{T("retention.due")}</dt><dd data-field="due">{(status.Due is { } due && due != DateTimeOffset.MaxValue ? Html.Encode(When(due)) : T("retention.notVerified"))}</dd></div>""");
        html.Append($"""</dl><h4>{T("retention.holds")}</h4><ul class="holds">""");
        if (status.Holds.Count == 0) html.Append($"<li>{T("retention.noHolds")}</li>");
        bool mayLift = DockPolicies.RolesOf[DockPolicies.LiftHolds].Any(context.User.IsInRole);
        foreach (var hold in status.Holds)
        {
            html.Append($"""<li data-hold="{hold.Id}">{T("retention.hold", hold.Id, hold.Covers, hold.PlacedBy, When(hold.PlacedAt), hold.Reason)}""");
            if (mayLift)
                html.Append($"""
                    <form class="lift-hold" data-hold="{hold.Id}"><label for="lift-{hold.Id}">{T("retention.reason")}</label>
                    <input id="lift-{hold.Id}" name="reason" required maxlength="60"><button type="submit">{T("retention.lift")}</button></form>
                    """);
            html.Append("</li>");
        }
        html.Append("</ul>");
        if (status.PurgedAt is null && DockPolicies.RolesOf[DockPolicies.PlaceHolds].Any(context.User.IsInRole))
            html.Append($"""
                <form id="place-hold" data-serial="{Html.Encode(clip.RecorderSerial)}" data-clip="{Html.Encode(clip.ClipId)}">
                <label for="hold-reason">{T("retention.reason")}</label><input id="hold-reason" name="reason" required maxlength="60">
                <button type="submit">{T("retention.placeHold")}</button></form>
                """);
        html.Append("</section>");
        return html.ToString();
    }

    /// <summary>The clip's tags with where each came from; for those who may tag, a form that changes them with a reason (each change a
    /// metadata-changed custody entry, listed below with the others).</summary>
    private static string TagsSection(HttpContext context, string language, ClipRecord clip, Metadata.ClipTagging tagging, Metadata.ClipTags tags)
    {
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        string OneCategory(string id) => tagging.Categories.FirstOrDefault(c => c.Id == id) is { } c ? (language == WebText.Chinese ? c.NameZh : c.Name) : id;
        string CategoryName(string ids) => string.Join(", ", Retention.RetentionRules.Categories(ids).Select(OneCategory));
        var html = new StringBuilder($"""
            <section aria-labelledby="tags-title">
            <h3 id="tags-title">{T("clip.tags")}</h3>
            <table class="tags"><thead><tr><th scope="col">{T("clip.field")}</th><th scope="col">{T("clip.value")}</th><th scope="col">{T("clip.source")}</th>
            <th scope="col">{T("clip.setBy")}</th></tr></thead><tbody>
            """);
        foreach (var field in Enum.GetValues<Metadata.TagField>())
        {
            var name = Metadata.Tags.Name(field);
            bool required = Metadata.Tags.Required.Contains(field);
            if (!tags.Values.TryGetValue(field, out var value))
            {
                html.Append($"""<tr data-tag="{name}" data-missing="{(required ? "true" : "false")}"><th scope="row">{T("tag." + name)}</th><td colspan="3">{(required ? T("clip.missing") : "—")}</td></tr>""");
                continue;
            }
            var shown = field == Metadata.TagField.Category ? CategoryName(value.Value) : value.Value;
            var by = value.Stored ? $"{value.SetBy}, {value.SetAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}" : t.Get(language, "clip.derived");
            html.Append($"""
                <tr data-tag="{name}"><th scope="row">{T("tag." + name)}</th><td data-field="value">{Html.Encode(shown)}</td>
                <td>{T("source." + Metadata.Tags.Name(value.Source))}</td><td>{Html.Encode(by)}</td></tr>
                """);
        }
        html.Append("</tbody></table>");
        if (DockPolicies.RolesOf[DockPolicies.TagClips].Any(context.User.IsInRole))
        {
            string Input(Metadata.TagField field, string type = "text") =>
                $"""<div><label for="edit-{Metadata.Tags.Name(field)}">{T("tag." + Metadata.Tags.Name(field))}</label><input id="edit-{Metadata.Tags.Name(field)}" name="{Metadata.Tags.Name(field)}" type="{type}" value="{Html.Encode(tags.Values.TryGetValue(field, out var v) && v.Stored ? v.Value : "")}"></div>""";
            html.Append($"""
                <form id="edit-tags" class="tag-form" data-serial="{Html.Encode(clip.RecorderSerial)}" data-clip="{Html.Encode(clip.ClipId)}">
                {Input(Metadata.TagField.CaseNumber)}{Input(Metadata.TagField.Purpose)}{Input(Metadata.TagField.CapturePlace)}{Input(Metadata.TagField.Notes)}
                <div><label for="edit-category">{T("tag.category")}</label><select id="edit-category" name="category" multiple size="3">
                """);
            foreach (var category in tagging.Categories)
                html.Append($"""<option value="{Html.Encode(category.Id)}"{(Retention.RetentionRules.Categories(tags[Metadata.TagField.Category]).Contains(category.Id) ? " selected" : "")}>{Html.Encode(OneCategory(category.Id))}</option>""");
            html.Append($"""
                </select></div>
                <div><label for="edit-reason">{T("alerts.reason")}</label><input id="edit-reason" name="reason" required maxlength="60"></div>
                <button type="submit">{T("clip.saveTags")}</button>
                </form>
                """);
        }
        html.Append("</section>");
        return html.ToString();
    }
}
