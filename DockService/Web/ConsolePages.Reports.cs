using System.Globalization;
using System.Text;
using Dock.Service.Hosting;
using Dock.Service.Reports;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

public static partial class ConsolePages
{
    /// <summary>The footage statistics (R7) for a period, the same figures as `dock report stats`: totals, a chart by day, tables by
    /// officer and category, tag completeness and the delays to docking and to the cloud.</summary>
    private static async Task<IResult> ReportsAsync(HttpContext context, DockCore core, CancellationToken cancellationToken, string? from, string? to)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var today = core.Catalog.Database.Time.GetUtcNow().UtcDateTime.Date;
        static DateTime? Day(string? text) =>
            DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
        var first = Day(from) ?? new DateTime(today.Year, today.Month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var last = Day(to) ?? today;
        if (last < first) (first, last) = (last, first);
        if ((last - first).TotalDays > 3660) last = first.AddDays(3660); // ten years at most in one page
        var stats = await new FootageStatistics(core.Catalog.Database, core.Options.Metadata)
            .ComputeAsync(new DateTimeOffset(first, TimeSpan.Zero), new DateTimeOffset(last.AddDays(1), TimeSpan.Zero), cancellationToken);
        string D(DateTime day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string N(double value, string format = "N1") => value.ToString(format, CultureInfo.InvariantCulture);
        var html = new StringBuilder($"""
            <h2>{T("nav.reports")}</h2>
            <form class="search" method="get" action="/reports">
            <label for="from">{T("clips.from")}</label><input id="from" name="from" type="date" value="{D(first)}">
            <label for="to">{T("clips.to")}</label><input id="to" name="to" type="date" value="{D(last)}">
            <button type="submit">{T("reports.show")}</button>
            </form>
            <div class="figures">
            <div class="figure" data-figure="clips"><span class="value">{stats.Total.Clips.ToString("N0", CultureInfo.InvariantCulture)}</span><span class="label">{T("reports.clips")}</span></div>
            <div class="figure" data-figure="hours"><span class="value">{N(stats.Total.Hours)}</span><span class="label">{T("reports.hours")}</span></div>
            <div class="figure" data-figure="gb"><span class="value">{N(stats.Total.Bytes / 1e9, "N2")}</span><span class="label">GB</span></div>
            <div class="figure" data-figure="to-cloud"><span class="value">{(stats.DockingToCloud.MedianHours is { } median ? N(median) : "—")}</span><span class="label">{T("reports.toCloud")}</span></div>
            </div>
            <h3>{T("reports.byDay")}</h3>
            <figure class="chart" tabindex="0" aria-label="{T("reports.byDay")}">{AnnualReport.Chart(Buckets(stats, first, last), d => d.Key[5..])}</figure>
            """);
        void Table(string titleKey, string keyHeader, IEnumerable<FootageTotals> rows, string data)
        {
            html.Append($"""<h3>{T(titleKey)}</h3><table class="report" data-table="{data}"><thead><tr><th scope="col">{T(keyHeader)}</th><th scope="col">{T("reports.clips")}</th><th scope="col">{T("reports.hours")}</th><th scope="col">GB</th></tr></thead><tbody>""");
            foreach (var r in rows)
                html.Append($"""<tr data-key="{Html.Encode(r.Key)}"><td>{Html.Encode(r.Key)}</td><td>{r.Clips.ToString("N0", CultureInfo.InvariantCulture)}</td><td>{N(r.Hours)}</td><td>{N(r.Bytes / 1e9, "N2")}</td></tr>""");
            html.Append("</tbody></table>");
        }
        Table("reports.byOfficer", "label.officer", stats.ByOfficer, "officer");
        Table("reports.byUnit", "reports.unit", stats.ByUnit, "unit");
        Table("reports.byCategory", "tag.category", stats.ByCategory, "category");
        html.Append($"""<h3>{T("reports.tags")}</h3><table class="report" data-table="tags"><thead><tr><th scope="col">{T("label.officer")}</th><th scope="col">{T("reports.clips")}</th><th scope="col">{T("reports.complete")}</th><th scope="col">%</th></tr></thead><tbody>""");
        foreach (var row in stats.Tags)
            html.Append($"""<tr data-key="{Html.Encode(row.Officer)}"><td>{Html.Encode(row.Officer)}</td><td>{row.Clips}</td><td>{row.Complete}</td><td>{N(row.Ratio * 100)}</td></tr>""");
        html.Append($"""</tbody></table><table class="report" data-table="unit-tags"><caption>{T("reports.tags")} — {T("reports.byUnit")}</caption><thead><tr><th scope="col">{T("reports.unit")}</th><th scope="col">{T("reports.clips")}</th><th scope="col">{T("reports.complete")}</th><th scope="col">%</th></tr></thead><tbody>""");
        foreach (var row in stats.TagsByUnit)
            html.Append($"""<tr data-key="{Html.Encode(row.Officer)}"><td>{Html.Encode(row.Officer)}</td><td>{row.Clips}</td><td>{row.Complete}</td><td>{N(row.Ratio * 100)}</td></tr>""");
        html.Append($"""
            </tbody></table>
            <p>{T("reports.delays", stats.RecordingToDocking.MedianHours is { } a ? N(a) : "—", stats.RecordingToDocking.P90Hours is { } b ? N(b) : "—",
                stats.DockingToCloud.MedianHours is { } c ? N(c) : "—", stats.DockingToCloud.P90Hours is { } d ? N(d) : "—")}</p>
            """);
        return Page(context, Layout(context, language, t.Get(language, "nav.reports"), html.ToString()));
    }

    /// <summary>Every day of a period up to two months (a day without footage is a zero bar), else every month.</summary>
    private static List<FootageTotals> Buckets(FootageStats stats, DateTime first, DateTime last)
    {
        bool daily = (last - first).TotalDays < 62;
        var keys = new List<string>();
        for (var at = daily ? first : new DateTime(first.Year, first.Month, 1, 0, 0, 0, DateTimeKind.Unspecified); at <= last; at = daily ? at.AddDays(1) : at.AddMonths(1))
            keys.Add(at.ToString(daily ? "yyyy-MM-dd" : "yyyy-MM", CultureInfo.InvariantCulture));
        return [.. keys.Select(key =>
        {
            var rows = stats.ByDay.Where(d => d.Key.StartsWith(key, StringComparison.Ordinal)).ToList();
            return new FootageTotals(key, rows.Sum(r => r.Clips), rows.Sum(r => r.Hours), rows.Sum(r => r.Bytes));
        })];
    }
}
