using System.CommandLine;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Users;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock users add|list|disable|enable|passwd|roles|badge|pin|token</c>: the people who use the dock's HTTP API, console and kiosk. Run
/// on the dock's own machine: that is how the first administrator comes to exist (no endpoint creates a user without one). Each change
/// is a <c>user-changed</c> custody entry naming the person at the shell (user@host).
/// </summary>
public static class UsersCommand
{
    public static Command Create()
    {
        var users = new Command("users", "People who use the dock's HTTP API, console and kiosk: add, list, disable, enable, passwd, roles, badge, pin, token.");

        var name = () => new Argument<string>("NAME") { Description = "The user name (1–64 of A–Z a–z 0–9 . _ -)." };
        var role = () => new Option<string>("--role") { Description = $"Roles, comma-separated: {string.Join(", ", Roles.All)}.", Required = true };
        var passwordFile = () => new Option<string>("--password-file")
        {
            Description = $"A file whose first line is the password (at least {PasswordHasher.MinLength} characters; never given on the command line).",
            Required = true,
        };

        var addName = name();
        var addRole = role();
        var addPassword = passwordFile();
        var addBadge = new Option<string?>("--badge") { Description = "The officer's badge number (警号): the officer id their recorder tags footage with." };
        var addData = CliOptions.Data();
        var add = new Command("add", "Add a user with roles and a password.") { addName, addRole, addPassword, addBadge, addData };
        add.SetAction(parse => Run(parse.GetValue(addData), async (accounts, ct) =>
        {
            var roles = ParseRoles(parse.GetValue(addRole)!);
            await accounts.AddAsync(DataFolder.Actor, parse.GetValue(addName)!, ReadPassword(parse.GetValue(addPassword)!), roles, parse.GetValue(addBadge), ct);
            Console.WriteLine($"Added user {parse.GetValue(addName)} ({string.Join(", ", roles)}).");
        }));

        var listData = CliOptions.Data();
        var json = CliOptions.Json();
        var list = new Command("list", "List the users, their roles and state.") { listData, json };
        list.SetAction(parse => Run(parse.GetValue(listData), async (accounts, ct) =>
        {
            var all = await accounts.ListAsync(ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(all.Select(u => new
                {
                    name = u.Name, roles = u.Roles, badge = u.Badge, hasPin = u.HasPin, createdAt = u.CreatedAt, disabled = u.Disabled,
                    lockedUntil = u.LockedUntil,
                })));
                return;
            }
            if (all.Count == 0) Console.WriteLine("No users yet: dock users add NAME --role it-admin --password-file F");
            foreach (var u in all)
                Console.WriteLine($"{u.Name,-24} {string.Join(",", u.Roles),-40} {u.Badge ?? "-",-12} {(u.Disabled ? "disabled" : u.LockedUntil > DateTimeOffset.UtcNow ? "locked" : "active")}");
        }));

        Command Toggle(string verb, bool disabled)
        {
            var who = name();
            var data = CliOptions.Data();
            var command = new Command(verb, disabled ? "Disable a user: no login, and their API tokens stop working." : "Enable a disabled user again.") { who, data };
            command.SetAction(parse => Run(parse.GetValue(data), async (accounts, ct) =>
            {
                await accounts.SetDisabledAsync(DataFolder.Actor, parse.GetValue(who)!, disabled, ct);
                Console.WriteLine($"User {parse.GetValue(who)} {verb}d.");
            }));
            return command;
        }

        var pwName = name();
        var pwFile = passwordFile();
        var pwData = CliOptions.Data();
        var passwd = new Command("passwd", "Set a user's password (also ends a lockout).") { pwName, pwFile, pwData };
        passwd.SetAction(parse => Run(parse.GetValue(pwData), async (accounts, ct) =>
        {
            await accounts.SetPasswordAsync(DataFolder.Actor, parse.GetValue(pwName)!, ReadPassword(parse.GetValue(pwFile)!), ct);
            Console.WriteLine($"Password of {parse.GetValue(pwName)} changed.");
        }));

        var rolesName = name();
        var rolesRole = role();
        var rolesData = CliOptions.Data();
        var roles = new Command("roles", "Replace a user's roles.") { rolesName, rolesRole, rolesData };
        roles.SetAction(parse => Run(parse.GetValue(rolesData), async (accounts, ct) =>
        {
            var set = ParseRoles(parse.GetValue(rolesRole)!);
            await accounts.SetRolesAsync(DataFolder.Actor, parse.GetValue(rolesName)!, set, ct);
            Console.WriteLine($"User {parse.GetValue(rolesName)} now holds {string.Join(", ", set)}.");
        }));

