using System.Text;
using Dock.Service.Api;
using Dock.Service.Hosting;
using Dock.Service.Registry;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

public static partial class ConsolePages
{
    /// <summary>The equipment registry: units, officers (with their 执法证 and when it expires) and registered recorders; for those who manage
    /// equipment, a form per roster that sends a CSV file to <c>PUT /api/v1/registry/{kind}</c> (every bad row shown by its line, nothing
    /// applied unless all are good), and each roster's CSV to download.</summary>
    private static async Task<IResult> RegistryAsync(HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var store = new RegistryStore(core.Catalog.Database);
        var units = await store.UnitsAsync(cancellationToken);
        var officers = await store.OfficersAsync(cancellationToken);
        var recorders = await store.RecordersAsync(cancellationToken);
        bool manage = DockPolicies.RolesOf[DockPolicies.ManageRecorders].Any(context.User.IsInRole);
        var today = DateOnly.FromDateTime(core.Catalog.Database.Time.GetUtcNow().UtcDateTime);
        var html = new StringBuilder($"<h2>{T("nav.registry")}</h2>");

        void Roster(string kind, string title, string[] headers, IEnumerable<string[]> rows)
        {
            html.Append($"""
                <section aria-labelledby="{kind}-title" data-roster="{kind}"><h3 id="{kind}-title">{T(title)}</h3>
                <p><a href="/api/v1/registry/{kind}" download="{kind}.csv">{T("registry.download")}</a></p>
                <table class="report" data-table="{kind}"><thead><tr>{string.Concat(headers.Select(h => $"<th scope=\"col\">{T(h)}</th>"))}</tr></thead><tbody>
                """);
            foreach (var row in rows)
                html.Append($"""<tr data-key="{Html.Encode(row[0])}">{string.Concat(row.Select(c => $"<td>{Html.Encode(c)}</td>"))}</tr>""");
            html.Append("</tbody></table>");
            if (manage)
                html.Append($"""
                    <form class="roster-import" data-kind="{kind}"><label for="{kind}-file">{T("registry.import")}</label>
                    <input id="{kind}-file" name="file" type="file" accept=".csv,text/csv" required><button type="submit">{T("registry.send")}</button></form>
                    """);
            html.Append("</section>");
        }

        Roster("units", "registry.units", ["registry.id", "registry.name"], units.Select(u => new[] { u.Id, u.Name }));
        Roster("officers", "registry.officers", ["label.officer", "registry.name", "reports.unit", "registry.role", "registry.certificate"],
            officers.Select(o => new[]
            {
                o.Badge, o.Name, o.UnitId, t.Get(language, "registry.role." + o.Role.Name()),
                o.Certificate is null ? "—" : $"{o.Certificate}{(o.CertificateExpires is { } d ? $" ({RegistryNames.Day(d)}{(d < today ? ", " + t.Get(language, "registry.expired") : "")})" : "")}",
            }));
        Roster("recorders", "registry.recorders", ["label.recorder", "registry.model", "registry.firmware", "registry.status", "reports.unit", "registry.boundTo"],
            recorders.Select(r => new[] { r.Serial, r.Model, r.Firmware, t.Get(language, "registry.status." + r.Status.Name()), r.HomeUnit ?? "—", r.Officer ?? "—" }));
        return Page(context, Layout(context, language, t.Get(language, "nav.registry"), html.ToString()));
    }
}
