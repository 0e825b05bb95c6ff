using System.Globalization;
using System.Security.Cryptography;
using Dock.Crypto.Custody;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Retention;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Retrieval;

/// <summary>What a retrieval is: a viewing session in the player, a download, a metadata read of a sensitive clip, a case export, or a refusal.</summary>
public enum RetrievalKind
{
    View,
    Download,
    Metadata,
    Export,
    Refused,
}

/// <summary>Who retrieves: the name recorded as the custody actor (NAME@api, user@host), their roles, and their badge (their unit, if an officer).</summary>
public sealed record Retriever(string Actor, string Name, IReadOnlyCollection<string> Roles, string? Badge)
{
    /// <summary>The dock's host: a command-line tool run by whoever holds the data folder; cleared for every level.</summary>
    public static Retriever Host(string actor) => new(actor, actor, [Users.Roles.Supervisor], null);
}

/// <summary>One retrieval as the audit lists it.</summary>
public sealed record RetrievalRecord(long Id, string? Token, long? ClipRow, string? Serial, string? ClipId, string User, RetrievalKind Kind, string Purpose,
    string Reason, string? ClipUnit, string? UserUnit, DateTimeOffset At, DateTimeOffset LastAt, DateTimeOffset? ClosedAt, long? OpenIndex, long? CloseIndex,
    string Ranges, long Bytes);

/// <summary>Which retrievals `dock audit` and the console's audit page list.</summary>
public sealed record RetrievalFilter(string? Serial = null, string? ClipId = null, string? User = null, DateTimeOffset? Since = null);