        var tokenName = name();
        var tokenRole = new Option<string?>("--role") { Description = "Narrow the token to these of the user's roles (default: all of them)." };
        var tokenData = CliOptions.Data();
        var token = new Command("token", "Print a new bearer token for the HTTP API (Authorization: Bearer TOKEN). Shown once; only its hash is kept.")
        {
            tokenName, tokenRole, tokenData,
        };
        token.SetAction(parse => Run(parse.GetValue(tokenData), async (accounts, ct) =>
        {
            var scoped = parse.GetValue(tokenRole) is { } text ? ParseRoles(text) : null;
            Console.WriteLine(await accounts.IssueTokenAsync(DataFolder.Actor, parse.GetValue(tokenName)!, scoped, ct));
        }));

        var badgeName = name();
        var badgeValue = new Argument<string?>("BADGE") { Description = "The badge number; leave out with --clear.", Arity = ArgumentArity.ZeroOrOne };
        var badgeClear = new Option<bool>("--clear") { Description = "Remove the badge (and so the kiosk sign-in)." };
        var badgeData = CliOptions.Data();
        var badge = new Command("badge", "Set an officer's badge number (警号), the kiosk sign-in with their PIN.") { badgeName, badgeValue, badgeClear, badgeData };
        badge.SetAction(parse => Run(parse.GetValue(badgeData), async (accounts, ct) =>
        {
            var value = parse.GetValue(badgeValue);
            if (value is null == !parse.GetValue(badgeClear)) throw new UserException("Give a BADGE number, or --clear (not both).");
            await accounts.SetBadgeAsync(DataFolder.Actor, parse.GetValue(badgeName)!, value, ct);
            Console.WriteLine(value is null ? $"User {parse.GetValue(badgeName)} has no badge now." : $"User {parse.GetValue(badgeName)} has badge {value}.");
        }));

        var pinName = name();
        var pinFile = new Option<string?>("--pin-file") { Description = "A file whose first line is the PIN (4–12 digits); without it the dock draws one and prints it once." };
        var pinData = CliOptions.Data();
        var pin = new Command("pin", "Reset an officer's kiosk PIN (also ends a lockout).") { pinName, pinFile, pinData };
        pin.SetAction(parse => Run(parse.GetValue(pinData), async (accounts, ct) =>
        {
            var chosen = parse.GetValue(pinFile) is { } file ? ReadPassword(file) : null;
            var set = await accounts.SetPinAsync(DataFolder.Actor, parse.GetValue(pinName)!, chosen, ct);
            Console.WriteLine(chosen is null ? $"PIN of {parse.GetValue(pinName)}: {set} (shown once; only its hash is kept)." : $"PIN of {parse.GetValue(pinName)} changed.");
        }));

        users.Subcommands.Add(add);
        users.Subcommands.Add(list);
        users.Subcommands.Add(Toggle("disable", true));
        users.Subcommands.Add(Toggle("enable", false));
        users.Subcommands.Add(passwd);
        users.Subcommands.Add(roles);
        users.Subcommands.Add(badge);
        users.Subcommands.Add(pin);
        users.Subcommands.Add(token);
        return users;
    }

    private static IReadOnlyList<string> ParseRoles(string text) => Roles.Parse(text, out var problem) ?? throw new UserException(problem! + ".");

    private static string ReadPassword(string path)
    {
        if (!File.Exists(path)) throw new UserException($"The password file {path} does not exist.");
        if (new FileInfo(path).Length > 4096) throw new UserException($"The password file {path} is larger than a password.");
        return File.ReadLines(path).FirstOrDefault() ?? "";
    }

    private static async Task<int> Run(string? data, Func<UserAccounts, CancellationToken, Task> action)
    {
        try
        {
            // A dock being set up gets its key and catalog here, as `dock recorders enroll` does: the first administrator is added
            // before the first start, and that is a custody entry too.
            using var folder = await DataFolder.OpenAsync(data, CancellationToken.None, createCatalog: true);
            await action(new UserAccounts(new UserStore(folder.Catalog.Database), folder.Log, TimeProvider.System), CancellationToken.None);
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is UserException or IdentityException or StorageException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return ExitCodes.UsageError("users", ex.Message);
        }
    }
}
