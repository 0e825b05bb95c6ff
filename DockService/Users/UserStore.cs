using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Users;

/// <summary>A person's account. <paramref name="Badge"/> is the officer's badge number (警号): the officer id recorders tag footage with,
/// and with the PIN the kiosk sign-in. <paramref name="Language"/> is the language they chose for the pages (null: their browser's).</summary>
public sealed record UserRecord(string Name, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, int FailedLogins,
    DateTimeOffset? LockedUntil, string? Badge = null, bool HasPin = false, string? Language = null)
{
    public bool Disabled => DisabledAt is not null;
}

/// <summary>The users aggregate: accounts and their API tokens, in the dock's SQLite file through the catalog's connection factory.
/// Changes an administrator makes run inside the transaction of their custody entry (<see cref="UserAccounts"/>).</summary>
public sealed class UserStore(CatalogDatabase db)
{
    private const string Columns = "name, roles, created_at, disabled_at, failed_logins, locked_until, badge, pin_hash IS NOT NULL, language, password_hash";

    /// <summary>One change to an account: a column assignment and its value (made by the factories below, never from input).</summary>
    public sealed record Change(string Set, object? Value);

    public static Change Password(string hash) => new("password_hash = $value, failed_logins = 0, locked_until = NULL", hash);
    public static Change Pin(string hash) => new("pin_hash = $value, failed_logins = 0, locked_until = NULL", hash);
    public static Change Roles(IReadOnlyList<string> roles) => new("roles = $value", string.Join(',', roles));
    public Change Disabled(bool disabled) => new("disabled_at = $value", disabled ? db.Now() : null);
    public static Change Badge(string? badge) => new("badge = $value", badge);
    public static Change Language(string? language) => new("language = $value", language);

    /// <summary>Adds an account, inside <paramref name="tx"/> when given. False when the name is taken; a badge another account holds is a
    /// <see cref="StorageFailure.Constraint"/>.</summary>
    public async Task<bool> AddAsync(string name, string passwordHash, IReadOnlyList<string> roles, string? badge, CancellationToken cancellationToken,
        SqliteConnection? c = null, SqliteTransaction? tx = null)
    {
        if (c is null)
        {
            await using var own = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await AddAsync(name, passwordHash, roles, badge, cancellationToken, own).ConfigureAwait(false);
        }
        return await ExecAsync(c, tx, """
            INSERT INTO users(name, password_hash, roles, created_at, badge) VALUES ($name, $hash, $roles, $now, $badge) ON CONFLICT(name) DO NOTHING;
            """, cancellationToken, ("$name", name), ("$hash", passwordHash), ("$roles", string.Join(',', roles)), ("$now", db.Now()), ("$badge", badge))
            .ConfigureAwait(false) == 1;
    }

    /// <summary>Applies <paramref name="change"/>, inside <paramref name="tx"/> when given. False when there is no such user.</summary>
    public async Task<bool> ApplyAsync(string name, Change change, CancellationToken cancellationToken, SqliteConnection? c = null, SqliteTransaction? tx = null)
    {
        if (c is null)
        {
            await using var own = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return await ApplyAsync(name, change, cancellationToken, own).ConfigureAwait(false);
        }
        return await ExecAsync(c, tx, $"UPDATE users SET {change.Set} WHERE name = $name;", cancellationToken, ("$name", name), ("$value", change.Value))
            .ConfigureAwait(false) == 1;
    }

    /// <summary>Runs changes on a connection of their own (where no custody entry carries them: seeding accounts for a test).</summary>
    internal async Task RunAsync(Func<SqliteConnection, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await work(c, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, $"SELECT {Columns} FROM users ORDER BY name;", r => Read(r).User, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt32(await ScalarAsync(c, null, "SELECT count(*) FROM users;", cancellationToken).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The user and their password hash, or null.</summary>
    public async Task<(UserRecord User, string PasswordHash)?> FindAsync(string name, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var found = await QueryAsync(c, null, $"SELECT {Columns} FROM users WHERE name = $name;", Read, cancellationToken, ("$name", name)).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>The user holding <paramref name="badge"/> and their PIN hash (null when no PIN is set), or null.</summary>
    public async Task<(UserRecord User, string? PinHash)?> FindByBadgeAsync(string badge, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var found = await QueryAsync(c, null, $"SELECT {Columns}, pin_hash FROM users WHERE badge = $badge;",
            r => (Read(r).User, r.IsDBNull(10) ? null : r.GetString(10)), cancellationToken, ("$badge", badge)).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Counts a failed login or PIN; from <paramref name="lockAfter"/> failures in a row the account is locked until <paramref name="until"/>.</summary>
    public Task<bool> RecordFailureAsync(string name, int lockAfter, DateTimeOffset until, CancellationToken cancellationToken) =>
        ApplyAsync(name, new($"failed_logins = failed_logins + 1, locked_until = CASE WHEN failed_logins + 1 >= {lockAfter} THEN $value ELSE locked_until END",
            until.ToString("O", System.Globalization.CultureInfo.InvariantCulture)), cancellationToken);

    public Task<bool> RecordSuccessAsync(string name, CancellationToken cancellationToken) =>
        ApplyAsync(name, new("failed_logins = 0, locked_until = NULL", null), cancellationToken);

    public async Task AddTokenAsync(string name, string tokenHash, IReadOnlyList<string> roles, CancellationToken cancellationToken,
        SqliteConnection? c = null, SqliteTransaction? tx = null)
    {
        if (c is null)
        {
            await using var own = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await AddTokenAsync(name, tokenHash, roles, cancellationToken, own).ConfigureAwait(false);
            return;
        }
        await ExecAsync(c, tx, "INSERT INTO api_tokens(user_name, token_hash, roles, created_at) VALUES ($name, $hash, $roles, $now);",
            cancellationToken, ("$name", name), ("$hash", tokenHash), ("$roles", string.Join(',', roles)), ("$now", db.Now())).ConfigureAwait(false);
    }

    /// <summary>The live token with this hash: its user (not disabled) and the roles it carries (the user's, narrowed to the token's).</summary>
    public async Task<(string User, IReadOnlyList<string> Roles)?> FindTokenAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var found = await QueryAsync(c, null, """
            SELECT u.name, u.roles, t.roles FROM api_tokens t JOIN users u ON u.name = t.user_name
            WHERE t.token_hash = $hash AND t.revoked_at IS NULL AND u.disabled_at IS NULL;
            """, r => (User: r.GetString(0), UserRoles: SplitRoles(r.GetString(1)), TokenRoles: SplitRoles(r.GetString(2))), cancellationToken,
            ("$hash", tokenHash)).ConfigureAwait(false);
        if (found.Count == 0) return null;
        var (user, userRoles, tokenRoles) = found[0];
        return (user, tokenRoles.Where(userRoles.Contains).ToList());
    }

    private static (UserRecord User, string PasswordHash) Read(SqliteDataReader r) =>
        (new UserRecord(r.GetString(0), SplitRoles(r.GetString(1)), ParseTime(r.GetString(2)),
            r.IsDBNull(3) ? null : ParseTime(r.GetString(3)), r.GetInt32(4), r.IsDBNull(5) ? null : ParseTime(r.GetString(5)),
            r.IsDBNull(6) ? null : r.GetString(6), r.GetBoolean(7), r.IsDBNull(8) ? null : r.GetString(8)),
            r.GetString(9));

    private static List<string> SplitRoles(string text) => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries)];
}