public sealed class RetrievalException(string message, bool forbidden = false, bool notFound = false) : Exception(message)
{
    public bool Forbidden { get; } = forbidden;
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// The one owner of supervised retrieval (R5, 调阅监督). Every view, download and export of a clip, and every metadata read of a sensitive
/// one, needs a signed-in person and a stated reason (a configured purpose, and a case number or free text), and is a custody entry
/// (`viewed`, `exported`) naming the person, the reason and the clip, written before the first byte is served. A viewing session then
/// records the byte ranges the player fetched, and closes with a second `viewed` entry listing them once it has been idle for
/// <see cref="RetrievalOptions.ViewIdle"/> (or at the dock's next start, after a crash). A clip above the person's clearance (R6) is
/// refused: no entry, no bytes, a `refused` row in the audit and a log warning. Unusual patterns and retrievals of held clips are alerts.
/// </summary>
public sealed partial class Retrievals(CatalogDatabase db, CustodyLog log, ClipSensitivity sensitivity, HoldStore holds, AlertStore alerts,
    RetrievalOptions options, TimeProvider time, ILogger logger)
{
    public const string UnusualAlert = "unusual-retrieval";
    public const string HeldClipAlert = "held-clip-retrieved";
    /// <summary>At most this many separate ranges are kept per session; beyond it the nearest are merged (the span is still covered).</summary>
    public const int MaxRanges = 64;

    public RetrievalOptions Options => options;

    public Clearance ClearanceOf(Retriever who) => Clearance.For(who.Roles, options);

    /// <summary>Whether <paramref name="who"/> may retrieve <paramref name="clip"/> at all (its level within their clearance).</summary>
    public async Task<bool> MayAsync(Retriever who, ClipRecord clip, CancellationToken cancellationToken) =>
        ClearanceOf(who).Allows(await sensitivity.LevelAsync(clip.Id, cancellationToken).ConfigureAwait(false));

    /// <summary>A retrieval's reason as the custody entry carries it: the purpose code, then the case number or the text.</summary>
    public string Reason(string? purpose, string? caseNumber, string? text, out string? problem)
    {
        problem = null;
        purpose = purpose?.Trim();
        if (string.IsNullOrEmpty(purpose) || !options.EffectivePurposes.Contains(purpose, StringComparer.Ordinal))
            problem = $"purpose: choose one of {string.Join(", ", options.EffectivePurposes)}";
        var why = !string.IsNullOrWhiteSpace(caseNumber) ? $"case {caseNumber.Trim()}" : text?.Trim() ?? "";
        if (problem is null && why.Length == 0) problem = "give the case number, or say why in a few words";
        if (problem is null && Metadata.Tags.TextProblem(why, Metadata.Tags.MaxReasonBytes) is { } bad) problem = $"reason: {bad}";
        return $"{purpose}: {why}";
    }

    /// <summary>
    /// Opens a retrieval of <paramref name="clip"/> for <paramref name="who"/>: refused (and recorded as such) above their clearance; else
    /// its custody entry is committed with its audit row, and the returned record's token lets the player fetch ranges.
    /// </summary>
    public async Task<RetrievalRecord> OpenAsync(Retriever who, ClipRecord clip, RetrievalKind kind, string purpose, string reason,
        CancellationToken cancellationToken)
    {
        var level = await sensitivity.LevelAsync(clip.Id, cancellationToken).ConfigureAwait(false);
        if (!ClearanceOf(who).Allows(level))
        {
            await RefuseAsync(who, clip, $"{SensitivityLevels.Name(level)} is above the clearance of roles {string.Join(",", who.Roles)}", cancellationToken)
                .ConfigureAwait(false);
            throw new RetrievalException($"{clip.RecorderSerial}/{clip.ClipId} is not yours to retrieve.", forbidden: true);
        }
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var (eventKind, what) = kind switch
        {
            RetrievalKind.View => (CustodyEventKind.Viewed, "viewing session opened"),
            RetrievalKind.Metadata => (CustodyEventKind.Viewed, $"metadata of a {SensitivityLevels.Name(level)} clip read"),
            RetrievalKind.Download => (CustodyEventKind.Exported, "downloaded"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), "a case export records itself (Exports/CaseExports)"),
        };
        var detail = CustodyEvent.FitDetail($"{what} by {who.Name}: {reason}");
        var entry = await log.AppendAsync((index, at) => new CustodyEvent(index, eventKind, at, log.DockId, who.Actor, clip.RecorderSerial, clip.ClipId,
            clip.DeviceSha256, clip.Size, Detail: detail), cancellationToken,
            (c, tx, e) => InsertAsync(c, tx, token, clip, who, kind, purpose, reason, e.At, e.Index)).ConfigureAwait(false);
        LogRetrieval(logger, who.Name, kind.ToString().ToLowerInvariant(), clip.RecorderSerial, clip.ClipId, reason, entry.Index);
        await AfterRetrievalAsync(who, clip, reason, cancellationToken).ConfigureAwait(false);
        return await FindAsync(token, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("the retrieval row was just committed");
    }

    /// <summary>Records a case export's clips in the audit (their `exported` entries are the export's own).</summary>
    public async Task RecordExportAsync(Retriever who, IReadOnlyList<(ClipRecord Clip, long Index)> exported, string reason, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        foreach (var (clip, index) in exported)
            await InsertAsync(c, null, null, clip, who, RetrievalKind.Export, reason.Split(':', 2)[0], reason, now, index).ConfigureAwait(false);
        foreach (var (clip, _) in exported) await AfterRetrievalAsync(who, clip, reason, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A refusal: a `refused` audit row and a log warning; nothing was served and no custody entry says otherwise.</summary>
    public async Task RefuseAsync(Retriever who, ClipRecord clip, string why, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await InsertAsync(c, null, null, clip, who, RetrievalKind.Refused, "refused", CustodyEvent.FitDetail(why), time.GetUtcNow(), null).ConfigureAwait(false);
        LogRefused(logger, who.Name, clip.RecorderSerial, clip.ClipId, why);
    }

    /// <summary>The open retrieval a token names, for this person and clip; null when it is unknown, another's, another clip's, or closed.</summary>
    public async Task<RetrievalRecord?> FindOpenAsync(string? token, Retriever who, ClipRecord clip, CancellationToken cancellationToken)
    {
        if (token is null || token.Length != 32) return null;
        var found = await FindAsync(token, cancellationToken).ConfigureAwait(false);
        return found is { ClosedAt: null } && found.User == who.Name && found.ClipRow == clip.Id ? found : null;
    }

    public async Task<RetrievalRecord?> FindAsync(string token, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(c, null, $"SELECT {Columns} FROM retrievals WHERE token = $token;", Read, cancellationToken, ("$token", token))
            .ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Adds [<paramref name="from"/>, <paramref name="to"/>] (inclusive) to what the retrieval was served.</summary>
    public async Task RecordRangeAsync(RetrievalRecord retrieval, long from, long to, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var current = await ScalarAsync(c, tx, "SELECT ranges FROM retrievals WHERE id = $id;", cancellationToken, ("$id", retrieval.Id)).ConfigureAwait(false) as string ?? "";
        var merged = ByteRanges.Add(ByteRanges.Parse(current), from, to, MaxRanges);
        await ExecAsync(c, tx, "UPDATE retrievals SET ranges = $ranges, bytes = $bytes, last_at = $now WHERE id = $id;", cancellationToken,
            ("$ranges", ByteRanges.Format(merged)), ("$bytes", ByteRanges.Total(merged)), ("$now", Time(time.GetUtcNow())), ("$id", retrieval.Id))
            .ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes viewing sessions idle for <see cref="RetrievalOptions.ViewIdle"/> (all open ones with <paramref name="all"/>: the dock's
    /// start, after a crash), each with a `viewed` entry listing the byte ranges it was served. Returns how many.</summary>
    public async Task<int> CloseIdleAsync(bool all, CancellationToken cancellationToken)
    {
        var cutoff = all ? DateTimeOffset.MaxValue : time.GetUtcNow() - options.ViewIdle;
        List<RetrievalRecord> idle;
        await using (var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        {
            idle = await QueryAsync(c, null, $"SELECT {Columns} FROM retrievals WHERE closed_at IS NULL AND kind = 'view' AND last_at < $cutoff ORDER BY id LIMIT 500;",
                Read, cancellationToken, ("$cutoff", all ? "9999" : Time(cutoff))).ConfigureAwait(false);
        }
        int count = 0;
        foreach (var session in idle)
        {
            var detail = CustodyEvent.FitDetail($"viewing session of entry {session.OpenIndex} by {session.User} closed: " + (session.Bytes == 0
                ? "no bytes served" : $"served bytes {session.Ranges} ({session.Bytes} bytes)"));
            try
            {
                await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Viewed, at, log.DockId, log.DockId, session.Serial, session.ClipId,
                    Detail: detail), cancellationToken, async (c, tx, e) =>
                    {
                        int closed = await ExecAsync(c, tx, "UPDATE retrievals SET closed_at = $at, close_index = $idx WHERE id = $id AND closed_at IS NULL;",
                            CancellationToken.None, ("$at", Time(e.At)), ("$idx", e.Index), ("$id", session.Id)).ConfigureAwait(false);
                        if (closed == 0) throw new AlreadyClosed(); // another process closed it: no second entry
                    }).ConfigureAwait(false);
                count++;
            }
            catch (AlreadyClosed)
            {
            }
        }
        return count;
    }

    public async Task<IReadOnlyList<RetrievalRecord>> ListAsync(RetrievalFilter filter, int limit, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, $"""
            SELECT {Columns} FROM retrievals
            WHERE ($serial IS NULL OR recorder_serial = $serial) AND ($clip IS NULL OR clip_id = $clip) AND ($user IS NULL OR user_name = $user)
              AND ($since IS NULL OR at >= $since)
            ORDER BY id DESC LIMIT $limit;
            """, Read, cancellationToken, ("$serial", filter.Serial), ("$clip", filter.ClipId), ("$user", filter.User),
            ("$since", filter.Since is { } since ? Time(since) : null), ("$limit", limit)).ConfigureAwait(false);
    }

    /// <summary>After a granted retrieval: a held clip's retrieval is an alert for its unit; then the person's recent pattern is judged.</summary>
    private async Task AfterRetrievalAsync(Retriever who, ClipRecord clip, string reason, CancellationToken cancellationToken)
    {
        var covering = (await holds.CoveringAsync(clip.Id, cancellationToken).ConfigureAwait(false)).Where(h => h.Active).ToList();
        if (covering.Count > 0)
        {
            var unit = await ClipUnitAsync(clip, cancellationToken).ConfigureAwait(false);
            await alerts.RaiseAlertAsync(HeldClipAlert, clip.RecorderSerial, clip.ClipId,
                $"{clip.RecorderSerial}/{clip.ClipId}, under legal hold ({string.Join("; ", covering.Select(h => $"hold {h.Id} on {h.Covers}"))}), was retrieved by " +
                $"{who.Name} ({reason}); for unit {unit ?? "(no unit registered)"}.", cancellationToken).ConfigureAwait(false);
        }
        await JudgePatternsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Within <see cref="RetrievalOptions.PatternWindow"/>: people who retrieved more than <see cref="RetrievalOptions.OtherUnitClips"/>
    /// clips of units not their own, or more than <see cref="RetrievalOptions.ClipsPerWindow"/> in all. One alert names them all.</summary>
    public async Task JudgePatternsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var since = Time(time.GetUtcNow() - options.PatternWindow);
        var rows = await QueryAsync(c, null, """
            SELECT user_name, count(DISTINCT clip_row),
                   count(DISTINCT CASE WHEN user_unit IS NOT NULL AND clip_unit IS NOT NULL AND clip_unit <> user_unit THEN clip_row END)
            FROM retrievals WHERE at >= $since AND kind <> 'refused' GROUP BY user_name;
            """, r => (User: r.GetString(0), All: r.GetInt32(1), Other: r.GetInt32(2)), cancellationToken, ("$since", since)).ConfigureAwait(false);
        var unusual = rows.Where(r => r.Other > options.OtherUnitClips || r.All > options.ClipsPerWindow)
            .Select(r => $"{r.User}: {r.All} clip(s), {r.Other} of other units").ToList();
        var window = options.PatternWindow;
        if (unusual.Count > 0)
            await alerts.RaiseAlertAsync(UnusualAlert, null, null, $"Unusual retrieval in the last {window}: {string.Join("; ", unusual)} (limits: " +
                $"{options.OtherUnitClips} of other units, {options.ClipsPerWindow} in all). Review them with `dock audit --user NAME`.", cancellationToken)
                .ConfigureAwait(false);
        else
            // The window has passed them: resolved (its record stays, with what it said, for the supervisors' review).
            await alerts.ResolveAlertKindAsync(UnusualAlert, $"no one over the limits in the last {window}", cancellationToken).ConfigureAwait(false);
    }

    private async Task InsertAsync(SqliteConnection c, SqliteTransaction? tx, string? token, ClipRecord clip, Retriever who, RetrievalKind kind,
        string purpose, string reason, DateTimeOffset at, long? index)
    {
        await ExecAsync(c, tx, """
            INSERT INTO retrievals(token, clip_row, recorder_serial, clip_id, user_name, kind, purpose, reason, clip_unit, user_unit, at, last_at, open_index)
            VALUES ($token, $row, $serial, $clip, $user, $kind, $purpose, $reason,
                COALESCE((SELECT o.unit_id FROM officers o WHERE o.badge = $officer), (SELECT r.home_unit FROM recorder_registry r WHERE r.serial = $serial)),
                (SELECT o.unit_id FROM officers o WHERE o.badge = $badge), $at, $at, $idx);
            """, CancellationToken.None, ("$token", token), ("$row", clip.Id), ("$serial", clip.RecorderSerial), ("$clip", clip.ClipId), ("$user", who.Name),
            ("$kind", kind.ToString().ToLowerInvariant()), ("$purpose", purpose), ("$reason", reason), ("$officer", clip.OfficerId), ("$badge", who.Badge),
            ("$at", Time(at)), ("$idx", index)).ConfigureAwait(false);
    }

    private async Task<string?> ClipUnitAsync(ClipRecord clip, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, """
            SELECT COALESCE((SELECT o.unit_id FROM officers o WHERE o.badge = $officer), (SELECT r.home_unit FROM recorder_registry r WHERE r.serial = $serial));
            """, cancellationToken, ("$officer", clip.OfficerId), ("$serial", clip.RecorderSerial)).ConfigureAwait(false) as string;
    }

    private sealed class AlreadyClosed : Exception;

    private const string Columns = "id, token, clip_row, recorder_serial, clip_id, user_name, kind, purpose, reason, clip_unit, user_unit, at, last_at, closed_at, " +
        "open_index, close_index, ranges, bytes";

    private static RetrievalRecord Read(SqliteDataReader r) => new(r.GetInt64(0), Text(r, 1), r.IsDBNull(2) ? null : r.GetInt64(2), Text(r, 3), Text(r, 4),
        r.GetString(5), Enum.Parse<RetrievalKind>(r.GetString(6), ignoreCase: true), r.GetString(7), r.GetString(8), Text(r, 9), Text(r, 10),
        ParseTime(r.GetString(11)), ParseTime(r.GetString(12)), r.IsDBNull(13) ? null : ParseTime(r.GetString(13)), r.IsDBNull(14) ? null : r.GetInt64(14),
        r.IsDBNull(15) ? null : r.GetInt64(15), r.GetString(16), r.GetInt64(17));

    private static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>Fixed-width UTC text, so times compare as strings.</summary>
    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Information, Message = "Retrieval: {User} {Kind} {Serial}/{ClipId} ({Reason}), custody entry {Index}")]
    private static partial void LogRetrieval(ILogger logger, string user, string kind, string serial, string clipId, string reason, long index);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Warning, Message = "Retrieval refused: {User} asked for {Serial}/{ClipId}: {Why}")]
    private static partial void LogRefused(ILogger logger, string user, string serial, string clipId, string why);
}

