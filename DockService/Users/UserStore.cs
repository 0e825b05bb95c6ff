using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Users;

public sealed record UserRecord(string Name, IReadOnlyList<string> Roles, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt, int FailedLogins,
    DateTimeOffset? LockedUntil)
{
    public bool Disabled => DisabledAt is not null;
}

/// <summary>The users aggregate: accounts and their API tokens, in the dock's SQLite file through the catalog's connection factory.</summary>
public sealed class UserStore(CatalogDatabase db)
{
    private const string Columns = "name, roles, created_at, disabled_at, failed_logins, locked_until, password_hash";

    public async Task<bool> AddAsync(string name, string passwordHash, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ExecAsync(c, null, """
            INSERT INTO users(name, password_hash, roles, created_at) VALUES ($name, $hash, $roles, $now) ON CONFLICT(name) DO NOTHING;
            """, cancellationToken, ("$name", name), ("$hash", passwordHash), ("$roles", string.Join(',', roles)), ("$now", db.Now()))
            .ConfigureAwait(false) == 1;
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

    public Task<bool> SetPasswordAsync(string name, string passwordHash, CancellationToken cancellationToken) =>
        UpdateAsync(name, "password_hash = $value, failed_logins = 0, locked_until = NULL", passwordHash, cancellationToken);

    public Task<bool> SetRolesAsync(string name, IReadOnlyList<string> roles, CancellationToken cancellationToken) =>
        UpdateAsync(name, "roles = $value", string.Join(',', roles), cancellationToken);

    public Task<bool> SetDisabledAsync(string name, bool disabled, CancellationToken cancellationToken) =>
        UpdateAsync(name, "disabled_at = $value", disabled ? db.Now() : null, cancellationToken);

    /// <summary>Counts a failed login; from <paramref name="lockAfter"/> failures in a row the account is locked until <paramref name="until"/>.</summary>
    public Task<bool> RecordFailureAsync(string name, int lockAfter, DateTimeOffset until, CancellationToken cancellationToken) =>
        UpdateAsync(name, $"failed_logins = failed_logins + 1, locked_until = CASE WHEN failed_logins + 1 >= {lockAfter} THEN $value ELSE locked_until END",
            until.ToString("O", System.Globalization.CultureInfo.InvariantCulture), cancellationToken);

    public Task<bool> RecordSuccessAsync(string name, CancellationToken cancellationToken) =>
        UpdateAsync(name, "failed_logins = 0, locked_until = NULL", null, cancellationToken, ignoreValue: true);

    public async Task AddTokenAsync(string name, string tokenHash, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "INSERT INTO api_tokens(user_name, token_hash, roles, created_at) VALUES ($name, $hash, $roles, $now);",
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

    private async Task<bool> UpdateAsync(string name, string set, string? value, CancellationToken cancellationToken, bool ignoreValue = false)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var parameters = ignoreValue ? new[] { ("$name", (object?)name) } : [("$name", name), ("$value", value)];
        return await ExecAsync(c, null, $"UPDATE users SET {set} WHERE name = $name;", cancellationToken, parameters).ConfigureAwait(false) == 1;
    }

    private static (UserRecord User, string PasswordHash) Read(SqliteDataReader r) =>
        (new UserRecord(r.GetString(0), SplitRoles(r.GetString(1)), ParseTime(r.GetString(2)),
            r.IsDBNull(3) ? null : ParseTime(r.GetString(3)), r.GetInt32(4), r.IsDBNull(5) ? null : ParseTime(r.GetString(5))),
            r.GetString(6));

    private static List<string> SplitRoles(string text) => [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries)];
}
