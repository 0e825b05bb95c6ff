using System.Globalization;
using System.Text;
using Dock.Service.Api;
using Dock.Service.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

public static partial class ConsolePages
{
    private const int CheckpointsShown = 20;

    /// <summary>The custody log: its size, the newest signed checkpoints, the export download (for those who may export) and the check of
    /// an export someone brings back, run against this dock's keys in the browser's session.</summary>
    private static async Task<IResult> CustodyAsync(HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        var language = WebText.ForPage(context);
        var t = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(t.Get(language, key, args));
        var checkpoints = await core.Log.RecentCheckpointsAsync(CheckpointsShown, cancellationToken);
        long size = core.Log.Size;
        long signed = checkpoints.Count > 0 ? checkpoints[0].Size : 0;
        var now = core.Catalog.Database.Time.GetUtcNow();
        bool mayExport = DockPolicies.RolesOf[DockPolicies.ExportCustody].Any(context.User.IsInRole);
        var html = new StringBuilder($"""
            <h2>{T("nav.custody")}</h2>
            <div class="figures">
            <div class="figure" data-figure="log-size"><span class="value">{size}</span><span class="label">{T("custody.entries")}</span></div>
            <div class="figure" data-figure="signed"><span class="value">{signed}</span><span class="label">{T("dash.checkpoint")}</span>
            <span class="note">{(checkpoints.Count > 0 ? T("custody.signedAgo", Minutes(now - checkpoints[0].At)) : T("custody.noCheckpoint"))}</span></div>
            <div class="figure" data-figure="unsigned"><span class="value">{size - signed}</span><span class="label">{T("custody.unsigned")}</span></div>
            </div>
            <section aria-labelledby="export-title">
            <h3 id="export-title">{T("custody.export")}</h3>
            """);
        html.Append(mayExport
            ? $"""<p><a class="button" id="export" href="/api/v1/custody/export" download>{T("custody.download")}</a> {T("custody.exportNote")}</p>"""
            : $"<p>{T("custody.exportRole")}</p>");
        html.Append($"""
            </section>
            <section aria-labelledby="check-title">
            <h3 id="check-title">{T("custody.check")}</h3>
            <p>{T("custody.checkNote")}</p>
            <form id="verify-export" class="search">
            <label for="bundle">{T("custody.bundle")}</label>
            <input id="bundle" name="bundle" type="file" accept=".zip,application/zip" required>
            <button type="submit">{T("custody.verify")}</button>
            </form>
            <div id="export-result" aria-live="polite"></div>
            </section>
            <h3>{T("custody.checkpoints")}</h3>
            <table class="checkpoints"><thead><tr><th scope="col">{T("custody.size")}</th><th scope="col">{T("custody.at")}</th>
            <th scope="col">{T("custody.root")}</th></tr></thead><tbody>
            """);
        foreach (var (at, when, note) in checkpoints)
        {
            // Line 3 of a checkpoint is the tree's root hash (C2SP tlog-checkpoint).
            var lines = note.Split('\n');
            html.Append($"""
                <tr data-checkpoint="{at}"><td>{at}</td><td>{when.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</td>
                <td class="hash">{Html.Encode(lines.Length > 2 ? lines[2] : "")}</td></tr>
                """);
        }
        html.Append("</tbody></table>");
        return Page(context, Layout(context, language, t.Get(language, "nav.custody"), html.ToString()));
    }
}
