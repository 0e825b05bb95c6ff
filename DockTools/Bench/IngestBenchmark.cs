using System.Diagnostics;
using Dock.Crypto.Hashing;
using Dock.Service.Catalog;
using Dock.Service.Cli;
using Dock.Service.Configuration;
using Dock.Service.Identity;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;

namespace Dock.Tools.Bench;

/// <summary>
/// `dock bench ingest`: ingest throughput against limits measured in the same run on the same machine
/// (SHA-256 of the same bytes; sequential write + flush to the vault's file system), and the
/// USB-2.0-like scenario (8 recorders at 40 MB/s) with the dock's peak memory. The dock runs as its
/// own process (`dock run`) so its memory is its own; the simulated recorders run in this process.
/// </summary>
public sealed class IngestBenchmark(IngestBenchmark.Settings settings, TextWriter output)
{
    public sealed record Settings(string DataDirectory, long TotalBytes, long ClipSize, int ThrottledRecorders, long ThrottledClipSize,
        double ThrottleMBps, bool SkipThrottled, IReadOnlyList<string> DockArguments);

    public sealed record ScenarioResult(string Name, long Bytes, double IngestMBps, double EndToEndMBps, long PeakRssBytes);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.DataDirectory);
        output.WriteLine($"dock bench ingest — data in {settings.DataDirectory}, {Environment.ProcessorCount} cores");

        double sha = MeasureSha256(settings.TotalBytes);
        output.WriteLine($"  reference  SHA-256 of the same bytes:          {sha,8:0.0} MB/s");
        double disk = await MeasureWriteFlushAsync(settings.TotalBytes, cancellationToken);
        output.WriteLine($"  reference  write + fsync to the vault's disk:  {disk,8:0.0} MB/s");
        double limit = Math.Min(sha, disk);

        var single = await RunScenarioAsync("single recorder, unthrottled", recorders: 1,
            clipsEach: (int)Math.Max(1, settings.TotalBytes / settings.ClipSize), clipSize: settings.ClipSize, throttle: null, cancellationToken);
        Report(single);
        double ratio = single.IngestMBps / limit;
        output.WriteLine($"  ratio      ingest / min(SHA-256, disk) = {single.IngestMBps:0.0} / {limit:0.0} = {ratio:0.00}   (target ≥ 0.80)");
        output.WriteLine($"             end-to-end incl. verification re-read / limit = {single.EndToEndMBps / limit:0.00}");
        bool ok = ratio >= 0.8;

        // Encryption at rest (no target; issue 16 asks for the ratio): the same scenario with Dock:Vault:Encryption, in this run.
        var encrypted = await RunScenarioAsync("single recorder, unthrottled, encrypted vault", recorders: 1,
            clipsEach: (int)Math.Max(1, settings.TotalBytes / settings.ClipSize), clipSize: settings.ClipSize, throttle: null, cancellationToken,
            "--Dock:Vault:Encryption=true");
        Report(encrypted);
        output.WriteLine($"  ratio      encrypted / plain ingest = {encrypted.IngestMBps:0.0} / {single.IngestMBps:0.0} = {encrypted.IngestMBps / single.IngestMBps:0.00}" +
            $"   (end to end, with the decrypting re-read: {encrypted.EndToEndMBps / single.EndToEndMBps:0.00})");

        // Mass storage (no target): the reference read and the pull's read of each file, then the same pipeline.
        var disk2 = await RunMassStorageScenarioAsync((int)Math.Max(1, settings.TotalBytes / settings.ClipSize), settings.ClipSize, cancellationToken);
        Report(disk2);
        output.WriteLine($"  ratio      mass storage / DockLink single stream = {disk2.IngestMBps:0.0} / {single.IngestMBps:0.0} = " +
            $"{disk2.IngestMBps / single.IngestMBps:0.00}   (no target: each file is read twice; the disk here is a folder in the page cache)");

        if (!settings.SkipThrottled)
        {
            double cap = settings.ThrottledRecorders * settings.ThrottleMBps;
            var usb = await RunScenarioAsync($"{settings.ThrottledRecorders} recorders at {settings.ThrottleMBps} MB/s", settings.ThrottledRecorders,
                clipsEach: 1, clipSize: settings.ThrottledClipSize, throttle: settings.ThrottleMBps, cancellationToken);
            Report(usb);
            output.WriteLine($"  ratio      aggregate / {cap:0} MB/s = {usb.IngestMBps / cap:0.000}   (target ≥ 0.95)");
            output.WriteLine($"  memory     dock peak RSS {usb.PeakRssBytes / 1e6:0.0} MB   (target ≤ 200 MB)");
            ok &= usb.IngestMBps / cap >= 0.95 && usb.PeakRssBytes <= 200_000_000;
        }
        output.WriteLine(ok ? "Targets met." : "A target was missed (see above).");
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private void Report(ScenarioResult r) =>
        output.WriteLine($"  scenario   {r.Name}: {CliOptions.FormatBytes(r.Bytes)} ingested at {r.IngestMBps:0.0} MB/s " +
            $"(pull → hash → store), {r.EndToEndMBps:0.0} MB/s end to end (incl. verify re-read and release); dock peak RSS {r.PeakRssBytes / 1e6:0.0} MB");

    /// <summary>SHA-256 over the simulator's bytes, generated once into memory so only hashing is timed.</summary>
    private static double MeasureSha256(long total)
    {
        var content = new SyntheticContent(7);
        var buffer = new byte[64 << 20];
        content.Read(0, buffer);
        using var hash = Sha256.CreateIncremental();
        var clock = Stopwatch.StartNew();
        for (long done = 0; done < total; done += buffer.Length)
            hash.AppendData(buffer, 0, (int)Math.Min(buffer.Length, total - done));
        hash.GetHashAndReset();
        return total / 1e6 / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The disk's best case for making <paramref name="total"/> bytes durable: sequential 256 KiB
    /// writes and one fsync at the end (no intermediate checkpoints, which only cost).</summary>
    private async Task<double> MeasureWriteFlushAsync(long total, CancellationToken cancellationToken)
    {
        var path = Path.Combine(settings.DataDirectory, "bench-write.tmp");
        var chunk = new byte[256 * 1024];
        new SyntheticContent(8).Read(0, chunk);
        var clock = Stopwatch.StartNew();
        await using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, BufferSize = 0, Options = FileOptions.None }))
        {
            for (long done = 0; done < total; done += chunk.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                file.Write(chunk);
            }
            file.Flush(flushToDisk: true);
        }
        double rate = total / 1e6 / clock.Elapsed.TotalSeconds;
        File.Delete(path);
        return rate;
    }

    internal async Task<ScenarioResult> RunScenarioAsync(string name, int recorders, int clipsEach, long clipSize, double? throttle,
        CancellationToken cancellationToken, params string[] extra)
    {
        var dataDirectory = Path.Combine(settings.DataDirectory, $"scenario-{recorders}x{clipsEach}");
        if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
        var paths = DockPaths.From(new DockOptions { DataDirectory = dataDirectory });
        var agency = DemoAgency.EndorseDock(paths);
        output.WriteLine($"  preparing  {name}: {recorders} × {clipsEach} × {CliOptions.FormatBytes(clipSize)} (recorders hash their clips first)...");
        await using var fleet = await SimulatedFleet.StartAsync(new FleetOptions
        {
            Recorders = recorders, ClipsPerRecorder = clipsEach, MinClipSize = clipSize, MaxClipSize = clipSize,
            ThrottleMBps = throttle, TrustedAgencyKeys = [agency],
        }, cancellationToken: cancellationToken);
        long bytes = fleet.Endpoints.Sum(e => e.Recorder.Clips.Sum(c => c.Size));
        await DemoAgency.EnrolRecordersAsync(dataDirectory,
            fleet.Endpoints.Select(e => (e.Recorder.Serial, e.Recorder.Credential.PublicKey.ToArray())), "bench fleet", cancellationToken);

        // Ingest alone, as issue 2 defined its targets: no upload competing for the disk (see `dock bench upload`).
        var args = new List<string> { "run", "--data", dataDirectory, "--Dock:Http:Urls=http://127.0.0.1:0", $"--Dock:MaxConcurrentPulls={Math.Max(4, recorders)}",
            "--Dock:Cloud:Target=none", "--Dock:ReleasePolicy=AfterLocalVerify",
            "--Logging:LogLevel:Default=Warning" };
        args.AddRange(settings.DockArguments);
        args.AddRange(extra);
        for (int i = 0; i < fleet.Endpoints.Count; i++)
        {
            args.Add($"--Dock:Bays:{i}:Id={i + 1}");
            args.Add($"--Dock:Bays:{i}:Endpoint={fleet.Endpoints[i].Address}");
        }
        using var dock = StartSelf(args);
        long peakRss;
        TimeSpan endToEnd;
        try
        {
            await Task.WhenAll(fleet.Endpoints.Select(e => e.Recorder.WaitUntilAsync(r => r.BytesServed > 0, cancellationToken)));
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(fleet.Endpoints.Select(e => e.Recorder.WaitUntilAsync(r => r.Clips.Count == 0, cancellationToken)));
            endToEnd = clock.Elapsed;
            peakRss = ReadPeakRss(dock.Id);
        }
        finally
        {
            if (!dock.HasExited) dock.Kill(entireProcessTree: true);
            await dock.WaitForExitAsync(CancellationToken.None);
        }

        return await ResultAsync(name, paths, bytes, endToEnd, peakRss, cancellationToken);
    }

    /// <summary>Ingest time from the catalog's own history: the first "pull started" (or, for a clip the recorder stated no
    /// hash for, its reference read) to the last "stored". Removes the scenario's data.</summary>
    private static async Task<ScenarioResult> ResultAsync(string name, DockPaths paths, long bytes, TimeSpan endToEnd, long peakRss,
        CancellationToken cancellationToken)
    {
        var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken);
        var events = new List<(DateTimeOffset At, ClipState State, string? Detail)>();
        foreach (var clip in await catalog.Clips.ListClipsAsync(null, cancellationToken))
            events.AddRange(await catalog.Clips.ClipHistoryAsync(clip.Id, cancellationToken));
        var started = events.Where(e => e.State == ClipState.Pulling || e.Detail?.StartsWith("reference sha256", StringComparison.Ordinal) == true).Min(e => e.At);
        var stored = events.Where(e => e.State == ClipState.Stored).Max(e => e.At);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(paths.DataDirectory, recursive: true);
        return new ScenarioResult(name, bytes, bytes / 1e6 / (stored - started).TotalSeconds, bytes / 1e6 / endToEnd.TotalSeconds, peakRss);
    }

    /// <summary>One mass-storage recorder: a disk folder and a command channel on a pty, through the same pipeline.</summary>
    private async Task<ScenarioResult> RunMassStorageScenarioAsync(int clips, long clipSize, CancellationToken cancellationToken)
    {
        const string name = "single mass-storage recorder, unthrottled";
        var dataDirectory = Path.Combine(settings.DataDirectory, "scenario-mass-storage");
        if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory, recursive: true);
        var paths = DockPaths.From(new DockOptions { DataDirectory = dataDirectory });
        DemoAgency.EndorseDock(paths);
        output.WriteLine($"  preparing  {name}: 1 × {clips} × {CliOptions.FormatBytes(clipSize)} (written to its disk folder)...");
        await using var fleet = await Dock.Simulator.MassStorage.MassStorageFleet.StartAsync(1, clips, clipSize, clipSize,
            Path.Combine(settings.DataDirectory, "scenario-disks"), cancellationToken: cancellationToken);
        var recorder = fleet.Recorders[0];
        await DemoAgency.EnrolRecordersAsync(dataDirectory, [(recorder.Serial, [])], "bench (keyless)", cancellationToken);
        var args = new List<string> { "run", "--data", dataDirectory, "--Dock:Http:Urls=http://127.0.0.1:0", "--Dock:Cloud:Target=none", "--Dock:ReleasePolicy=AfterLocalVerify",
            "--Logging:LogLevel:Default=Warning", "--Dock:Bays:0:Id=1", "--Dock:Bays:0:Driver=MassStorage",
            $"--Dock:Bays:0:Endpoint={recorder.CommandAddress}", $"--Dock:Bays:0:Volume={recorder.Volume}" };
        args.AddRange(settings.DockArguments);
        using var dock = StartSelf(args);
        long peakRss;
        TimeSpan endToEnd;
        var clock = Stopwatch.StartNew();
        try
        {
            // Released means deleted from its disk: done when the disk is empty.
            while (!recorder.InMassStorageMode || recorder.ClipFiles.Count > 0)
            {
                if (dock.HasExited) throw new InvalidOperationException($"the dock exited with {dock.ExitCode}");
                await Task.Delay(50, cancellationToken);
            }
            endToEnd = clock.Elapsed;
            peakRss = ReadPeakRss(dock.Id);
        }
        finally
        {
            if (!dock.HasExited) dock.Kill(entireProcessTree: true);
            await dock.WaitForExitAsync(CancellationToken.None);
        }
        return await ResultAsync(name, paths, clips * clipSize, endToEnd, peakRss, cancellationToken);
    }

    /// <summary>Starts the dock itself (dock.dll beside dock-tools), as its own process, so its memory is measured alone.</summary>
    internal static Process StartSelf(IEnumerable<string> args)
    {
        var host = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var info = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = false };
        info.ArgumentList.Add(typeof(Service.Program).Assembly.Location);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the dock process");
    }

    /// <summary>Peak resident set (VmHWM) of a process, from /proc on Linux; elsewhere the current peak working set.</summary>
    internal static long ReadPeakRss(int pid)
    {
        var status = $"/proc/{pid}/status";
        if (File.Exists(status))
        {
            var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kb)) return kb * 1024;
        }
        using var process = Process.GetProcessById(pid);
        return process.PeakWorkingSet64;
    }
}
