using System.Globalization;
using System.Text;
using Dock.Service.Equipment;
using Dock.Service.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

public static partial class ConsolePages
{
    private const int ComplianceDays = 30;

    /// <summary>The equipment at a glance (R4, R10): each unit against its policy with its compliance over the last 30 days as a strip (green
    /// compliant, red in breach, grey unknown), who holds which camera now, the batteries to replace with their evidence and charge curves,
    /// and the use per unit. The same figures as <c>dock report ratio|allocation|batteries|usage</c>.</summary>
    private static async Task<IResult> EquipmentAsync(HttpContext context, DockCore core, TimeProvider time, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        string N(double? value, string format = "0.#") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "—";
        var reports = new EquipmentReports(core.Catalog.Database, core.Options, time);
        var end = time.GetUtcNow();
        var from = new DateTimeOffset(end.UtcDateTime.Date, TimeSpan.Zero).AddDays(1 - ComplianceDays);
        var units = await reports.RatioAsync(from, end, cancellationToken);
        var html = new StringBuilder($"<h2>{T("nav.equipment")}</h2>");

        html.Append($"""
            <section aria-labelledby="units-title"><h3 id="units-title">{T("equipment.units")}</h3>
            <table class="report" data-table="ratio"><thead><tr><th scope="col">{T("reports.unit")}</th><th scope="col">{T("equipment.officers")}</th>
            <th scope="col">{T("equipment.recorders")}</th><th scope="col">{T("equipment.spare")}</th><th scope="col">{T("equipment.ready")}</th>
            <th scope="col">{T("equipment.out")}</th><th scope="col">{T("equipment.now")}</th><th scope="col">{T("equipment.history", ComplianceDays)}</th></tr></thead><tbody>
            """);
        foreach (var u in units)
        {
            html.Append($"""
                <tr data-unit="{Html.Encode(u.Unit)}" data-compliant="{(u.Compliant ? "true" : "false")}"><th scope="row">{Html.Encode(u.Unit)} {Html.Encode(u.Name)}</th>
                <td>{u.Officers}</td><td>{u.ServiceableRecorders} / {u.RequiredRecorders}</td><td>{u.SpareRecorders} / {u.MinimumSpare}</td>
                <td>{u.ReadyRecorders} / {u.MinimumReady}</td><td>{u.CheckedOut}</td>
                <td>{(u.Compliant ? T("equipment.compliant") : $"<strong>{T("equipment.breach")}</strong><br>{Html.Encode(string.Join("; ", u.Problems))}")}</td>
                <td>{ComplianceStrip(u, from, end, t.Get(language, "equipment.share", u.CompliantShare is { } s ? s.ToString("P0", CultureInfo.InvariantCulture) : "—", u.Breaches))}</td></tr>
                """);
        }
        html.Append("</tbody></table></section>");

        var allocation = await reports.AllocationAsync(from, end, cancellationToken);
        html.Append($"""
            <section aria-labelledby="out-title"><h3 id="out-title">{T("equipment.outNow", allocation.Now.Count)}</h3>
            <table class="report" data-table="allocation"><thead><tr><th scope="col">{T("label.recorder")}</th><th scope="col">{T("label.officer")}</th>
            <th scope="col">{T("reports.unit")}</th><th scope="col">{T("equipment.mode")}</th><th scope="col">{T("equipment.outAt")}</th>
            <th scope="col">{T("equipment.dueAt")}</th></tr></thead><tbody>
            """);
        foreach (var r in allocation.Now)
            html.Append($"""
                <tr data-recorder="{Html.Encode(r.Serial)}"{(r.Overdue ? " data-overdue=\"true\"" : "")}><td>{Html.Encode(r.Serial)}</td>
                <td>{Html.Encode($"{r.Badge} {r.Officer}")}{(r.AccompaniedBy is { } with ? " " + T("equipment.with", with) : "")}</td><td>{Html.Encode(r.Unit)}</td>
                <td>{T("equipment.mode." + r.Mode)}</td><td>{Local(r.Out)}</td><td>{Local(r.Due)}{(r.Overdue ? $" <strong>{T("equipment.overdue")}</strong>" : "")}</td></tr>
                """);
        html.Append("</tbody></table></section>");

        var batteries = await reports.BatteriesAsync(cancellationToken);
        html.Append($"""
            <section aria-labelledby="batteries-title"><h3 id="batteries-title">{T("equipment.batteries", batteries.Count(b => b.Replace), batteries.Count)}</h3>
            <table class="report" data-table="batteries"><thead><tr><th scope="col">{T("label.recorder")}</th><th scope="col">{T("equipment.cycles")}</th>
            <th scope="col">{T("equipment.ownHealth")}</th><th scope="col">{T("equipment.rate")}</th><th scope="col">{T("equipment.runtime")}</th>
            <th scope="col">{T("equipment.notFull")}</th><th scope="col">{T("equipment.verdict")}</th></tr></thead><tbody>
            """);
        foreach (var b in batteries)
            html.Append($"""
                <tr data-recorder="{Html.Encode(b.Serial)}" data-replace="{(b.Replace ? "true" : "false")}"><td>{Html.Encode(b.Serial)}</td><td>{N(b.Cycles)}</td>
                <td>{N(b.ReportedHealth)} %</td><td>{N(b.EarliestRate, "0")} → {N(b.LatestRate, "0")}</td><td>{N(b.RuntimeHours)}</td><td>{b.FailedToFill}</td>
                <td>{(b.Replace ? $"<strong>{T("equipment.replace")}</strong><ul>{string.Concat(b.Findings.Select(f => $"<li>{Html.Encode(f.Evidence)}</li>"))}</ul>" : T("equipment.healthy"))}</td></tr>
                """);
        html.Append("</tbody></table>");
        // The charge curves of those to replace: the evidence, drawn (ScottPlot; served as images, so the page's content policy stays strict).
        foreach (var b in batteries.Where(b => b.Replace))
            html.Append($"""
                <figure class="chart"><img src="/equipment/batteries/{Uri.EscapeDataString(b.Serial)}.svg" width="{BatteryCharts.Width}" height="{BatteryCharts.Height}"
                alt="{T("equipment.chartAlt", b.Serial)}"><figcaption>{T("equipment.chartAlt", b.Serial)}</figcaption></figure>
                """);
        html.Append("</section>");

        var usage = await reports.UsageAsync(from, end, cancellationToken);
        html.Append($"""
            <section aria-labelledby="usage-title"><h3 id="usage-title">{T("equipment.usage", ComplianceDays)}</h3>
            <table class="report" data-table="usage"><thead><tr><th scope="col">{T("reports.unit")}</th><th scope="col">{T("equipment.checkouts")}</th>
            <th scope="col">{T("equipment.hoursOut")}</th><th scope="col">{T("equipment.late")}</th><th scope="col">{T("equipment.clips")}</th>
            <th scope="col">{T("equipment.footageHours")}</th></tr></thead><tbody>
            """);
        foreach (var u in usage.ByUnit)
            html.Append($"""<tr><td>{Html.Encode($"{u.Key} {u.Name}")}</td><td>{u.Checkouts}</td><td>{N(u.HoursOut)}</td><td>{u.Late}</td><td>{u.Clips}</td><td>{N(u.FootageHours)}</td></tr>""");
        html.Append("</tbody></table></section>");
        return Page(context, Layout(context, language, t.Get(language, "nav.equipment"), html.ToString()));

        string Local(DateTimeOffset at) => Html.Encode(TimeZoneInfo.ConvertTime(at, time.LocalTimeZone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
    }

    /// <summary>A unit's compliance over [from, to) as a strip: one segment per recorded state, green compliant, red in breach, grey before
    /// anything was recorded. Drawn with SVG attributes only (no inline style), with its share as the accessible name.</summary>
    private static string ComplianceStrip(UnitRatioReport unit, DateTimeOffset from, DateTimeOffset to, string label)
    {
        const int width = 240, height = 16;
        double span = Math.Max(1, (to - from).TotalSeconds);
        double X(DateTimeOffset at) => Math.Clamp((at - from).TotalSeconds / span * width, 0, width);
        var svg = new StringBuilder($"""<svg class="strip" role="img" aria-label="{Html.Encode(label)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">""");
        svg.Append($"""<rect x="0" y="0" width="{width}" height="{height}" fill="#c8cdd2"/>""");
        // The state the period began in counts from its start.
        var points = unit.History.ToList();
        for (int i = 0; i < points.Count; i++)
        {
            double x0 = X(points[i].At), x1 = i + 1 < points.Count ? X(points[i + 1].At) : width;
            if (x1 <= x0) continue;
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{x0:0.##}" y="0" width="{x1 - x0:0.##}" height="{height}" fill="{(points[i].Compliant ? "#17803d" : "#c0262d")}"/>""");
        }
        svg.Append("</svg>");
        return svg + $" <span>{Html.Encode(label)}</span>";
    }

    /// <summary>A camera's charge curves (<see cref="BatteryCharts"/>) as an SVG image.</summary>
    private static async Task<IResult> BatteryChartAsync(string serial, DockCore core, TimeProvider time, CancellationToken cancellationToken)
    {
        var svg = await new EquipmentReports(core.Catalog.Database, core.Options, time).ChargeChartAsync(serial, 5, cancellationToken);
        return svg is null ? Results.NotFound() : Results.Text(svg, "image/svg+xml", Encoding.UTF8);
    }
}
