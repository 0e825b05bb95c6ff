using Dock.Evidence;
using System.Diagnostics;
using Dock.Service;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.EndToEnd.Tests.Support;

/// <summary>
/// A dock data folder (real SQLite, real vault on disk) with an endorsed dock key, a simulated
/// fleet on real loopback TCP or ptys that trusts it, and ways to run the dock in-process or as a
/// separate `dock` process.
/// </summary>
public sealed class DockHarness : IAsyncDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    private DockHarness(string dataDirectory, byte[] agencyKey)
    {
        DataDirectory = dataDirectory;
        AgencyKey = agencyKey;
    }

    public string DataDirectory { get; }
    public byte[] AgencyKey { get; }
    public DockPaths Paths => DockPaths.From(new DockOptions { DataDirectory = DataDirectory });
    public SimulatedFleet? Fleet { get; private set; }

    public static DockHarness Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dock-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var agency = DemoAgency.EndorseDock(DockPaths.From(new DockOptions { DataDirectory = dir }));
        return new DockHarness(dir, agency);
    }

    /// <summary>Starts simulated recorders that trust this dock's agency; <paramref name="enrol"/> puts their
    /// keys on the dock's enrolment list first, as an equipment manager would.</summary>
    public async Task<SimulatedFleet> StartFleetAsync(FleetOptions options, bool enrol = true)
    {
        Fleet = await SimulatedFleet.StartAsync(options with { TrustedAgencyKeys = [AgencyKey] });
        if (enrol) await EnrolFleetAsync();
        return Fleet;
    }

    public Task EnrolFleetAsync() => DemoAgency.EnrolRecordersAsync(DataDirectory,
        Fleet!.Endpoints.Select(e => (e.Recorder.Serial, e.Recorder.Credential.PublicKey.ToArray())), "test fleet", CancellationToken.None);

    /// <summary>Configuration overrides binding one bay per fleet recorder.</summary>
    public Dictionary<string, string?> Overrides(params (string Key, string Value)[] extra)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = DataDirectory,
            ["Dock:ReconnectInterval"] = "00:00:00.200",
            // Any free port: tests run many docks at once.
            ["Dock:Http:Urls"] = "http://127.0.0.1:0",
            // How full this machine's disk is is not what the tests are about: no space alert or purge ahead of retention unless a
            // test sets the levels itself (Retention tests do).
            ["Dock:Retention:AlertWhenFreeBelow"] = "0",
            ["Dock:Retention:PurgeWhenFreeBelow"] = "0",
        };
        for (int i = 0; i < Fleet!.Endpoints.Count; i++)
        {
            overrides[$"Dock:Bays:{i}:Id"] = $"{i + 1}";
            overrides[$"Dock:Bays:{i}:Endpoint"] = Fleet.Endpoints[i].Address;
        }
        foreach (var (key, value) in extra) overrides[key] = value;
        return overrides;
    }

    /// <summary>`dock run` arguments for this harness's data folder and fleet, plus --Key=value extras.</summary>
    public string[] RunArguments(params (string Key, string Value)[] extra) =>
        ["run", .. Overrides(extra).Select(kv => $"--{kv.Key}={kv.Value}")];

    /// <summary>The address the running dock's HTTP server listens on (the tests bind it to a free loopback port).</summary>
    public static string HttpAddress(IHost host) =>
        host.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();

    public async Task<(IHost Host, DockActivity Activity)> StartDockAsync(params (string Key, string Value)[] extra)
    {
        var activity = new DockActivity();
        var host = DockHost.Build([], Overrides(extra), activity, minimumLevel: LogLevel.Warning);
        await host.StartAsync();
        return (host, activity);
    }

    /// <summary>Waits until every simulated recorder holds no clip: the dock released them all.</summary>
    public Task RecordersEmptyAsync() =>
        Task.WhenAll(Fleet!.Endpoints.Select(e => e.Recorder.WaitUntilAsync(r => r.Clips.Count == 0, CancellationToken.None))).WaitAsync(Limit);

    /// <summary>Waits until the dock has recorded the release of <paramref name="count"/> clips.</summary>
    public static Task ReleasedAsync(DockActivity activity, int count) =>
        activity.WaitUntilAsync(a => a.ClipsReleased >= count, CancellationToken.None).WaitAsync(Limit);

    /// <summary>Waits until a `dock run` process holds this data folder (it is past start-up, so SIGTERM stops it cleanly).</summary>
    public async Task WaitUntilRunningAsync(Process process)
    {
        var owner = Dock.Service.Hosting.RunLock.OwnerPath(Paths);
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(owner) && (await File.ReadAllTextAsync(owner)).Contains($"pid {process.Id} ", StringComparison.Ordinal)))
        {
            if (process.HasExited) throw new InvalidOperationException($"dock exited with {process.ExitCode} before it started");
            if (clock.Elapsed > Limit) throw new TimeoutException($"dock did not start within {Limit}");
            await Task.Delay(50);
        }
    }

    /// <summary>Asks a dock process to stop the way systemd does (SIGTERM) and waits for it.</summary>
    public static async Task TerminateAsync(Process process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await process.WaitForExitAsync().WaitAsync(Limit);
    }

    /// <summary>Clip files in the vault: vault/clips/ holds nothing else, and each has its manifest and signature at the same
    /// path under vault/manifests/ (which holds nothing else).</summary>
    public IReadOnlyList<string> VaultClips()
    {
        var root = Path.Combine(DataDirectory, "vault");
        var clips = Directory.EnumerateFiles(Path.Combine(root, "clips"), "*", SearchOption.AllDirectories).ToList();
        var manifests = Directory.EnumerateFiles(Path.Combine(root, "manifests"), "*", SearchOption.AllDirectories).ToHashSet();
        foreach (var clip in clips)
        {
            var manifest = Path.Combine(root, "manifests", Path.GetRelativePath(Path.Combine(root, "clips"), clip)) + ".manifest.json";
            Assert.Contains(manifest, manifests);
            Assert.Contains(manifest + ".sig", manifests);
        }
        Assert.Equal(clips.Count * 2, manifests.Count);
        return clips;
    }

    /// <summary>Writes the dock's public key (`dock keys export --public`) to DATA/dock.pem, for `dock verify --trust`.</summary>
    public async Task<string> TrustPemAsync()
    {
        var (code, pem, stderr) = await RunDockAsync("keys", "export", "--public", "--data", DataDirectory);
        Assert.True(code == 0, stderr);
        var path = Path.Combine(DataDirectory, "dock.pem");
        await File.WriteAllTextAsync(path, pem);
        return path;
    }

    /// <summary>The manifest the dock wrote for a clip file in the vault.</summary>
    public static string ManifestOf(string clip) => ClipVerifier.DefaultManifestPath(clip);

    public Task<CatalogStores> CatalogAsync() => CatalogStores.OpenAsync(Paths.Catalog, TimeProvider.System, CancellationToken.None);

    /// <summary>Polls the catalog (another process writes it, so there is no signal to await) until <paramref name="condition"/> holds.</summary>
    public async Task WaitForCatalogAsync(Func<CatalogStores, Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        var catalog = await CatalogAsync();
        while (!await condition(catalog))
        {
            if (clock.Elapsed > Limit) throw new TimeoutException($"waited {Limit} for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>The repository's root (where Dock.sln is), found above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dock.sln"))) return dir.FullName;
        throw new InvalidOperationException("Dock.sln not found above the test binaries.");
    }

    /// <summary>Starts the real `dock` executable (the dock.dll copied beside the tests; dock-tools.dll for demo and bench).</summary>
    public static Process StartDockProcess(IEnumerable<string> args, bool redirect = true, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = redirect, RedirectStandardError = redirect, UseShellExecute = false };
        // Any free port for the HTTP API, unless the test says otherwise: tests run many docks at once.
        info.Environment["Dock__Http__Urls"] = "http://127.0.0.1:0";
        // As in Overrides: this machine's free disk space is not what the tests are about (a test sets the levels on the command line).
        info.Environment["Dock__Retention__AlertWhenFreeBelow"] = "0";
        info.Environment["Dock__Retention__PurgeWhenFreeBelow"] = "0";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var list = args.ToList();
        // As the ./dock script does: demo and bench are dock-tools' (the shipped dock carries no simulator).
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, list.FirstOrDefault() is "demo" or "bench" ? "dock-tools.dll" : "dock.dll"));
        foreach (var arg in list) info.ArgumentList.Add(arg);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dock");
        lock (Started) Started.Add((process.Id, string.Join(' ', info.ArgumentList)));
        return process;
    }

    // Every dock process a test started, so a failing test (an assertion before its TerminateAsync) leaves none running.
    private static readonly List<(int Pid, string Arguments)> Started = [];

    private void KillLeftovers()
    {
        List<(int Pid, string Arguments)> mine;
        lock (Started) mine = Started.Where(p => p.Arguments.Contains(DataDirectory, StringComparison.Ordinal)).ToList();
        foreach (var (pid, _) in mine)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                if (!process.HasExited && process.ProcessName == "dotnet") process.Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
            catch (InvalidOperationException)
            {
                // Exited while we looked.
            }
        }
        lock (Started) Started.RemoveAll(mine.Contains);
    }

    /// <summary>Runs `dock ARGS` to completion; returns exit code and output.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunDockAsync(params string[] args) => RunDockAsync(args, null);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunDockAsync(string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        using var process = StartDockProcess(args, environment: environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            // A command that should have ended did not: kill it, so a failing test leaves no dock running behind it.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dock {string.Join(' ', args)} did not end within {Limit}; output: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        KillLeftovers();
        if (Fleet is not null) await Fleet.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A process we killed may still be closing files; the temp folder is cleaned by the OS.
        }
    }
}
