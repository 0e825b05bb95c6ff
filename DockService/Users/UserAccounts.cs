using System.Security.Cryptography;
using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Custody;

namespace Dock.Service.Users;

/// <summary>A user-facing failure with a message a person can act on (a bad name, a weak password, an unknown user).</summary>
public sealed class UserException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}

public sealed record SignedIn(string Name, IReadOnlyList<string> Roles, string? Badge = null, string? Language = null);

/// <summary>
/// The application service for people: accounts, logins with lockout, officers' badge-and-PIN sign-in at the kiosk, API tokens. The CLI
/// (`dock users`), the HTTP API and the console call this, never the store. Every change an administrator makes is a
/// <c>user-changed</c> custody entry naming who made it, committed in one transaction with the change. There is no first user until
/// someone on the machine runs `dock users add`.
/// </summary>
/// <param name="log">The custody log the changes are recorded in; null only where accounts are seeded for a benchmark or a test.</param>
public sealed class UserAccounts(UserStore store, CustodyLog? log, TimeProvider time)
{
    /// <summary>Failed logins (or PINs) in a row before an account is locked, and for how long.</summary>
    public const int LockAfter = 5;
    public static readonly TimeSpan LockFor = TimeSpan.FromMinutes(15);
    public const int MinPinLength = 4;
    public const int MaxPinLength = 12;
    private const string TokenPrefix = "dock_";

    // A hash to spend the same time on when the user does not exist, so a login's timing does not say which names exist.
    private static readonly Lazy<string> Decoy = new(() => PasswordHasher.Hash("decoy-password-for-timing"));

