using System.Globalization;
using Dock.Crypto.Custody;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Retrieval;

/// <summary>How sensitive a recording is (R6: 国家秘密, 商业秘密, 个人隐私), in rising order: each level admits fewer roles.</summary>
public enum SensitivityLevel
{
    None = 0,
    PersonalPrivacy = 1,
    TradeSecret = 2,
    StateSecret = 3,
}

public static class SensitivityLevels
{
    public static readonly IReadOnlyList<string> Names = ["none", "personal-privacy", "trade-secret", "state-secret"];

    public static string Name(SensitivityLevel level) => Names[(int)level];

    public static bool TryParse(string? name, out SensitivityLevel level)
    {
        var at = Names.IndexOf(name?.Trim().ToLowerInvariant() ?? "");
        level = (SensitivityLevel)Math.Max(at, 0);
        return at >= 0;
    }

    private static int IndexOf(this IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        return -1;
    }
}

/// <summary>The levels a person may retrieve, from their roles and <c>Dock:Retrieval:Roles</c>. The dock's host (a command-line tool run by
/// whoever holds the data folder) is cleared for all.</summary>
public sealed record Clearance(IReadOnlySet<SensitivityLevel> Levels)
{
    public static readonly Clearance All = new(new HashSet<SensitivityLevel>(Enum.GetValues<SensitivityLevel>()));

    public bool Allows(SensitivityLevel level) => Levels.Contains(level);

    public static Clearance For(IEnumerable<string> roles, RetrievalOptions options)
    {
        var held = roles.ToHashSet(StringComparer.Ordinal);
        // Configuration keys are case-insensitive, as the binder reads them; a level not configured keeps its default.
        var levels = new HashSet<SensitivityLevel>();
        foreach (var level in Enum.GetValues<SensitivityLevel>())
        {
            var allowed = options.Roles.TryGetValue(SensitivityLevels.Name(level), out var list) ? list : new RetrievalOptions().Roles[SensitivityLevels.Name(level)];
            if (allowed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(held.Contains)) levels.Add(level);
        }
        return new Clearance(levels);
    }
}

/// <summary>A clip's level, who set it, when, and the custody entry that recorded it.</summary>
public sealed record SensitivityMark(SensitivityLevel Level, string SetBy, DateTimeOffset SetAt, string? Reason, long Index);

/// <summary>Who is changing a level: an officer may set or raise one, a supervisor may also lower one (with a reason); the host's command
/// line holds the data folder and the dock key, so it is trusted as a supervisor is.</summary>
public enum SensitivityAuthority
{
    Officer,
    Supervisor,
}

/// <summary>A change of level that is not allowed, or names what does not exist.</summary>
public sealed class SensitivityException(string message, bool forbidden = false, bool notFound = false) : Exception(message)
{
    public bool Forbidden { get; } = forbidden;
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// The one owner of clip sensitivity (R6). A level is set or raised by an officer or a supervisor; lowering one needs a supervisor and
/// a reason. Each change is a `sensitivity-changed` custody entry committed with the row, so the level and the log never disagree.
/// Whether a person may retrieve a clip is <see cref="Clearance"/>: search results leave out what is above it, and its URLs answer 403.
/// </summary>
public sealed class ClipSensitivity(CatalogDatabase db, CustodyLog log, Vault.ClipVault? vault = null)
{
    /// <summary>The levels whose vault copies are always encrypted (R6: 国家秘密, 商业秘密), whatever Dock:Vault:Encryption says.</summary>
    public static bool IsSecret(SensitivityLevel level) => level >= SensitivityLevel.TradeSecret;

