using System.CommandLine;
using System.Globalization;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Retrieval;

namespace Dock.Service.Cli;

/// <summary><c>dock audit [--clip SERIAL[/CLIP]] [--user NAME] [--since WHEN] [--json|--csv]</c>: every retrieval (R5) — views with the byte
/// ranges served, downloads, exports, metadata reads of sensitive clips — and every refusal, newest first.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var clip = new Option<string?>("--clip") { Description = "Only this recorder's clips (SERIAL), or one clip (SERIAL/CLIP)." };
        var user = new Option<string?>("--user") { Description = "Only this person's retrievals (their account name; user@host for the command line)." };
        var since = new Option<string?>("--since") { Description = "Only from this time on: a date (2026-12-01), a UTC time (2026-12-01T08:00:00Z) or a span back from now (24h, 7d)." };
        var limit = new Option<int>("--limit") { Description = "At most this many rows (newest first).", DefaultValueFactory = _ => 1000 };
        var json = CliOptions.Json();
        var csv = new Option<bool>("--csv") { Description = "Print CSV: id,at,user,kind,recorder,clip,purpose,reason,clip_unit,user_unit,bytes,ranges,entry,closed_entry." };
        var audit = new Command("audit", "List retrievals of clips (views, downloads, exports, sensitive metadata reads) and refusals, newest first.")
        {
            data, clip, user, since, limit, json, csv,
        };
        audit.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(json) && parse.GetValue(csv)) return ExitCodes.UsageError("audit", "--json or --csv, not both.");
            if (parse.GetValue(limit) is < 1 or > 100_000) return ExitCodes.UsageError("audit", "--limit must be between 1 and 100000.");
            DateTimeOffset? from = null;
            if (parse.GetValue(since) is { } text)
            {
                if (!TryParseSince(text, DateTimeOffset.UtcNow, out var at))
                    return ExitCodes.UsageError("audit", $"--since '{text}' is not a date (2026-12-01), a UTC time (2026-12-01T08:00:00Z) or a span (24h, 7d, 30m).");
                from = at;
            }
            string? serial = null, clipId = null;
            if (parse.GetValue(clip) is { } named)
            {
                var parts = named.Split('/', 2);
                (serial, clipId) = (parts[0], parts.Length > 1 ? parts[1] : null);
            }
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                var rows = await folder.Retrievals().ListAsync(new RetrievalFilter(serial, clipId, parse.GetValue(user), from), parse.GetValue(limit), cancellationToken);
                if (parse.GetValue(json))
                    Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(rows.Select(View), StatusCommand.Json));
                else if (parse.GetValue(csv))
                    Console.Write(Csv(rows));
                else
                {
                    var table = new TextTable("at", "user", "kind", "clip", "reason", "served", "entry");
                    foreach (var r in rows)
                        table.Add(r.At.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture), r.User, r.Kind.ToString().ToLowerInvariant(),
                            $"{r.Serial}/{r.ClipId}", r.Reason, r.Kind == RetrievalKind.View ? (r.ClosedAt is null ? $"{r.Bytes} bytes so far" : $"{r.Bytes} bytes") : "",
                            r.OpenIndex is { } i ? i.ToString(CultureInfo.InvariantCulture) + (r.CloseIndex is { } j ? $", {j}" : "") : "");
                    Console.Write(table.ToString());
                    Console.WriteLine($"{rows.Count} retrieval(s){(rows.Count == parse.GetValue(limit) ? " (limit reached: --limit)" : "")}.");
                }
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("audit", ex.Message);
            }
        });
        return audit;
    }

    internal static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset at)
    {
        at = default;
        text = text.Trim();
        if (text.Length >= 2 && char.IsAsciiLetter(text[^1]) && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 100_000)
        {
            TimeSpan? span = char.ToLowerInvariant(text[^1]) switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => null };
            if (span is { } s) at = now - s;
            return span is not null;
        }
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            at = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at);
    }

    private static object View(RetrievalRecord r) => new
    {
        r.Id, r.At, r.User, kind = r.Kind.ToString().ToLowerInvariant(), recorder = r.Serial, clip = r.ClipId, r.Purpose, r.Reason, r.ClipUnit, r.UserUnit,
        r.Bytes, ranges = r.Ranges, entry = r.OpenIndex, closedEntry = r.CloseIndex, r.ClosedAt,
    };

    private static string Csv(IReadOnlyList<RetrievalRecord> rows) => EquipmentCommands.CsvText(
        ["id", "at", "user", "kind", "recorder", "clip", "purpose", "reason", "clip_unit", "user_unit", "bytes", "ranges", "entry", "closed_entry"],
        rows.Select(r => new object?[] { r.Id, r.At.ToString("O", CultureInfo.InvariantCulture), r.User, r.Kind.ToString().ToLowerInvariant(), r.Serial, r.ClipId,
            r.Purpose, r.Reason, r.ClipUnit, r.UserUnit, r.Bytes, r.Ranges, r.OpenIndex, r.CloseIndex }));
}
