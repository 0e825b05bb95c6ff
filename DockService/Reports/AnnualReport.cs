using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dock.Service.Reports;

/// <summary>
/// The annual statistics report (R7: published before 10 January): <c>annual-YEAR.csv</c>, <c>.json</c> and <c>.html</c> in one folder.
/// The HTML stands alone (no script, no external file): tables in Chinese and English and bar charts drawn as inline SVG, so it
/// prints and archives as it is.
/// </summary>
public static class AnnualReport
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>Writes the three files (each to a temporary name, then renamed: a crash leaves no half report); returns their paths.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(FootageStats stats, int year, string dockId, string folder, DateTimeOffset madeAt,
        CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var months = Months(stats, year);
        var files = new List<(string Name, string Text)>
        {
            ($"annual-{year}.csv", Csv(stats, months)),
            ($"annual-{year}.json", JsonSerializer.Serialize(new { year, dock = dockId, madeAt, months, stats },
                new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true })),
            ($"annual-{year}.html", Page(stats, months, year, dockId, madeAt)),
        };
        var written = new List<string>();
        foreach (var (name, text) in files)
        {
            var path = Path.Combine(folder, name);
            await File.WriteAllTextAsync(path + ".tmp", text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            File.Move(path + ".tmp", path, overwrite: true);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The twelve months of the year, each with its totals (a month without footage is there with zeros).</summary>
    public static IReadOnlyList<FootageTotals> Months(FootageStats stats, int year) =>
        [.. Enumerable.Range(1, 12).Select(m =>
        {
            var key = $"{year:D4}-{m:D2}";
            var days = stats.ByDay.Where(d => d.Key.StartsWith(key, StringComparison.Ordinal)).ToList();
            return new FootageTotals(key, days.Sum(d => d.Clips), days.Sum(d => d.Hours), days.Sum(d => d.Bytes));
        })];

    private static string Csv(FootageStats stats, IReadOnlyList<FootageTotals> months)
    {
        var text = new StringBuilder("section,key,clips,hours,bytes\n");
        void Rows(string section, IEnumerable<FootageTotals> rows)
        {
            foreach (var r in rows) text.Append(CultureInfo.InvariantCulture, $"{section},{r.Key},{r.Clips},{r.Hours:0.###},{r.Bytes}\n");
        }
        Rows("total", [stats.Total]);
        Rows("month", months);
        Rows("officer", stats.ByOfficer);
        Rows("unit", stats.ByUnit);
        Rows("category", stats.ByCategory);
        foreach (var t in stats.Tags) text.Append(CultureInfo.InvariantCulture, $"tags-complete,{t.Officer},{t.Clips},,{t.Complete}\n");
        foreach (var t in stats.TagsByUnit) text.Append(CultureInfo.InvariantCulture, $"unit-tags-complete,{t.Officer},{t.Clips},,{t.Complete}\n");
        return text.ToString();
    }

    private static string Page(FootageStats stats, IReadOnlyList<FootageTotals> months, int year, string dockId, DateTimeOffset madeAt)
    {
        string E(string text) => Html.Encode(text);
        var page = new StringBuilder($"""
            <!doctype html>
            <html lang="zh-CN">
            <head><meta charset="utf-8"><title>{year} 年度执法记录仪视音频统计 · Annual footage statistics {year}</title>
            <style>
            body {"{"} font-family: system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; margin: 2rem; color: #15202b; {"}"}
            table {"{"} border-collapse: collapse; margin: 0.5rem 0 1.5rem; {"}"} th, td {"{"} border-bottom: 1px solid #c9d1d9; padding: 0.3rem 0.8rem; text-align: right; {"}"}
            th:first-child, td:first-child {"{"} text-align: left; {"}"} h2 {"{"} margin-top: 2rem; {"}"} .note {"{"} color: #44505c; {"}"}
            </style></head>
            <body>
            <h1>{year} 年度执法记录仪视音频统计<br><small>Body-worn camera footage, annual statistics {year}</small></h1>
            <p class="note">采集站 Dock {E(dockId)} · 生成于 Made {madeAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC ·
            按录制开始时间（UTC）统计 By recording start (UTC)</p>
            <p><strong>{stats.Total.Clips.ToString("N0", CultureInfo.InvariantCulture)}</strong> 条 clips ·
            <strong>{stats.Total.Hours.ToString("N1", CultureInfo.InvariantCulture)}</strong> 小时 hours ·
            <strong>{(stats.Total.Bytes / 1e9).ToString("N1", CultureInfo.InvariantCulture)}</strong> GB</p>
            """);
        page.Append($"<h2>按月 By month</h2>{Chart(months, m => m.Key[5..])}{Table("月份 Month", months)}");
        page.Append($"<h2>按单位 By unit</h2>{Chart(stats.ByUnit, c => c.Key)}{Table("单位 Unit", stats.ByUnit)}");
        page.Append($"<h2>按类别 By category</h2>{Chart(stats.ByCategory, c => c.Key)}{Table("类别 Category", stats.ByCategory)}");
        page.Append($"<h2>按执法人员 By officer</h2>{Table("警号 Officer", stats.ByOfficer)}");
        page.Append("<h2>标注完整率 Tags complete</h2><table><tr><th>警号 Officer</th><th>视音频 Clips</th><th>已完整 Complete</th><th>%</th></tr>");
        foreach (var t in stats.Tags)
            page.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(t.Officer)}</td><td>{t.Clips:N0}</td><td>{t.Complete:N0}</td><td>{t.Ratio * 100:0.0}</td></tr>");
        page.Append("</table>");
        page.Append("<h2>单位标注完整率 Tags complete by unit</h2><table><tr><th>单位 Unit</th><th>视音频 Clips</th><th>已完整 Complete</th><th>%</th></tr>");
        foreach (var t in stats.TagsByUnit)
            page.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(t.Officer)}</td><td>{t.Clips:N0}</td><td>{t.Complete:N0}</td><td>{t.Ratio * 100:0.0}</td></tr>");
        page.Append("</table>");
        page.Append(CultureInfo.InvariantCulture, $"""
            <h2>时效 Delays</h2>
            <p>录制至采集 Recording → docking: 中位数 median {stats.RecordingToDocking.MedianHours:0.0} h, 90 % ≤ {stats.RecordingToDocking.P90Hours:0.0} h</p>
            <p>采集至云端核验 Docking → verified in the cloud: 中位数 median {stats.DockingToCloud.MedianHours:0.0} h, 90 % ≤ {stats.DockingToCloud.P90Hours:0.0} h</p>
            </body></html>
            """);
        return page.ToString();

        string Table(string title, IEnumerable<FootageTotals> rows)
        {
            var table = new StringBuilder($"<table><tr><th>{title}</th><th>视音频 Clips</th><th>小时 Hours</th><th>GB</th></tr>");
            foreach (var r in rows)
                table.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(r.Key)}</td><td>{r.Clips:N0}</td><td>{r.Hours:N1}</td><td>{r.Bytes / 1e9:N2}</td></tr>");
            return table.Append("</table>").ToString();
        }
    }

    /// <summary>A bar chart of clip counts as inline SVG, one labelled bar per row (the console's statistics page draws the same).</summary>
    public static string Chart(IReadOnlyList<FootageTotals> rows, Func<FootageTotals, string> label)
    {
        const int Bar = 36, Gap = 10, Height = 160;
        long max = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Clips));
        int width = rows.Count * (Bar + Gap) + Gap;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{Height + 40}" role="img" aria-label="clips">""");
        for (int i = 0; i < rows.Count; i++)
        {
            int h = (int)Math.Round((double)rows[i].Clips / max * Height);
            int x = Gap + i * (Bar + Gap);
            svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{x}" y="{Height - h + 10}" width="{Bar}" height="{h}" fill="#1f5fd1"><title>{Html.Encode(label(rows[i]))}: {rows[i].Clips}</title></rect>""");
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{x + Bar / 2}" y="{Height + 28}" font-size="11" text-anchor="middle">{Html.Encode(label(rows[i]))}</text>""");
        }
        return svg.Append("</svg>").ToString();
    }
}
