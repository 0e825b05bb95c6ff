using System.Diagnostics;

using Dock.EndToEnd.Tests.Support;

namespace Dock.EndToEnd.Tests;

/// <summary>The self-contained linux-x64 publish (what an installer copies to /opt/dock) runs on its own, without the simulator.</summary>
public sealed class PackagingTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task PublishLinuxX64SelfContained_RunsOnItsOwn_CarriesNoSimulator()
    {
        var root = DockHarness.RepositoryRoot();
        var output = Directory.CreateTempSubdirectory("dock-publish-").FullName;
        try
        {
            var (code, text) = await RunAsync("dotnet", ["publish", Path.Combine(root, "DockService", "DockService.csproj"), "-c", "Release", "-r", "linux-x64",
                "--self-contained", "-o", output, "-nologo", "-v", "quiet"], root);
            Assert.True(code == 0, text);
            var dock = Path.Combine(output, "dock");
            Assert.True(File.Exists(dock), "the published apphost is missing");

            (code, text) = await RunAsync(dock, ["--version"], output);
            Assert.True(code == 0, text);
            Assert.Matches(@"^\d+\.\d+\.\d+", text.Trim());

            // The shipped service carries no simulator, no emulator launcher and no demo: those are dock-tools'.
            Assert.False(File.Exists(Path.Combine(output, "Dock.Simulator.dll")), "the published service carries the simulator");
            Assert.False(File.Exists(Path.Combine(output, "dock-tools.dll")));
            (code, text) = await RunAsync(dock, ["demo"], output);
            Assert.Equal(2, code);
            var data = Path.Combine(output, "data");
            (code, text) = await RunAsync(dock, ["keys", "show", "--data", data], output);
            Assert.True(code == 0, text);
            Assert.Contains("dock id:", text, StringComparison.Ordinal);

            // `dock service install`, staged: the unit runs this published binary as the service user on its data folder.
            var stage = Path.Combine(output, "stage");
            (code, text) = await RunAsync(dock, ["service", "install", "--prefix", stage, "--user", "dockd", "--data", "/srv/dock"], output);
            Assert.True(code == 0, text);
            var unit = await File.ReadAllTextAsync(Path.Combine(stage, "etc", "systemd", "system", "dock.service"));
            Assert.Contains($"ExecStart={dock} run --data /srv/dock\n", unit, StringComparison.Ordinal);
            Assert.Contains("User=dockd\n", unit, StringComparison.Ordinal);
            Assert.Contains("Type=notify\n", unit, StringComparison.Ordinal);
            Assert.Contains("ReadWritePaths=/srv/dock -/media/dock\n", unit, StringComparison.Ordinal);
            Assert.DoesNotContain("/var/lib/dock", unit, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(stage, "etc", "dock", "dock.env")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(stage, "srv", "dock")));
            (code, text) = await RunAsync(dock, ["service", "uninstall", "--prefix", stage], output);
            Assert.True(code == 0, text);
            Assert.False(File.Exists(Path.Combine(stage, "etc", "systemd", "system", "dock.service")));
            Assert.True(File.Exists(Path.Combine(stage, "etc", "dock", "dock.env"))); // configuration and data are kept
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string[] args, string directory)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory, UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (process.ExitCode, await stdout + await stderr);
    }
}