    public async Task AddAsync(string actor, string name, string password, IReadOnlyList<string> roles, string? badge, CancellationToken cancellationToken)
    {
        if (!Identifier.IsValid(name)) throw new UserException($"'{name}' is not a user name: 1–64 of A–Z a–z 0–9 . _ -, starting with a letter or digit.");
        if (PasswordHasher.Weakness(password) is { } weak) throw new UserException(weak + ".");
        CheckBadge(badge);
        var hash = PasswordHasher.Hash(password);
        await RecordAsync(actor, $"user {name} added: roles {string.Join(",", roles)}{(badge is null ? "" : $", badge {badge}")}", async (c, tx, ct) =>
        {
            if (!await store.AddAsync(name, hash, roles, badge, ct, c, tx).ConfigureAwait(false)) throw new UserException($"A user '{name}' already exists.");
        }, badge, cancellationToken).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(cancellationToken);

    public async Task<UserRecord?> FindAsync(string name, CancellationToken cancellationToken) =>
        Identifier.IsValid(name) && await store.FindAsync(name, cancellationToken).ConfigureAwait(false) is { } found ? found.User : null;

    public async Task SetPasswordAsync(string actor, string name, string password, CancellationToken cancellationToken)
    {
        if (PasswordHasher.Weakness(password) is { } weak) throw new UserException(weak + ".");
        await ApplyAsync(actor, name, $"user {name}: password reset", UserStore.Password(PasswordHasher.Hash(password)), cancellationToken).ConfigureAwait(false);
    }

    public async Task SetRolesAsync(string actor, string name, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var user = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        if (user.Roles.Contains(Roles.ItAdmin) && !roles.Contains(Roles.ItAdmin)) await KeepOneAdministratorAsync(user, cancellationToken).ConfigureAwait(false);
        await ApplyAsync(actor, name, $"user {name}: roles {string.Join(",", user.Roles)} -> {string.Join(",", roles)}", UserStore.Roles(roles), cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task SetDisabledAsync(string actor, string name, bool disabled, CancellationToken cancellationToken)
    {
        var user = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        if (disabled && user.Roles.Contains(Roles.ItAdmin)) await KeepOneAdministratorAsync(user, cancellationToken).ConfigureAwait(false);
        await ApplyAsync(actor, name, $"user {name}: {(disabled ? "disabled" : "enabled")}", store.Disabled(disabled), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets (or with null clears) the officer's badge number; one badge belongs to one account.</summary>
    public async Task SetBadgeAsync(string actor, string name, string? badge, CancellationToken cancellationToken)
    {
        CheckBadge(badge);
        var user = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        await RecordAsync(actor, $"user {name}: badge {user.Badge ?? "none"} -> {badge ?? "none"}", async (c, tx, ct) =>
        {
            if (!await store.ApplyAsync(name, UserStore.Badge(badge), ct, c, tx).ConfigureAwait(false)) throw NoSuchUser(name);
        }, badge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets an officer's kiosk PIN (also ends a lockout); with no <paramref name="pin"/> the dock draws one. Returns the PIN,
    /// which is shown once: only its Argon2id hash is kept.</summary>
    public async Task<string> SetPinAsync(string actor, string name, string? pin, CancellationToken cancellationToken)
    {
        pin ??= DrawPin();
        if (PinWeakness(pin) is { } weak) throw new UserException(weak + ".");
        var user = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        if (user.Badge is null) throw new UserException($"User '{name}' has no badge number: a PIN signs in with the badge, so set the badge first.");
        await ApplyAsync(actor, name, $"user {name}: PIN reset", UserStore.Pin(PasswordHasher.Hash(pin)), cancellationToken).ConfigureAwait(false);
        return pin;
    }

    /// <summary>A person's own choice of language for the pages (not an administrative change: no custody entry).</summary>
    public async Task SetLanguageAsync(string name, string? language, CancellationToken cancellationToken)
    {
        if (!await store.ApplyAsync(name, UserStore.Language(language), cancellationToken).ConfigureAwait(false)) throw NoSuchUser(name);
    }

    /// <summary>A new bearer token for <paramref name="name"/>, carrying <paramref name="roles"/> (default: all of the user's). Only its
    /// SHA-256 is stored: the token is shown once.</summary>
    public async Task<string> IssueTokenAsync(string actor, string name, IReadOnlyList<string>? roles, CancellationToken cancellationToken)
    {
        var user = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        if (user.Disabled) throw new UserException($"User '{name}' is disabled.");
        var scoped = roles ?? user.Roles;
        if (scoped.FirstOrDefault(r => !user.Roles.Contains(r)) is { } extra)
            throw new UserException($"User '{name}' does not hold the role '{extra}' the token would carry.");
        var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var hash = TokenHash(token);
        await RecordAsync(actor, $"user {name}: API token issued ({string.Join(",", scoped)}, {hash[..12]})",
            (c, tx, ct) => store.AddTokenAsync(name, hash, scoped, ct, c, tx), null, cancellationToken).ConfigureAwait(false);
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
        return await CheckAsync(found?.User, found?.PasswordHash, password, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An officer at the kiosk: badge number and PIN, with the same lockout and the same single answer for every failure.</summary>
    public async Task<SignedIn?> PinLoginAsync(string badge, string pin, CancellationToken cancellationToken)
    {
        if (pin.Length > MaxPinLength || !Identifier.IsValid(badge))
        {
            PasswordHasher.Verify(pin[..Math.Min(pin.Length, MaxPinLength)], Decoy.Value);
            return null;
        }
        var found = await store.FindByBadgeAsync(badge, cancellationToken).ConfigureAwait(false);
        return await CheckAsync(found?.User, found?.PinHash, pin, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SignedIn?> CheckAsync(UserRecord? user, string? hash, string secret, CancellationToken cancellationToken)
    {
        if (user is null || hash is null)
        {
            PasswordHasher.Verify(secret, Decoy.Value);
            return null;
        }
        var now = time.GetUtcNow();
        if (user.Disabled || user.LockedUntil > now) return null;
        if (!PasswordHasher.Verify(secret, hash))
        {
            await store.RecordFailureAsync(user.Name, LockAfter, now + LockFor, cancellationToken).ConfigureAwait(false);
            return null;
        }
        await store.RecordSuccessAsync(user.Name, cancellationToken).ConfigureAwait(false);
        return new SignedIn(user.Name, user.Roles, user.Badge, user.Language);
    }

    /// <summary>Why a PIN cannot be used, or null: 4–12 digits, not one digit repeated, not a run like 1234 or 9876.</summary>
    public static string? PinWeakness(string pin)
    {
        if (pin.Length is < MinPinLength or > MaxPinLength || !pin.All(char.IsAsciiDigit)) return $"a PIN is {MinPinLength}–{MaxPinLength} digits";
        if (pin.All(d => d == pin[0])) return "a PIN of one digit repeated is guessed first";
        bool up = true, down = true;
        for (int i = 1; i < pin.Length; i++)
        {
            up &= pin[i] == (char)(pin[i - 1] + 1);
            down &= pin[i] == (char)(pin[i - 1] - 1);
        }
        return up || down ? "a PIN of consecutive digits is guessed first" : null;
    }

    /// <summary>Six random digits that pass <see cref="PinWeakness"/>.</summary>
    public static string DrawPin()
    {
        while (true)
        {
            var pin = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            if (PinWeakness(pin) is null) return pin;
        }
    }

    internal static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void CheckBadge(string? badge)
    {
        if (badge is not null && !Identifier.IsValid(badge)) throw new UserException($"'{badge}' is not a badge number: {Identifier.Rule}.");
    }

    private static UserException NoSuchUser(string name) => new($"There is no user '{name}'.", notFound: true);

    private async Task<UserRecord> RequireAsync(string name, CancellationToken cancellationToken) =>
        await FindAsync(name, cancellationToken).ConfigureAwait(false) ?? throw NoSuchUser(name);

    /// <summary>The dock must keep someone who can manage its users: the last enabled it-admin can be neither disabled nor demoted.</summary>
    private async Task KeepOneAdministratorAsync(UserRecord user, CancellationToken cancellationToken)
    {
        var others = (await store.ListAsync(cancellationToken).ConfigureAwait(false))
            .Count(u => u.Name != user.Name && !u.Disabled && u.Roles.Contains(Roles.ItAdmin));
        if (!user.Disabled && others == 0)
            throw new UserException($"'{user.Name}' is the last enabled it-admin: give another user the it-admin role first, or nobody could manage users.");
    }

    private Task ApplyAsync(string actor, string name, string detail, UserStore.Change change, CancellationToken cancellationToken) =>
        RecordAsync(actor, detail, async (c, tx, ct) =>
        {
            if (!await store.ApplyAsync(name, change, ct, c, tx).ConfigureAwait(false)) throw NoSuchUser(name);
        }, null, cancellationToken);

    /// <summary>Makes <paramref name="change"/> in the transaction of its <c>user-changed</c> entry: both or neither.</summary>
    private async Task RecordAsync(string actor, string detail, Func<Microsoft.Data.Sqlite.SqliteConnection, Microsoft.Data.Sqlite.SqliteTransaction?, CancellationToken, Task> change,
        string? badge, CancellationToken cancellationToken)
    {
        try
        {
            if (log is null)
            {
                await store.RunAsync((c, ct) => change(c, null, ct), cancellationToken).ConfigureAwait(false);
                return;
            }
            await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.UserChanged, at, log.DockId, actor, Detail: detail), cancellationToken,
                (c, tx, _) => change(c, tx, cancellationToken)).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.Kind == StorageFailure.Constraint && badge is not null)
        {
            throw new UserException($"The badge {badge} belongs to another user already.");
        }
    }
}