    public async Task<SensitivityMark?> ReadAsync(long clipRow, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(c, null, "SELECT level, set_by, set_at, reason, set_index FROM clip_sensitivity WHERE clip_row = $row;",
            r => new SensitivityMark(Parse(r.GetString(0)), r.GetString(1), ParseTime(r.GetString(2)), r.IsDBNull(3) ? null : r.GetString(3), r.GetInt64(4)),
            cancellationToken, ("$row", clipRow)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<SensitivityLevel> LevelAsync(long clipRow, CancellationToken cancellationToken) =>
        (await ReadAsync(clipRow, cancellationToken).ConfigureAwait(false))?.Level ?? SensitivityLevel.None;

    /// <summary>The levels of several clips (none where a clip has no mark), in one query.</summary>
    public async Task<IReadOnlyDictionary<long, SensitivityLevel>> LevelsAsync(IReadOnlyCollection<long> clipRows, CancellationToken cancellationToken)
    {
        if (clipRows.Count == 0) return new Dictionary<long, SensitivityLevel>();
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(c, null, "SELECT clip_row, level FROM clip_sensitivity WHERE clip_row IN (SELECT value FROM json_each($rows));",
            r => (r.GetInt64(0), Parse(r.GetString(1))), cancellationToken, ("$rows", System.Text.Json.JsonSerializer.Serialize(clipRows))).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Item1, r => r.Item2);
    }

    /// <summary>Sets the clip's level. Returns the mark after the change (unchanged when the level is the same: no entry then).</summary>
    public async Task<SensitivityMark?> ChangeAsync(ClipRecord clip, SensitivityLevel level, string actor, SensitivityAuthority authority, string? reason,
        CancellationToken cancellationToken)
    {
        reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (reason is not null && Metadata.Tags.TextProblem(reason, Metadata.Tags.MaxReasonBytes) is { } bad) throw new SensitivityException($"reason: {bad}");
        var before = await ReadAsync(clip.Id, cancellationToken).ConfigureAwait(false);
        var old = before?.Level ?? SensitivityLevel.None;
        if (old == level) return before;
        if (level < old)
        {
            if (authority != SensitivityAuthority.Supervisor)
                throw new SensitivityException($"{clip.RecorderSerial}/{clip.ClipId} is {SensitivityLevels.Name(old)}: only a supervisor may lower its level.", forbidden: true);
            if (reason is null)
                throw new SensitivityException($"lowering {clip.RecorderSerial}/{clip.ClipId} from {SensitivityLevels.Name(old)} to {SensitivityLevels.Name(level)} needs a reason.");
        }
        var detail = CustodyEvent.FitDetail($"level {SensitivityLevels.Name(old)} -> {SensitivityLevels.Name(level)}" + (reason is null ? "" : $"; {reason}"));
        try
        {
            var entry = await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.SensitivityChanged, at, log.DockId, actor,
                clip.RecorderSerial, clip.ClipId, clip.DeviceSha256, Detail: detail), cancellationToken, (c, tx, entry) => SetAsync(c, tx, clip.Id, old, level, entry, reason))
                .ConfigureAwait(false);
            // A secret clip's vault copy is encrypted now if it is not already (the bytes, and so the custody hash, do not change).
            if (IsSecret(level) && vault?.Keys is not null && clip.InVault)
                await Vault.Encryption.VaultReencryption.EncryptAsync(vault, clip.VaultPath!, clip.DeviceSha256, cancellationToken).ConfigureAwait(false);
            return new SensitivityMark(level, actor, entry.At, reason, entry.Index);
        }
        catch (SensitivityConflict)
        {
            throw new SensitivityException($"{clip.RecorderSerial}/{clip.ClipId}'s level changed meanwhile; look again and retry.");
        }
    }

    /// <summary>Writes the row only if the level is still <paramref name="old"/>: two people changing it at once cannot both record the same old level.</summary>
    private static async Task SetAsync(SqliteConnection c, SqliteTransaction tx, long clipRow, SensitivityLevel old, SensitivityLevel level, CustodyEvent entry,
        string? reason)
    {
        var current = await ScalarAsync(c, tx, "SELECT level FROM clip_sensitivity WHERE clip_row = $row;", CancellationToken.None, ("$row", clipRow)).ConfigureAwait(false);
        if ((current is string s ? Parse(s) : SensitivityLevel.None) != old) throw new SensitivityConflict();
        await ExecAsync(c, tx, """
            INSERT INTO clip_sensitivity(clip_row, level, set_by, set_at, reason, set_index) VALUES ($row, $level, $by, $at, $reason, $idx)
            ON CONFLICT(clip_row) DO UPDATE SET level = excluded.level, set_by = excluded.set_by, set_at = excluded.set_at, reason = excluded.reason,
                set_index = excluded.set_index;
            """, CancellationToken.None, ("$row", clipRow), ("$level", SensitivityLevels.Name(level)), ("$by", entry.Actor),
            ("$at", entry.At.ToString("O", CultureInfo.InvariantCulture)), ("$reason", reason), ("$idx", entry.Index)).ConfigureAwait(false);
    }

    private static SensitivityLevel Parse(string name) => SensitivityLevels.TryParse(name, out var level) ? level : SensitivityLevel.StateSecret;

    private sealed class SensitivityConflict : Exception;
}
