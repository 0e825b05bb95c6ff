using System.Globalization;
using System.Net;
using System.Text;
using Dock.Crypto.Custody;
using Dock.Service.Catalog;
using Dock.Service.Metadata;

namespace Dock.Service.Exports;

/// <summary>One clip as the report shows it: the catalog row, its tags, its custody entries (in order) and its file in the bundle.</summary>
public sealed record ReportClip(ClipRecord Clip, ClipTags Tags, string Sensitivity, IReadOnlyList<CustodyEvent> Entries, string File, string ReadFrom);

/// <summary>What the report says about the export itself.</summary>
public sealed record ReportHeader(string Case, string DockId, string DockKeyFingerprint, DateTimeOffset ExportedAt, string ExportedBy, string Reason,
    long CheckpointSize, string CheckpointRoot, IReadOnlyList<string> NotIncluded);

/// <summary>
/// The chain-of-custody report of a case bundle, for a court and for people (R1, R3): one self-contained HTML page (no script, no
/// outside file, printable on A4), every label in Chinese and English, each hand-off of each clip with its time, actor and hash.
/// It describes the bundle; what proves it is the bundle's signed files, which `dock verify --bundle` checks.
/// </summary>
public static class CaseReport
{
    public static string Build(ReportHeader header, IReadOnlyList<ReportClip> clips)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <title>监管链报告 Chain-of-custody report — {{E(header.Case)}}</title>
            <style>
            @page { size: A4; margin: 14mm 12mm; }
            body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 9.5pt; color: #111; }
            h1 { font-size: 16pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt; border-bottom: 1px solid #888; }
            h3 { font-size: 10.5pt; margin: 10pt 0 3pt; page-break-after: avoid; }
            .en { color: #444; font-weight: normal; }
            table { border-collapse: collapse; width: 100%; margin: 3pt 0 6pt; page-break-inside: auto; }
            th, td { border: 1px solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }
            th { background: #eee; } tr { page-break-inside: avoid; }
            code, .hash { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; word-break: break-all; }
            dl { display: grid; grid-template-columns: max-content 1fr; gap: 1pt 8pt; margin: 0; } dt { font-weight: bold; }
            .note { font-size: 8.5pt; color: #333; }
            </style>
            </head>
            <body>
            <h1>监管链报告 <span class="en">Chain-of-custody report</span></h1>
            <dl>
            """);
        Row(html, "案件编号", "Case number", E(header.Case));
        Row(html, "采集站", "Dock", E(header.DockId));
        Row(html, "采集站公钥指纹", "Dock key fingerprint", $"<code>{E(header.DockKeyFingerprint)}</code>");
        Row(html, "导出时间", "Exported at", E(Time(header.ExportedAt)));
        Row(html, "导出人", "Exported by", E(header.ExportedBy));
        Row(html, "调阅事由", "Reason", E(header.Reason));
        Row(html, "签名检查点", "Signed checkpoint", $"{header.CheckpointSize} 条 entries, root <code>{E(header.CheckpointRoot)}</code>");
        Row(html, "录像数", "Clips", clips.Count.ToString(CultureInfo.InvariantCulture));
        html.Append("</dl>\n");
        if (header.NotIncluded.Count > 0)
        {
            html.Append("<h2>未收录 <span class=\"en\">Not included</span></h2>\n<ul>\n");
            foreach (var line in header.NotIncluded) html.Append($"<li>{E(line)}</li>\n");
            html.Append("</ul>\n");
        }

        html.Append("""
            <h2>录像一览 <span class="en">Clips</span></h2>
            <table>
            <tr><th>#</th><th>记录仪 / 录像<br><span class="en">Recorder / clip</span></th><th>民警<br><span class="en">Officer</span></th>
            <th>拍摄时间<br><span class="en">Recorded</span></th><th>大小<br><span class="en">Size</span></th><th>SHA-256</th>
            <th>密级<br><span class="en">Sensitivity</span></th></tr>

            """);
        for (int i = 0; i < clips.Count; i++)
        {
            var c = clips[i].Clip;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{i + 1}</td><td>{E(c.RecorderSerial)}<br>{E(c.ClipId)}</td><td>{E(c.OfficerId)}</td>" +
                $"<td>{E(Time(c.DeviceStart))}<br>– {E(Time(c.DeviceEnd))}</td><td>{c.Size:N0}</td><td class=\"hash\">{E(c.DeviceSha256)}</td>" +
                $"<td>{E(clips[i].Sensitivity)}</td></tr>\n");
        }
        html.Append("</table>\n");

        for (int i = 0; i < clips.Count; i++)
        {
            var item = clips[i];
            var c = item.Clip;
            html.Append(CultureInfo.InvariantCulture, $"<h2>{i + 1}. {E(c.RecorderSerial)} / {E(c.ClipId)}</h2>\n<dl>\n");
            Row(html, "文件", "File in the bundle", $"<code>{E(item.File)}</code> ({E(item.ReadFrom)})");
            foreach (var field in Tags.Required.Concat([TagField.Category, TagField.Notes]))
                if (item.Tags[field] is { } value) Row(html, FieldZh(field), FieldEn(field), E(value));
            if (item.Tags.Missing.Count > 0)
                Row(html, "缺少标注", "Tags missing", E(string.Join(", ", item.Tags.Missing.Select(FieldEn))));
            html.Append("</dl>\n<h3>交接记录 <span class=\"en\">Hand-offs (custody entries)</span></h3>\n<table>\n" +
                "<tr><th>序号<br><span class=\"en\">Entry</span></th><th>时间 (UTC)<br><span class=\"en\">Time</span></th><th>事件<br><span class=\"en\">Event</span></th>" +
                "<th>操作者<br><span class=\"en\">Actor</span></th><th>摘要 / 说明<br><span class=\"en\">Hash / detail</span></th></tr>\n");
            foreach (var entry in item.Entries)
            {
                var hash = entry.Sha256 is { } sha ? $"<span class=\"hash\">{E(sha)}</span>" : "";
                var detail = entry.Detail is { } d ? (hash.Length > 0 ? "<br>" : "") + E(d) : "";
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{entry.Index}</td><td>{E(Time(entry.At))}</td>" +
                    $"<td>{E(KindZh(entry.Kind))}<br><span class=\"en\">{E(CustodyEvent.KindName(entry.Kind))}</span></td><td>{E(entry.Actor)}</td><td>{hash}{detail}</td></tr>\n");
            }
            html.Append("</table>\n");
        }

        html.Append($"""
            <h2>如何核验 <span class="en">How to check this bundle</span></h2>
            <p class="note">本报告说明本导出包；证明其真实性的是包内经签名的文件。用机构保存的采集站公钥核验：<br>
            This report describes the bundle; what proves it are the bundle's signed files. Check them with the agency's copy of the dock's public key:</p>
            <p><code>dock verify --bundle THIS-FOLDER --trust AGENCY-COPY-OF-dock.pem</code><br>
            <code>dock-verify --bundle THIS-FOLDER --trust AGENCY-COPY-OF-dock.pem</code></p>
            <p class="note">退出码 Exit codes: 0 核验通过 verified · 10 哈希不符 hash mismatch · 11 签名无效 bad signature · 12 未知密钥 unknown key ·
            13 证明无效 bad proof · 14 格式错误 malformed.</p>
            </body>
            </html>

            """);
        return html.ToString();
    }

    private static void Row(StringBuilder html, string zh, string en, string valueHtml) =>
        html.Append($"<dt>{E(zh)} <span class=\"en\">{E(en)}</span></dt><dd>{valueHtml}</dd>\n");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string FieldZh(TagField field) => field switch
    {
        TagField.CaseNumber => "案件编号",
        TagField.CaptureTime => "采集时间",
        TagField.CapturePlace => "采集地点",
        TagField.Collector => "采集人",
        TagField.Purpose => "证明对象",
        TagField.Category => "类别",
        TagField.Notes => "备注",
        _ => field.Name(),
    };

    private static string FieldEn(TagField field) => field switch
    {
        TagField.CaseNumber => "Case number",
        TagField.CaptureTime => "Captured at",
        TagField.CapturePlace => "Captured at (place)",
        TagField.Collector => "Collected by",
        TagField.Purpose => "Evidence of",
        TagField.Category => "Category",
        TagField.Notes => "Notes",
        _ => field.Name(),
    };

    /// <summary>The Chinese name of each custody event a clip's trail can hold.</summary>
    public static string KindZh(CustodyEventKind kind) => kind switch
    {
        CustodyEventKind.Acquired => "读取",
        CustodyEventKind.HashVerified => "哈希核验",
        CustodyEventKind.SignatureVerified => "签名核验",
        CustodyEventKind.Stored => "入库",
        CustodyEventKind.Released => "记录仪已删除",
        CustodyEventKind.MetadataChanged => "标注变更",
        CustodyEventKind.Viewed => "调阅（查看）",
        CustodyEventKind.Exported => "调阅（导出）",
        CustodyEventKind.Purged => "本地副本清除",
        CustodyEventKind.Quarantined => "隔离",
        CustodyEventKind.Queued => "排队上传",
        CustodyEventKind.Uploading => "上传中",
        CustodyEventKind.Uploaded => "已上传",
        CustodyEventKind.CloudVerified => "云端核验",
        CustodyEventKind.ReleaseRequested => "请求记录仪删除",
        CustodyEventKind.Missing => "副本缺失",
        CustodyEventKind.HoldPlaced => "诉讼保全",
        CustodyEventKind.HoldLifted => "解除保全",
        CustodyEventKind.SensitivityChanged => "密级变更",
        _ => CustodyEvent.KindName(kind),
    };
}