/// <summary>Byte ranges served, kept merged and bounded: "0-1048575,52428800-53477375" (inclusive, as HTTP Range writes them).</summary>
public static class ByteRanges
{
    public static List<(long From, long To)> Parse(string text)
    {
        var ranges = new List<(long, long)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            if (ends.Length == 2 && long.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                && long.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out var to) && to >= from)
                ranges.Add((from, to));
        }
        return ranges;
    }

    /// <summary>Adds a range and merges overlapping or touching ones; beyond <paramref name="max"/> ranges the two with the smallest gap merge.</summary>
    public static List<(long From, long To)> Add(List<(long From, long To)> ranges, long from, long to, int max)
    {
        ranges.Add((from, to));
        ranges.Sort();
        var merged = new List<(long From, long To)>();
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && range.From <= merged[^1].To + 1) merged[^1] = (merged[^1].From, Math.Max(merged[^1].To, range.To));
            else merged.Add(range);
        }
        while (merged.Count > max)
        {
            int best = 0;
            for (int i = 1; i < merged.Count - 1; i++)
                if (merged[i + 1].From - merged[i].To < merged[best + 1].From - merged[best].To) best = i;
            merged[best] = (merged[best].From, merged[best + 1].To);
            merged.RemoveAt(best + 1);
        }
        return merged;
    }

    public static string Format(IEnumerable<(long From, long To)> ranges) =>
        string.Join(",", ranges.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.From}-{r.To}")));

    public static long Total(IEnumerable<(long From, long To)> ranges) => ranges.Sum(r => r.To - r.From + 1);
}
