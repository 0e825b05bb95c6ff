using System.CommandLine;
using System.Diagnostics;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock service install|uninstall</c>: puts this dock under systemd (Linux) the way packaging/README.md
/// describes by hand: a system user, a 0700 data folder, /etc/dock with a 0600 environment file, the unit
/// (packaging/linux/dock.service, embedded, pointed at this binary and data folder), daemon-reload and enable.
/// <c>--prefix DIR</c> stages the files under DIR instead (packagers, tests) and runs nothing.
/// It does not start the service: the dock key must be endorsed and the recorders enrolled first.
/// </summary>
public static class ServiceCommand
{
    public static Command Create()
    {
        var service = new Command("service", "Install or remove the dock as a systemd service (Linux).");
        var prefix = new Option<string?>("--prefix") { Description = "Write the files under this folder instead of / and run nothing (staging, packaging)." };
        var user = new Option<string>("--user") { Description = "The system user the service runs as.", DefaultValueFactory = _ => "dock" };
        var data = new Option<string>("--data") { Description = "The service's data folder.", DefaultValueFactory = _ => "/var/lib/dock" };
        var install = new Command("install", "Create the user, data folder, /etc/dock and the systemd unit; enable it (not start).") { prefix, user, data };
        install.SetAction((parse, _) => Install(parse.GetValue(prefix), parse.GetValue(user)!, parse.GetValue(data)!));
        var prefix2 = new Option<string?>("--prefix") { Description = "Remove the files staged under this folder instead of /." };
        var uninstall = new Command("uninstall", "Disable and remove the unit. The data folder, keys and /etc/dock stay.") { prefix2 };
        uninstall.SetAction((parse, _) => Uninstall(parse.GetValue(prefix2)));
        service.Subcommands.Add(install);
        service.Subcommands.Add(uninstall);
        return service;
    }

    private const string UnitPath = "etc/systemd/system/dock.service";

    private static Task<int> Install(string? prefix, string user, string data)
    {
        if (Refuse(prefix) is { } refused) return Task.FromResult(refused);
        if (!OperatingSystem.IsLinux()) return Task.FromResult(ExitCodes.Usage); // Refused above; this tells the analyzer.
        if (!Dock.DeviceProtocol.Messages.Identifier.IsValid(user) || user.Contains('.', StringComparison.Ordinal))
            return Task.FromResult(ExitCodes.UsageError("service", $"--user '{user}' is not a plain user name."));
        if (!Path.IsPathRooted(data) || data.Contains("..", StringComparison.Ordinal) || data.Any(char.IsWhiteSpace))
            return Task.FromResult(ExitCodes.UsageError("service", $"--data '{data}' must be an absolute path without spaces or '..'."));
        bool live = prefix is null;
        var root = Path.GetFullPath(prefix ?? "/");
        string At(string path) => Path.Combine(root, path.TrimStart('/'));
        try
        {
            if (live && !UserExists(user))
                Run("useradd", "--system", "--home-dir", data, "--shell", "/usr/sbin/nologin", user);
            Folder(At(data), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (live) Run("chown", $"{user}:{user}", data);
            Folder(At("/etc/dock"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var env = At("/etc/dock/dock.env");
            if (!File.Exists(env))
            {
                File.WriteAllText(env, Resource("dock.env.example"));
                File.SetUnixFileMode(env, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                Console.WriteLine($"wrote {env} (0600): put the cloud credentials here");
            }
            var unit = At("/" + UnitPath);
            Directory.CreateDirectory(Path.GetDirectoryName(unit)!);
            File.WriteAllText(unit, Unit(user, data));
            File.SetUnixFileMode(unit, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            Console.WriteLine($"wrote {unit}: runs {ExecStart()} run --data {data} as {user}");
            if (live)
            {
                Run("systemctl", "daemon-reload");
                Run("systemctl", "enable", "dock");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Task.FromResult(ExitCodes.UsageError("service", ex.Message));
        }
        Console.WriteLine(live ? "Installed and enabled (not started). Next:" : $"Staged under {root} (nothing run). On the target:");
        var dock = ExecStart();
        Console.WriteLine($"  sudo -u {user} {dock} keys show --data {data}                          # give the PEM to the agency");
        Console.WriteLine($"  sudo -u {user} {dock} keys endorse --agency-key AGENCY.key --data {data}   # or copy its endorsement");
        Console.WriteLine($"  sudo -u {user} {dock} recorders enroll --file recorders.txt --data {data}");
        Console.WriteLine("  configure bays in appsettings.json (or Dock__… lines in /etc/dock/dock.env), then: sudo systemctl start dock");
        return Task.FromResult(ExitCodes.Ok);
    }

    private static Task<int> Uninstall(string? prefix)
    {
        if (Refuse(prefix) is { } refused) return Task.FromResult(refused);
        var unit = Path.Combine(Path.GetFullPath(prefix ?? "/"), UnitPath);
        try
        {
            if (prefix is null && File.Exists(unit)) Run("systemctl", "disable", "--now", "dock");
            if (File.Exists(unit)) File.Delete(unit);
            if (prefix is null) Run("systemctl", "daemon-reload");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Task.FromResult(ExitCodes.UsageError("service", ex.Message));
        }
        Console.WriteLine($"removed {unit}; the data folder, keys and /etc/dock are kept (they hold evidence and its custody).");
        return Task.FromResult(ExitCodes.Ok);
    }

    private static int? Refuse(string? prefix)
    {
        if (OperatingSystem.IsWindows())
            return ExitCodes.UsageError("service", "on Windows, run packaging/windows/install-service.ps1 as Administrator (see packaging/README.md).");
        if (!OperatingSystem.IsLinux()) return ExitCodes.UsageError("service", "systemd services exist on Linux only.");
        if (prefix is null && Environment.UserName != "root")
            return ExitCodes.UsageError("service", "installing a service needs root: run it with sudo, or give --prefix DIR to stage the files.");
        return null;
    }

    /// <summary>The embedded unit with this binary, user and data folder in place of the packaged defaults.</summary>
    internal static string Unit(string user, string data) =>
        Resource("dock.service")
            .Replace("/opt/dock/dock", ExecStart(), StringComparison.Ordinal)
            .Replace("/var/lib/dock", data, StringComparison.Ordinal)
            .Replace("User=dock", $"User={user}", StringComparison.Ordinal)
            .Replace("Group=dock", $"Group={user}", StringComparison.Ordinal);

    /// <summary>This binary: the published apphost, or "dotnet …/dock.dll" when run from a build.</summary>
    private static string ExecStart()
    {
        var process = Environment.ProcessPath ?? "dock";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? $"{process} {Path.Combine(AppContext.BaseDirectory, "dock.dll")}" : process;
    }

    private static string Resource(string name)
    {
        using var stream = typeof(ServiceCommand).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the embedded {name} is missing from this build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static void Folder(string path, UnixFileMode mode)
    {
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, mode);
    }

    private static bool UserExists(string user) =>
        File.ReadLines("/etc/passwd").Any(line => line.StartsWith(user + ":", StringComparison.Ordinal));

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        Console.WriteLine($"$ {file} {string.Join(' ', args)}");
        Process? started;
        try
        {
            started = Process.Start(info);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"cannot run {file} ({ex.Message}): is this a systemd system? --prefix DIR stages the files without it.", ex);
        }
        using var process = started ?? throw new InvalidOperationException($"could not run {file}");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error.Trim()}");
    }
}
