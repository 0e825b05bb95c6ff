using System.CommandLine;
using System.Diagnostics;
using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service;
using Dock.Service.Cli;
using Dock.Service.Reports;
using Dock.Service.Configuration;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Tools.Demo;

/// <summary>
/// <c>dock demo</c>: the main job on embedded defaults. An in-process simulated fleet is docked in a
/// dock whose data lives in --data (default: a new folder in the temp directory); every clip is
/// pulled, hash-verified, stored and released, with live per-bay progress, then a summary.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data folder for the catalog, vault and keys (default: a new folder under the temp directory)." };
        var recorders = new Option<int>("--recorders") { Description = "Simulated recorders, one per bay.", DefaultValueFactory = _ => 4 };
        var clips = new Option<int>("--clips") { Description = "Clips per recorder.", DefaultValueFactory = _ => 5 };
        var minSize = CliOptions.Size("--min-clip-size", "Smallest clip.", 8L << 20);
        var maxSize = CliOptions.Size("--max-clip-size", "Largest clip.", 48L << 20);
        var throttle = new Option<double?>("--throttle") { Description = "Per-recorder link speed in MB/s (USB 2.0 is about 40). Default: unthrottled." };
        var transport = new Option<SimulatedTransport>("--transport")
        {
            Description = "How recorders are reached: tcp, serial (DockLink over pty pairs), or mass-storage (GA/T 947.4-style: a disk plus a command channel on a pty).",
            DefaultValueFactory = _ => SimulatedTransport.Tcp,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Enum.TryParse<SimulatedTransport>(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var value) && Enum.IsDefined(value))
                    return value;
                result.AddError($"--transport '{text}' is not tcp, serial or mass-storage.");
                return default;
            },
        };
        var policy = new Option<ReleasePolicy>("--release-policy") { Description = "When recorders may delete clips.", DefaultValueFactory = _ => ReleasePolicy.AfterCloudVerify };
        var cloud = CliOptions.Cloud();
        var timeout = new Option<TimeSpan>("--timeout") { Description = "Give up after this long (hh:mm:ss).", DefaultValueFactory = _ => TimeSpan.FromMinutes(10) };
        var command = new Command("demo", "Run the dock against simulated recorders on embedded defaults and show the result.")
        {
            data, recorders, clips, minSize, maxSize, throttle, transport, policy, cloud, timeout,
        };
        // Any other setting of the dock, as `dock run` takes it: --Dock:Vault:Encryption=true, --Dock:Metadata:Location=…
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) => RunAsync(new DemoSettings(
            parse.GetValue(data), parse.GetValue(recorders), parse.GetValue(clips), parse.GetValue(minSize), parse.GetValue(maxSize),
            parse.GetValue(throttle), parse.GetValue(transport), parse.GetValue(policy), parse.GetValue(timeout),
            parse.GetValue(cloud) ?? "file:cloud", [.. parse.UnmatchedTokens]), cancellationToken));
        return command;
    }

    public sealed record DemoSettings(string? DataDirectory, int Recorders, int ClipsPerRecorder, long MinClipSize, long MaxClipSize,
        double? ThrottleMBps, SimulatedTransport Transport, ReleasePolicy ReleasePolicy, TimeSpan Timeout, string Cloud = "file:cloud",
        IReadOnlyList<string>? Settings = null);

    public static async Task<int> RunAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        if (Validate(settings) is { } problem)
        {
            await Console.Error.WriteLineAsync($"dock demo: {problem}");
            return ExitCodes.Usage;
        }
        var dataDirectory = Path.GetFullPath(settings.DataDirectory
            ?? Path.Combine(Path.GetTempPath(), $"dock-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}"));
        var paths = DockPaths.From(new DockOptions { DataDirectory = dataDirectory });
        var agencyPublicKey = DemoAgency.EndorseDock(paths);

        bool massStorage = settings.Transport == SimulatedTransport.MassStorage;
        Console.WriteLine($"Dock demo: {settings.Recorders} simulated recorder(s) × {settings.ClipsPerRecorder} clip(s) of " +
            $"{CliOptions.FormatBytes(settings.MinClipSize)}–{CliOptions.FormatBytes(settings.MaxClipSize)} over " +
            (massStorage ? "mass storage (a disk each, GA/T 947.4-style command channel on a pty)" : settings.Transport.ToString().ToLowerInvariant()) +
            (settings.ThrottleMBps is { } t ? $" at {t} MB/s each" : "") + ".");
        Console.WriteLine($"Data folder: {dataDirectory}");
        if (massStorage) return await RunMassStorageAsync(settings, dataDirectory, paths, cancellationToken);
        Console.WriteLine("Recording clips on the simulated recorders (each hashed as the camera would)...");
        await using var fleet = await SimulatedFleet.StartAsync(new FleetOptions
        {
            Recorders = settings.Recorders,
            ClipsPerRecorder = settings.ClipsPerRecorder,
            MinClipSize = settings.MinClipSize,
            MaxClipSize = settings.MaxClipSize,
            ThrottleMBps = settings.ThrottleMBps,
            Transport = settings.Transport,
            TrustedAgencyKeys = [agencyPublicKey],
        }, cancellationToken: cancellationToken);

        // The equipment manager enrolled these cameras' keys when issuing them.
        await DemoAgency.EnrolRecordersAsync(dataDirectory,
            fleet.Endpoints.Select(e => (e.Recorder.Serial, e.Recorder.Credential.PublicKey.ToArray())), "demo fleet", cancellationToken);

        var overrides = BaseOverrides(settings, dataDirectory);
        for (int i = 0; i < fleet.Endpoints.Count; i++)
        {
            overrides[$"Dock:Bays:{i}:Id"] = (i + 1).ToString();
            overrides[$"Dock:Bays:{i}:Endpoint"] = fleet.Endpoints[i].Address;
        }
        return await RunDockAsync(settings, dataDirectory, paths, overrides, cancellationToken);
    }

    /// <summary>The same job with GA/T 947.4-style recorders: each a disk folder plus a command channel on a pty,
    /// enrolled keyless (they cannot prove who they are), pulled through the same pipeline.</summary>
    private static async Task<int> RunMassStorageAsync(DemoSettings settings, string dataDirectory, DockPaths paths, CancellationToken cancellationToken)
    {
        Console.WriteLine("Recording clips onto the simulated recorders' disks...");
        await using var fleet = await Dock.Simulator.MassStorage.MassStorageFleet.StartAsync(settings.Recorders, settings.ClipsPerRecorder,
            settings.MinClipSize, settings.MaxClipSize, cancellationToken: cancellationToken);
        await DemoAgency.EnrolRecordersAsync(dataDirectory, fleet.Recorders.Select(r => (r.Serial, Array.Empty<byte>())), "demo fleet (keyless)",
            cancellationToken);
        var overrides = BaseOverrides(settings, dataDirectory);
        for (int i = 0; i < fleet.Recorders.Count; i++)
        {
            overrides[$"Dock:Bays:{i}:Id"] = (i + 1).ToString();
            overrides[$"Dock:Bays:{i}:Driver"] = "MassStorage";
            overrides[$"Dock:Bays:{i}:Endpoint"] = fleet.Recorders[i].CommandAddress;
            overrides[$"Dock:Bays:{i}:Volume"] = fleet.Recorders[i].Volume;
        }
        return await RunDockAsync(settings, dataDirectory, paths, overrides, cancellationToken);
    }

    private static Dictionary<string, string?> BaseOverrides(DemoSettings settings, string dataDirectory)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Dock:DataDirectory"] = dataDirectory,
            ["Dock:ReleasePolicy"] = settings.ReleasePolicy.ToString(),
            ["Dock:Cloud:Target"] = settings.Cloud,
            ["Dock:ReconnectInterval"] = "00:00:00.500",
            // The demo's HTTP API takes any free port, so it never collides with a dock already running on this machine.
            ["Dock:Http:Urls"] = "http://127.0.0.1:0",
        };
        foreach (var (key, value) in ExtraSettings(settings.Settings ?? [])) overrides[key] = value;
        return overrides;
    }

    /// <summary>"--Dock:Key=value" arguments (checked by Validate); a key the dock does not know fails its start with the nearest one.</summary>
    private static IEnumerable<(string Key, string Value)> ExtraSettings(IEnumerable<string> tokens) =>
        tokens.Select(t => t.Split('=', 2)).Where(p => p.Length == 2 && p[0].StartsWith("--Dock:", StringComparison.Ordinal)).Select(p => (p[0][2..], p[1]));

    /// <summary>Runs the dock on those bays with live progress until every clip is done (or the timeout), then the summary.</summary>
    private static async Task<int> RunDockAsync(DemoSettings settings, string dataDirectory, DockPaths paths, Dictionary<string, string?> overrides,
        CancellationToken cancellationToken)
    {
        var activity = new DockActivity();
        using var host = DockHost.Build([], overrides, activity, minimumLevel: LogLevel.Warning);
        var clock = Stopwatch.StartNew();
        if (!await RunCommand.TryStartAsync(host, cancellationToken)) return ExitCodes.Usage;
        // The web face runs in the demo too: say where, so a person can watch the bays in a browser while it runs.
        var address = host.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is not null) Console.WriteLine($"Watch it live: {address}/kiosk (the dock's screen; the console at {address}/ needs `dock users add`).");

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.Timeout);
        var display = new ProgressDisplay(activity, Console.Out, interactive: !Console.IsOutputRedirected);
        bool finished;
        try
        {
            finished = await display.RunUntilAsync(
                a => a.Bays.Count == settings.Recorders && a.Bays.All(b => b.Finished)
                    && (settings.ReleasePolicy != ReleasePolicy.AfterCloudVerify || a.ClipsReleased >= a.ClipsVerified || a.CloudProblem is not null),
                deadline.Token);
        }
        finally
        {
            clock.Stop();
            await host.StopAsync(CancellationToken.None);
        }

        var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, CancellationToken.None);
        var report = await StatusReports.BuildAsync(catalog, dataDirectory, CancellationToken.None);
        return PrintSummary(report, activity, clock.Elapsed, settings, finished);
    }

    private static string? Validate(DemoSettings s) =>
        s.Recorders is < 1 or > 64 ? "--recorders must be 1..64."
        : s.ClipsPerRecorder is < 0 or > 10_000 ? "--clips must be 0..10000."
        : s.MinClipSize > s.MaxClipSize ? "--min-clip-size is above --max-clip-size."
        : s.ThrottleMBps is <= 0 ? "--throttle must be above zero."
        : s.Timeout <= TimeSpan.Zero ? "--timeout must be above zero."
        : (s.Settings ?? []).FirstOrDefault(t => !(t.StartsWith("--Dock:", StringComparison.Ordinal) && t.Contains('=', StringComparison.Ordinal))) is { } stray
            ? $"'{stray}' is not an option of dock demo (see --help); a setting of the dock is given as --Dock:Key=value."
        : null;

    private static int PrintSummary(StatusReport report, DockActivity activity, TimeSpan elapsed, DemoSettings settings, bool finished)
    {
        int expected = settings.Recorders * settings.ClipsPerRecorder;
        var totals = report.Totals;
        double seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        int released = totals.ByState.GetValueOrDefault(ClipState.Released.ToDb());
        Console.WriteLine();
        Console.WriteLine("Summary");
        bool massStorage = settings.Transport == SimulatedTransport.MassStorage;
        Console.WriteLine($"  clips in vault:    {totals.HashVerified} of {expected} expected, SHA-256 verified against " +
            (massStorage ? "the dock's first read of each file (streamed and re-read)" : "the recorder's hash (streamed and re-read)"));
        Console.WriteLine($"  bytes pulled:      {CliOptions.FormatBytes(activity.BytesPulled)} in {seconds:0.0} s = {activity.BytesPulled / 1e6 / seconds:0.0} MB/s (docking until every clip was done)");
        Console.WriteLine($"  cloud:             {activity.ClipsCloudVerified} verified in {settings.Cloud}" +
            (activity.CloudProblem is { } problem ? $"; NOT USABLE: {problem}" : " (read back or the store's own SHA-256)"));
        Console.WriteLine($"  released:          {released} (policy {settings.ReleasePolicy})");
        Console.WriteLine($"  hash mismatches:   {activity.HashMismatches}; quarantined clips: {totals.ByState.GetValueOrDefault(ClipState.Quarantined.ToDb())}");
        Console.WriteLine(massStorage
            ? $"  record signatures: none (mass-storage recorders cannot sign; enrolled keyless, their identity is claimed, not proven); held for a person: {activity.ClipsHeld}"
            : $"  record signatures: {report.Clips.Count(c => c.RecorderSigned)} clip(s) signed by their recorder at record time, " +
              $"each checked against its enrolled key; held for a person: {activity.ClipsHeld}");
        Console.WriteLine($"  docking sessions:  {totals.Sessions}, battery samples: {totals.BatterySamples}");
        Console.WriteLine($"  see it again:      dock status --data {report.DataDirectory}");
        if (report.Clips.FirstOrDefault(c => c.VaultPath is not null) is { } sample)
            Console.WriteLine($"  prove one:         dock keys export --public --data {report.DataDirectory} > dock.pem; " +
                $"dock verify {Path.Combine(report.DataDirectory, sample.VaultPath!)} --trust dock.pem");
        bool ok = finished && totals.HashVerified == expected
            && (settings.ReleasePolicy == ReleasePolicy.Never || released == expected);
        Console.WriteLine(ok ? "Result: every clip is safe in the vault" + (settings.ReleasePolicy == ReleasePolicy.AfterCloudVerify ? " and in the cloud." : ".")
            : totals.HashVerified == expected && activity.CloudProblem is not null
                ? "Result: every clip is safe in the vault, but the cloud target is not usable, so the recorders keep their footage (see above)."
                : "Result: NOT every clip reached the vault verified (see above).");
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
