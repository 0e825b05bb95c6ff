using System.CommandLine;
using Dock.Service.Cli;

namespace Dock.Tools.Bench;

/// <summary><c>dock bench ingest</c>. A benchmark, not a test: it reports ratios against references measured in the same run.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Folder for the benchmark's vaults (default: a new folder under the temp directory; removed afterwards)." };
        var size = CliOptions.Size("--size", "Bytes to ingest in the unthrottled scenario.", 2L << 30);
        var clipSize = CliOptions.Size("--clip-size", "Clip size in the unthrottled scenario.", 512L << 20);
        var recorders = new Option<int>("--throttled-recorders") { Description = "Recorders in the throttled scenario.", DefaultValueFactory = _ => 8 };
        var throttledClip = CliOptions.Size("--throttled-clip-size", "One clip of this size per throttled recorder.", 1L << 30);
        var throttle = new Option<double>("--throttle") { Description = "MB/s per throttled recorder (USB 2.0 ≈ 40).", DefaultValueFactory = _ => 40 };
        var skip = new Option<bool>("--skip-throttled") { Description = "Run only the unthrottled scenario." };
        var ingest = new Command("ingest", "Ingest MB/s against SHA-256 and disk limits measured in the same run; 8 throttled recorders with the dock's peak memory.")
        {
            data, size, clipSize, recorders, throttledClip, throttle, skip,
        };
        // Extra --Dock:Key=value arguments go to the benchmarked dock, to compare tunings.
        ingest.TreatUnmatchedTokensAsErrors = false;
        ingest.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(size) < 64L << 20 || parse.GetValue(clipSize) < 1 << 20 || parse.GetValue(recorders) is < 1 or > 64 || parse.GetValue(throttle) <= 0)
            {
                await Console.Error.WriteLineAsync("dock bench ingest: --size ≥ 64MiB, --clip-size ≥ 1MiB, --throttled-recorders 1..64, --throttle > 0.");
                return ExitCodes.Usage;
            }
            var dir = Path.GetFullPath(parse.GetValue(data) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-{Environment.ProcessId}"));
            var bench = new IngestBenchmark(new IngestBenchmark.Settings(dir, parse.GetValue(size), parse.GetValue(clipSize), parse.GetValue(recorders),
                parse.GetValue(throttledClip), parse.GetValue(throttle), parse.GetValue(skip), [.. parse.UnmatchedTokens]), Console.Out);
            try
            {
                return await bench.RunAsync(cancellationToken);
            }
            finally
            {
                if (parse.GetValue(data) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var data2 = new Option<string?>("--data") { Description = "Folder for the benchmark's catalog (default: a new folder under the temp directory; removed afterwards)." };
        var events = new Option<int>("--events") { Description = "Events in the log to verify.", DefaultValueFactory = _ => 100_000 };
        var custodyClip = CliOptions.Size("--clip-size", "The clip whose ingest time the per-clip custody work is compared with.", 200_000_000);
        var custody = new Command("custody", "Custody log appends per second, time to verify a 100,000-event log, per-clip signing overhead vs ingest.")
        {
            data2, events, custodyClip,
        };
        custody.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(events) is < 1000 or > 10_000_000 || parse.GetValue(custodyClip) < 1 << 20)
            {
                await Console.Error.WriteLineAsync("dock bench custody: --events 1000..10000000, --clip-size ≥ 1MiB.");
                return ExitCodes.Usage;
            }
            var dir = Path.GetFullPath(parse.GetValue(data2) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-custody-{Environment.ProcessId}"));
            try
            {
                return await new CustodyBenchmark(dir, parse.GetValue(events), parse.GetValue(custodyClip), Console.Out).RunAsync(cancellationToken);
            }
            finally
            {
                if (parse.GetValue(data2) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var data3 = new Option<string?>("--data") { Description = "Folder for the benchmark's files (default: a new folder under the temp directory; removed afterwards)." };
        var single = CliOptions.Size("--size", "The single clip.", 256L << 20);
        var parallel = new Option<int>("--parallel") { Description = "Clips uploaded at once in the parallel scenario.", DefaultValueFactory = _ => 8 };
        var parallelSize = CliOptions.Size("--parallel-size", "Size of each clip in the parallel scenario.", 64L << 20);
        var partSize = CliOptions.Size("--part-size", "Part size (Dock:Cloud:PartSize).", 8L << 20);
        var upload = new Command("upload", "Upload MB/s of the dock's S3 and Azure paths vs a plain SDK upload of the same files, to s3rver and Azurite " +
            "(started from tests/emulators; run ./test.sh once to install them).")
        {
            data3, single, parallel, parallelSize, partSize,
        };
        upload.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(single) < 8L << 20 || parse.GetValue(parallel) is < 1 or > 64 || parse.GetValue(parallelSize) < 1 << 20
                || parse.GetValue(partSize) < 5L << 20)
            {
                await Console.Error.WriteLineAsync("dock bench upload: --size ≥ 8MiB, --parallel 1..64, --parallel-size ≥ 1MiB, --part-size ≥ 5MiB.");
                return ExitCodes.Usage;
            }
            var dir = Path.GetFullPath(parse.GetValue(data3) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-upload-{Environment.ProcessId}"));
            try
            {
                return await new UploadBenchmark(dir, parse.GetValue(single), parse.GetValue(parallel), parse.GetValue(parallelSize), parse.GetValue(partSize),
                    Console.Out).RunAsync(cancellationToken);
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("emulator", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"dock bench upload: {ex.Message}");
                return ExitCodes.Usage;
            }
            finally
            {
                if (parse.GetValue(data3) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var data5 = new Option<string?>("--data") { Description = "Folder for the benchmark's dock (default: a new folder under the temp directory; removed afterwards)." };
        var apiClips = new Option<int>("--clips") { Description = "Clips seeded into the catalog.", DefaultValueFactory = _ => 100_000 };
        var apiRecorders = new Option<int>("--recorders") { Description = "Throttled recorders ingesting meanwhile.", DefaultValueFactory = _ => 8 };
        var apiRequests = new Option<int>("--requests") { Description = "Requests of each kind.", DefaultValueFactory = _ => 400 };
        var api = new Command("api", "HTTP API latency (p50, p99) for a clip search over 100,000 clips and a bay-status read, during an ingest of 8 " +
            "throttled recorders, against GET /healthz in the same run.")
        {
            data5, apiClips, apiRecorders, apiRequests,
        };
        api.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(apiClips) is < 1000 or > 10_000_000 || parse.GetValue(apiRecorders) is < 1 or > 32 || parse.GetValue(apiRequests) is < 10 or > 100_000)
            {
                await Console.Error.WriteLineAsync("dock bench api: --clips 1000..10000000, --recorders 1..32, --requests 10..100000.");
                return ExitCodes.Usage;
            }
            var dir = Path.GetFullPath(parse.GetValue(data5) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-api-{Environment.ProcessId}"));
            try
            {
                return await new ApiBenchmark(dir, parse.GetValue(apiClips), parse.GetValue(apiRecorders), parse.GetValue(apiRequests), Console.Out)
                    .RunAsync(cancellationToken);
            }
            finally
            {
                if (parse.GetValue(data5) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var data6 = new Option<string?>("--data") { Description = "Folder for the benchmark's docks (default: a new folder under the temp directory; removed afterwards)." };
        var kioskBrowsers = new Option<int>("--browsers") { Description = "Browsers watching the kiosk in the watched rounds.", DefaultValueFactory = _ => 5 };
        var kioskRounds = new Option<int>("--rounds") { Description = "Rounds of each kind (alternating).", DefaultValueFactory = _ => 3 };
        var kioskRecorders = new Option<int>("--recorders") { Description = "Unthrottled recorders docked in each round.", DefaultValueFactory = _ => 4 };
        var kioskClip = CliOptions.Size("--clip-size", "Size of each clip.", 64L << 20);
        var kioskStreams = new Option<bool>("--streams-only") { Description = "Watch with plain HTTP readers of /kiosk/events instead of browsers: the dock's own cost." };
        var kiosk = new Command("kiosk", "Ingest MB/s with N browsers watching the kiosk against none, alternating rounds in the same run.")
        {
            data6, kioskBrowsers, kioskRounds, kioskRecorders, kioskClip, kioskStreams,
        };
        kiosk.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(kioskBrowsers) is < 1 or > 20 || parse.GetValue(kioskRounds) is < 1 or > 20 || parse.GetValue(kioskRecorders) is < 1 or > 16
                || parse.GetValue(kioskClip) is < 1 << 20 or > 4L << 30)
            {
                await Console.Error.WriteLineAsync("dock bench kiosk: --browsers 1..20, --rounds 1..20, --recorders 1..16, --clip-size 1MiB..4GiB.");
                return ExitCodes.Usage;
            }
            var dir = Path.GetFullPath(parse.GetValue(data6) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-kiosk-{Environment.ProcessId}"));
            try
            {
                return await new KioskBenchmark(dir, parse.GetValue(kioskBrowsers), parse.GetValue(kioskRounds), parse.GetValue(kioskRecorders), 4,
                    parse.GetValue(kioskClip), parse.GetValue(kioskStreams), Console.Out).RunAsync(cancellationToken);
            }
            finally
            {
                if (parse.GetValue(data6) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var data4 = new Option<string?>("--data") { Description = "Folder for the benchmark's vaults (default: a new folder under the temp directory; removed afterwards)." };
        var link = new Option<string[]>("--link")
        {
            Description = "A link to time as KBPS:SIZE (kilobytes per second, clip size), repeatable. Default: 11.5:1MB (a 115,200-baud line), " +
                "1000:20MB, 40000:400MB (USB 2.0).",
            AllowMultipleArgumentsPerToken = false,
        };
        var links = new Command("links", "One clip over links of different speeds with the dock's default settings, against the same line's time for the bytes.")
        {
            data4, link,
        };
        links.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = new List<(double, long)>();
            foreach (var text in parse.GetValue(link) is { Length: > 0 } given ? given : ["11.5:1MB", "1000:20MB", "40000:400MB"])
            {
                var parts = text.Split(':');
                if (parts.Length != 2 || !double.TryParse(parts[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var kbps)
                    || kbps <= 0 || !CliOptions.TryParseSize(parts[1], out var bytes) || bytes < 4096)
                {
                    await Console.Error.WriteLineAsync($"dock bench links: --link '{text}' is not KBPS:SIZE, e.g. 11.5:1MB.");
                    return ExitCodes.Usage;
                }
                chosen.Add((kbps, bytes));
            }
            var dir = Path.GetFullPath(parse.GetValue(data4) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-links-{Environment.ProcessId}"));
            try
            {
                return await new LinkBenchmark(dir, chosen, Console.Out).RunAsync(cancellationToken);
            }
            finally
            {
                if (parse.GetValue(data4) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var data7 = new Option<string?>("--data") { Description = "Folder for the benchmark's docks (default: a new folder under the temp directory; removed afterwards)." };
        var fleetDocks = new Option<int>("--docks") { Description = "Docks sharing one s3rver bucket.", DefaultValueFactory = _ => 50 };
        var fleetPoll = new Option<double>("--poll") { Description = "Each dock's Dock:Fleet:PollInterval, in seconds.", DefaultValueFactory = _ => 1 };
        var fleetIdle = new Option<double>("--idle") { Description = "Seconds of idle docks counted.", DefaultValueFactory = _ => 10 };
        var fleetJson = CliOptions.Json();
        var fleet = new Command("fleet", "N docks on one s3rver bucket: a 10/50/100 % rollout timed, the store requests of idle docks counted, and a rollout " +
            "whose second step fails halted there (started from tests/emulators; run ./test.sh once to install them).")
        {
            data7, fleetDocks, fleetPoll, fleetIdle, fleetJson,
        };
        fleet.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(fleetDocks) is < 10 or > 1000 || parse.GetValue(fleetPoll) is < 0.1 or > 60 || parse.GetValue(fleetIdle) is < 1 or > 3600)
            {
                await Console.Error.WriteLineAsync("dock bench fleet: --docks 10..1000, --poll 0.1..60, --idle 1..3600.");
                return ExitCodes.Usage;
            }
            var dir = Path.GetFullPath(parse.GetValue(data7) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-fleet-{Environment.ProcessId}"));
            try
            {
                return await new FleetBenchmark(dir, parse.GetValue(fleetDocks), TimeSpan.FromSeconds(parse.GetValue(fleetPoll)),
                    TimeSpan.FromSeconds(parse.GetValue(fleetIdle)), Console.Out).RunAsync(parse.GetValue(fleetJson), cancellationToken);
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("emulator", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"dock bench fleet: {ex.Message}");
                return ExitCodes.Usage;
            }
            finally
            {
                if (parse.GetValue(data7) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var data8 = new Option<string?>("--data") { Description = "Folder for the benchmark's dock keys (default: a new folder under the temp directory; removed afterwards)." };
        var firmwareSize = new Option<string>("--size") { Description = "The image (and clip) size.", DefaultValueFactory = _ => "32MB" };
        var firmwareRounds = new Option<int>("--rounds") { Description = "Alternating read / firmware rounds per link.", DefaultValueFactory = _ => 3 };
        var firmwareJson = CliOptions.Json();
        var firmware = new Command("firmware", "Firmware transfer MB/s as a ratio of the clip-read MB/s on the same link (a pty pair; TCP throttled both ways), " +
            "and the bytes sent twice after a power loss in mid-transfer.")
        {
            data8, firmwareSize, firmwareRounds, firmwareJson,
        };
        firmware.SetAction(async (parse, cancellationToken) =>
        {
            if (!CliOptions.TryParseSize(parse.GetValue(firmwareSize)!, out var size) || size < 64 * 1024 || size > 256L << 20 || parse.GetValue(firmwareRounds) is < 1 or > 20)
            {
                await Console.Error.WriteLineAsync("dock bench firmware: --size 64KB..256MB, --rounds 1..20.");
                return ExitCodes.Usage;
            }
            var dir = Path.GetFullPath(parse.GetValue(data8) ?? Path.Combine(Path.GetTempPath(), $"dock-bench-firmware-{Environment.ProcessId}"));
            try
            {
                return await new FirmwareBenchmark(dir, size, parse.GetValue(firmwareRounds), Console.Out).RunAsync(parse.GetValue(firmwareJson), cancellationToken);
            }
            finally
            {
                if (parse.GetValue(data8) is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            }
        });
        var bench = new Command("bench", "Benchmarks (figures, not pass/fail tests).") { ingest, custody, upload, links, api, kiosk, fleet, firmware };
        return bench;
    }
}
