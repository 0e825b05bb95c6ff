using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dock.Crypto.Keys;
using Dock.Service.Fleet;
using Dock.Service.Hosting;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;

namespace Dock.Service.Cli;

/// <summary>The object-store faces of <c>dock fleet</c>: publish, status, rollout advance.</summary>
public static partial class FleetCommand
{
    private static Option<string> CloudOption() => new("--cloud")
    {
        Description = "The agency's object store: s3://BUCKET/PREFIX, azblob://CONTAINER/PREFIX or file:DIR (the fleet lives under PREFIX/fleet/).",
        Required = true,
    };

    private static Option<string?> TrustOption(string what) => new("--trust") { Description = what };

    private static Command Publish()
    {
        var file = new Argument<string>("FILE") { Description = "The signed bundle." };
        var cloud = CloudOption();
        var trust = TrustOption("Check the bundle's signature by this configuration key (PEM) before publishing it.");
        var agencyKey = new Option<string?>("--agency-key") { Description = "Sign the bundle log's new checkpoint with this configuration key (PKCS#8 PEM)." };
        var command = new Command("publish", "Publish a signed bundle under PREFIX/fleet/: its firmware images (from firmware/ beside it), the bundle, its entry in the append-only bundle log and the log's " +
            "checkpoint, then the rollout pointer at the plan's first step. Exit 0 published, 2 refused (unsigned, version not higher).")
        {
            file, cloud, trust, agencyKey,
        };
        command.SetAction((parse, cancellationToken) => WithStore("fleet publish", parse.GetValue(cloud)!, async store =>
        {
            var text = ReadBundleFile(parse.GetValue(file)!);
            if (parse.GetValue(trust) is { } pem) BundleNote.Open(text, [new ConfigKey(FleetTrust.ReadKey(pem), pem)]);
            using var key = parse.GetValue(agencyKey) is { } keyPath ? KeyFile.Load(keyPath, Environment.GetEnvironmentVariable("DOCK_AGENCY_KEY_PASSPHRASE")) : null;
            // The images first: no dock may see a bundle whose firmware the store does not hold.
            foreach (var image in BundleNote.Peek(text).Firmware)
            {
                var uploaded = await store.PublishFirmwareAsync(image, Path.Combine(FirmwareImages.BesideBundle(parse.GetValue(file)!), image.Sha256 + ".bin"),
                    DataFolder.Actor, cancellationToken);
                Console.WriteLine($"  firmware {image.Model} {image.Version}: {store.FirmwareKey(image.Sha256)} {(uploaded ? "written and read back" : "already held, checked")}");
            }
            var (pointer, entry, head) = await store.PublishAsync(text, DataFolder.Actor, key, TimeProvider.System, cancellationToken);
            Console.WriteLine($"published fleet bundle version {pointer.Version} (sha256 {pointer.Sha256}) at {store.BundleKey(pointer.Version)}");
            Console.WriteLine($"  bundle log entry {entry.Index}; log size {head.Size}, root {Convert.ToBase64String(head.RootHash)}{(key is null ? " (checkpoint unsigned: no --agency-key)" : "")}");
            Console.WriteLine($"  rollout: step {pointer.Step + 1} of {pointer.Steps}. Docks take it at their next look; `dock fleet rollout advance` moves on.");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Command Prove()
    {
        var clip = new Argument<string>("CLIP") { Description = "The clip file (vault or cloud copy) with its manifest beside it, as `dock verify` takes it." };
        var cloud = CloudOption();
        var configKey = new Option<string>("--config-key")
        {
            Description = "The agency's configuration key (PEM) that signs the bundles and the bundle log's checkpoint.", Required = true,
        };
        var trust = new Option<string?>("--trust") { Description = "The dock's public key, PEM (as for `dock verify`). Without it the result is 'unknown key'." };
        var manifest = new Option<string?>("--manifest") { Description = "Its manifest (default: as `dock verify` finds it)." };
        var json = CliOptions.Json();
        var command = new Command("prove", "Prove which fleet configuration the camera ran when it recorded a clip: the clip and its custody proof, the " +
            "recorder's signature over the profile it recorded under, that bundle's entry in the signed bundle log (with its inclusion proof), the " +
            "bundle and its profile. Exit codes as `dock verify`: 0 proved, 11 bad signature, 12 unknown key, 13 bad proof, 14 malformed.")
        {
            clip, cloud, configKey, trust, manifest, json,
        };
        command.SetAction((parse, cancellationToken) => WithStore("fleet prove", parse.GetValue(cloud)!, async store =>
        {
            var key = new ConfigKey(FleetTrust.ReadKey(parse.GetValue(configKey)!), parse.GetValue(configKey)!);
            byte[]? dockKey = null;
            if (parse.GetValue(trust) is { } trustPath)
            {
                if (!File.Exists(trustPath) || new FileInfo(trustPath).Length > 4096
                    || !Dock.Evidence.ClipVerifier.TryReadPublicKeyPem(await File.ReadAllTextAsync(trustPath, cancellationToken), out var k))
                    return ExitCodes.UsageError("fleet prove", $"--trust {trustPath} is not an Ed25519 public key in PEM form.");
                dockKey = k;
            }
            var clipPath = parse.GetValue(clip)!;
            var report = await FleetProof.ProveAsync(clipPath, parse.GetValue(manifest) ?? Dock.Evidence.ClipVerifier.DefaultManifestPath(clipPath), dockKey, key, store,
                cancellationToken);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { outcome = report.Outcome.ToString(), exitCode = (int)report.Outcome, report.Steps, report.Timeline },
                    StatusCommand.Json));
            else Dock.Evidence.ReportText.Write(report, Console.Out);
            return (int)report.Outcome;
        }, cancellationToken));
        return command;
    }

    private static Command Status()
    {
        var cloud = CloudOption();
        var trust = TrustOption("The agency key (PEM): count only docks it endorsed, and check the bundle's signature.");
        var json = CliOptions.Json();
        var command = new Command("status", "The fleet from the object store: the rollout's progress, each dock's version and state, failures, docks " +
            $"silent for more than {FleetView.SilentAfterIntervals} of their status intervals, and status objects that do not verify.")
        {
            cloud, trust, json,
        };
        command.SetAction((parse, cancellationToken) => WithStore("fleet status", parse.GetValue(cloud)!, async store =>
        {
            var agency = parse.GetValue(trust) is { } pem ? FleetTrust.ReadKey(pem) : null;
            var report = await FleetView.ReadAsync(store, agency, TimeProvider.System, cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    at = report.At, pointer = report.Pointer, progress = report.Progress,
                    docks = report.Docks, silent = report.Silent, rejected = report.Rejected,
                }, JsonOptions));
                return ExitCodes.Ok;
            }
            if (report.Pointer is { } p && report.Progress is { } g)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"rollout: version {p.Version}, step {p.Step + 1} of {p.Steps} ({g.StepCohort}) since {p.StepAt:u}: {g.Applied} applied, {g.Pending} pending, " +
                    $"{g.Failed} failed of {g.Covered} docks reached ({g.FailureRate * 100:0.#}% failed; the plan halts above {g.Threshold * 100:0.#}%)"));
            }
            else Console.WriteLine("rollout: nothing published under this prefix");
            Console.WriteLine($"docks: {report.Docks.Count} reporting, {report.Silent} silent, {report.Rejected.Count} status objects rejected");
            var table = new TextTable("DOCK", "SITE", "VERSION", "STATE", "LAST SEEN", "RECORDERS", "ALERTS", "NOTE");
            foreach (var d in report.Docks)
                table.Add(d.DockId, d.Site ?? "-", d.Version?.ToString(CultureInfo.InvariantCulture) ?? "-", d.State,
                    d.LastSeen.ToString("u", CultureInfo.InvariantCulture) + (d.Silent ? " SILENT" : ""), d.Recorders.ToString(CultureInfo.InvariantCulture),
                    d.OpenAlerts.ToString(CultureInfo.InvariantCulture),
                    d.Reason ?? (d.Overrides.Count > 0 ? "local overrides: " + string.Join(", ", d.Overrides) : ""));
            Console.Write(table.ToString());
            foreach (var r in report.Rejected) Console.WriteLine($"rejected {r.Key}: {r.Problem}");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static Command Rollout()
    {
        var cloud = CloudOption();
        var trust = TrustOption("The agency key (PEM): judge only docks it endorsed.");
        var allowPending = new Option<bool>("--allow-pending") { Description = "Move on although some docks of the step have not applied the version yet." };
        var advance = new Command("advance", "Move the rollout pointer to the plan's next step: refused (exit 1) when the current step's failure rate is above " +
            "the plan's threshold, or docks of the step have not applied it yet. Safe to run from cron or CI.")
        {
            cloud, trust, allowPending,
        };
        advance.SetAction((parse, cancellationToken) => WithStore("fleet rollout advance", parse.GetValue(cloud)!, async store =>
        {
            var agency = parse.GetValue(trust) is { } pem ? FleetTrust.ReadKey(pem) : null;
            var (moved, refusal, _) = await FleetView.AdvanceAsync(store, agency, DataFolder.Actor, parse.GetValue(allowPending), TimeProvider.System, cancellationToken);
            if (moved is null)
            {
                await Console.Error.WriteLineAsync($"dock fleet rollout advance: not advanced: {refusal}.");
                return ExitCodes.Failed;
            }
            Console.WriteLine($"advanced version {moved.Version} to step {moved.Step + 1} of {moved.Steps} ({moved.History[^1].Judged}).");
            return ExitCodes.Ok;
        }, cancellationToken));
        return new Command("rollout", "Staged rollout of the published bundle.") { advance };
    }

