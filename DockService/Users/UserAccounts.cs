using System.Security.Cryptography;
using Dock.DeviceProtocol.Messages;

namespace Dock.Service.Users;

/// <summary>A user-facing failure with a message a person can act on (a bad name, a weak password, an unknown user).</summary>
public sealed class UserException(string message) : Exception(message);

public sealed record SignedIn(string Name, IReadOnlyList<string> Roles);

/// <summary>
/// The application service for people: accounts, logins with lockout, API tokens. The CLI (`dock users`) and the HTTP API call
/// this, never the store. There is no first user until someone on the machine runs `dock users add`.
/// </summary>
public sealed class UserAccounts(UserStore store, TimeProvider time)
{
    /// <summary>Failed logins in a row before an account is locked, and for how long.</summary>
    public const int LockAfter = 5;
    public static readonly TimeSpan LockFor = TimeSpan.FromMinutes(15);
    private const string TokenPrefix = "dock_";

    // A hash to spend the same time on when the user does not exist, so a login's timing does not say which names exist.
    private static readonly Lazy<string> Decoy = new(() => PasswordHasher.Hash("decoy-password-for-timing"));

    public async Task AddAsync(string name, string password, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        if (!Identifier.IsValid(name)) throw new UserException($"'{name}' is not a user name: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit.");
        if (PasswordHasher.Weakness(password) is { } weak) throw new UserException(weak + ".");
        if (!await store.AddAsync(name, PasswordHasher.Hash(password), roles, cancellationToken).ConfigureAwait(false))
            throw new UserException($"A user '{name}' already exists.");
    }

    public Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    public async Task SetPasswordAsync(string name, string password, CancellationToken cancellationToken)
    {
        if (PasswordHasher.Weakness(password) is { } weak) throw new UserException(weak + ".");
        Require(await store.SetPasswordAsync(name, PasswordHasher.Hash(password), cancellationToken).ConfigureAwait(false), name);
    }

    public async Task SetRolesAsync(string name, IReadOnlyList<string> roles, CancellationToken cancellationToken) =>
        Require(await store.SetRolesAsync(name, roles, cancellationToken).ConfigureAwait(false), name);

    public async Task SetDisabledAsync(string name, bool disabled, CancellationToken cancellationToken) =>
        Require(await store.SetDisabledAsync(name, disabled, cancellationToken).ConfigureAwait(false), name);

    /// <summary>A new bearer token for <paramref name="name"/>, carrying <paramref name="roles"/> (default: all of the user's). Only its
    /// SHA-256 is stored: the token is shown once.</summary>
    public async Task<string> IssueTokenAsync(string name, IReadOnlyList<string>? roles, CancellationToken cancellationToken)
    {
        var found = await store.FindAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new UserException($"There is no user '{name}'.");
        if (found.User.Disabled) throw new UserException($"User '{name}' is disabled.");
        var scoped = roles ?? found.User.Roles;
        if (scoped.FirstOrDefault(r => !found.User.Roles.Contains(r)) is { } extra)
            throw new UserException($"User '{name}' does not hold the role '{extra}' the token would carry.");
        var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        await store.AddTokenAsync(name, TokenHash(token), scoped, cancellationToken).ConfigureAwait(false);
        return token;
    }

    /// <summary>The user a bearer token stands for, or null.</summary>
    public async Task<SignedIn?> AuthenticateTokenAsync(string token, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal) || token.Length > 100) return null;
        return await store.FindTokenAsync(TokenHash(token), cancellationToken).ConfigureAwait(false) is { } found
            ? new SignedIn(found.User, found.Roles) : null;
    }

    /// <summary>Checks a password. A locked, disabled or unknown account and a wrong password all answer null (the caller says one thing
    /// for all); the fifth failure in a row locks the account for <see cref="LockFor"/>.</summary>
    public async Task<SignedIn?> LoginAsync(string name, string password, CancellationToken cancellationToken)
    {
        if (password.Length > PasswordHasher.MaxLength || !Identifier.IsValid(name))
        {
            PasswordHasher.Verify(password[..Math.Min(password.Length, PasswordHasher.MaxLength)], Decoy.Value);
            return null;
        }
        var found = await store.FindAsync(name, cancellationToken).ConfigureAwait(false);
        if (found is not { } account)
        {
            PasswordHasher.Verify(password, Decoy.Value);
            return null;
        }
        var now = time.GetUtcNow();
        if (account.User.Disabled || account.User.LockedUntil > now) return null;
        if (!PasswordHasher.Verify(password, account.PasswordHash))
        {
            await store.RecordFailureAsync(name, LockAfter, now + LockFor, cancellationToken).ConfigureAwait(false);
            return null;
        }
        await store.RecordSuccessAsync(name, cancellationToken).ConfigureAwait(false);
        return new SignedIn(account.User.Name, account.User.Roles);
    }

    internal static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void Require(bool changed, string name)
    {
        if (!changed) throw new UserException($"There is no user '{name}'.");
    }
}
