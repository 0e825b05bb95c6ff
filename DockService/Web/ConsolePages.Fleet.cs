using System.Globalization;
using System.Text;
using Dock.Service.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

public static partial class ConsolePages
{
    /// <summary>Fleet configuration (fleet-bundle-v1.md): the bundle this dock runs and the ones before, each camera's profile and firmware, and
    /// the fleet as the object store has it (the rollout's progress, every dock's state, silent docks), from <see cref="Fleet.FleetOverview"/>.</summary>
    private static async Task<IResult> FleetAsync(HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        static string Short(string? hash) => hash is { Length: >= 12 } ? hash[..12] + "…" : hash ?? "";
        static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";
        var state = await core.FleetOverview.DockAsync(cancellationToken);
        var html = new StringBuilder($"""
            <h2>{T("nav.fleet")}</h2>
            <div class="figures">
            <div class="figure" data-figure="bundle"><span class="value">{(state.Applied is { } a ? a.Version.ToString(CultureInfo.InvariantCulture) : "–")}</span>
            <span class="label">{T("fleet.bundle")}</span><span class="note">{(state.Applied is { } b ? Html.Encode(Short(b.Sha256)) : T("fleet.noBundle"))}</span></div>
            <div class="figure" data-figure="stale"><span class="value">{state.Recorders.Count(r => r.Stale)}</span><span class="label">{T("fleet.stale")}</span></div>
            <div class="figure" data-figure="firmware-failed"><span class="value">{state.Recorders.Count(r => r.FirmwareState is "rolled-back" or "refused" or "unhealthy")}</span>
            <span class="label">{T("fleet.firmwareFailed")}</span></div>
            </div>
            <p>{T("fleet.source", state.Source, state.Site ?? "–")}</p>
            <h3>{T("fleet.history")}</h3>
            <table class="bundles"><thead><tr><th scope="col">{T("fleet.version")}</th><th scope="col">sha256</th><th scope="col">{T("fleet.appliedAt")}</th>
            <th scope="col">{T("fleet.by")}</th><th scope="col">{T("fleet.from")}</th></tr></thead><tbody>
            """);
        foreach (var bundle in state.History)
            html.Append($"""
                <tr data-version="{bundle.Version}"><td>{bundle.Version}</td><td class="hash">{Html.Encode(Short(bundle.Sha256))}</td><td>{When(bundle.AppliedAt)}</td>
                <td>{Html.Encode(bundle.Actor)}</td><td>{Html.Encode(bundle.Source)}</td></tr>
                """);
        if (state.History.Count == 0) html.Append($"""<tr><td colspan="5">{T("fleet.noBundle")}</td></tr>""");
        html.Append($"""
            </tbody></table>
            <h3>{T("nav.recorders")}</h3>
            <table class="fleet-recorders"><thead><tr><th scope="col">{T("label.recorder")}</th><th scope="col">{T("recorders.model")}</th>
            <th scope="col">{T("fleet.profile")}</th><th scope="col">{T("fleet.firmware")}</th><th scope="col">{T("fleet.update")}</th></tr></thead><tbody>
            """);
        foreach (var r in state.Recorders)
        {
            var profile = r.ConfigSha256 is null ? T("fleet.unknown")
                : r.ConfigVersion == 0 ? T("fleet.factory") : T("fleet.profileOf", r.ConfigVersion!, Short(r.ConfigSha256));
            html.Append($"""
                <tr data-serial="{Html.Encode(r.Serial)}"{(r.Stale ? " class=\"attention\"" : "")}><td>{Html.Encode(r.Serial)}</td><td>{Html.Encode(r.Model)}</td>
                <td>{profile}{(r.Stale ? $" <strong>{T("fleet.staleMark")}</strong>" : "")}</td><td>{Html.Encode(r.Firmware)}</td>
                <td data-firmware-state="{Html.Encode(r.FirmwareState ?? "")}">{Html.Encode(r.FirmwareState ?? "")}{(r.FirmwareDetail is { Length: > 0 } d ? ": " + Html.Encode(d) : "")}</td></tr>
                """);
        }
        html.Append("</tbody></table>");

        // The fleet from the store: every dock's signed status, as `dock fleet status` reads it.
        var (report, problem) = await core.FleetOverview.FleetAsync(cancellationToken);
        html.Append($"""<section aria-labelledby="fleet-store"><h3 id="fleet-store">{T("fleet.store")}</h3>""");
        if (report is null) html.Append($"""<p class="problem">{T("fleet.storeProblem", problem ?? "")}</p>""");
        else
        {
            if (report.Progress is { } p)
                html.Append($"""
                    <p data-rollout="{p.Version}">{T("fleet.rollout", p.Version, p.Step + 1, p.Steps, p.StepCohort, p.Applied, p.Covered, p.Failed,
                        (p.FailureRate * 100).ToString("0.#", CultureInfo.InvariantCulture), (p.Threshold * 100).ToString("0.#", CultureInfo.InvariantCulture))}</p>
                    """);
            else html.Append($"<p>{T("fleet.noRollout")}</p>");
            html.Append($"""
                <p>{T("fleet.docks", report.Docks.Count, report.Silent, report.Rejected.Count)}</p>
                <table class="fleet-docks"><thead><tr><th scope="col">{T("fleet.dock")}</th><th scope="col">{T("fleet.site")}</th>
                <th scope="col">{T("fleet.version")}</th><th scope="col">{T("fleet.state")}</th><th scope="col">{T("fleet.lastSeen")}</th></tr></thead><tbody>
                """);
            foreach (var dock in report.Docks.OrderByDescending(d => d.State == "failed").ThenByDescending(d => d.Silent).ThenBy(d => d.DockId, StringComparer.Ordinal)
                .Take(500))
                html.Append($"""
                    <tr data-dock="{Html.Encode(dock.DockId)}"{(dock.Silent || dock.State == "failed" ? " class=\"attention\"" : "")}><td>{Html.Encode(dock.DockId)}</td>
                    <td>{Html.Encode(dock.Site ?? "")}</td><td>{dock.Version?.ToString(CultureInfo.InvariantCulture) ?? "–"}</td>
                    <td>{Html.Encode(dock.State)}{(dock.Reason is { Length: > 0 } why ? ": " + Html.Encode(why) : "")}</td>
                    <td>{When(dock.LastSeen)}{(dock.Silent ? $" <strong>{T("fleet.silent")}</strong>" : "")}</td></tr>
                    """);
            html.Append("</tbody></table>");
        }
        html.Append("</section>");
        return Page(context, Layout(context, language, t.Get(language, "nav.fleet"), html.ToString()));
    }
}