    /// <summary>Opens the store a --cloud URI names (relative file: folders from the working directory) and runs <paramref name="action"/>;
    /// a refused bundle, a store problem or a bad URI is one line and exit 2.</summary>
    private static async Task<int> WithStore(string command, string uri, Func<FleetStore, Task<int>> action, CancellationToken cancellationToken)
    {
        if (!CloudTargetUri.TryParse(uri, out var parsed, out var error) || parsed.Kind == CloudKind.None)
            return ExitCodes.UsageError(command, $"--cloud {(parsed?.Kind == CloudKind.None ? "cannot be 'none'" : error)}");
        try
        {
            if (parsed.Kind == CloudKind.File && !Directory.Exists(Path.GetFullPath(parsed.Container)))
                return ExitCodes.UsageError(command, $"--cloud {uri}: the folder {Path.GetFullPath(parsed.Container)} does not exist.");
            await using var target = CloudTargets.Create(parsed, Environment.CurrentDirectory)!;
            cancellationToken.ThrowIfCancellationRequested();
            return await action(new FleetStore(target, parsed.Prefix));
        }
        catch (FleetBundleException ex)
        {
            return ExitCodes.UsageError(command, $"refused ({ex.Reason}): {ex.Message}");
        }
        catch (CloudException ex)
        {
            return ExitCodes.UsageError(command, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or KeyPassphraseException)
        {
            return ExitCodes.UsageError(command, ex.Message);
        }
    }
}
