using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Fleet;
using Dock.Service.Hosting;
using Dock.Service.Identity;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock fleet …</c>: fleet bundles (hardware-specs/fleet-bundle-v1.md) — write one from a dock's settings, sign it with the agency's
/// configuration key, verify it, apply it to a dock (an air-gapped site's USB stick), publish it to the object store, follow a rollout.
/// </summary>
public static partial class FleetCommand
{
    public static Command Create() => new("fleet", "Fleet configuration: signed bundles of dock settings, recorder profiles and firmware, " +
        "published through the agency's object store and applied by every dock.")
    {
        BundleCommands(), FirmwareCommands(), Apply(), Publish(), Status(), Rollout(), Prove(),
    };

    private static Command BundleCommands()
    {
        var outFile = new Option<string>("--out") { Description = "The bundle file to write.", Required = true };
        var data = CliOptions.Data();
        var version = new Option<long>("--version") { Description = "The bundle's version (only ever increases).", DefaultValueFactory = _ => 1 };
        var description = new Option<string>("--description") { Description = "What the bundle is for.", DefaultValueFactory = _ => "" };
        var create = new Command("new", "Write a valid unsigned bundle of the dock's current settings (appsettings.json, the environment, and " +
            "with --data that dock's applied bundle): cloud target, upload windows and cap, release and retention policies, categories, bays, board.")
        {
            outFile, data, version, description,
        };
        create.SetAction(parse => Guard("fleet bundle new", () =>
        {
            var options = FleetSettings.Options(parse.GetValue(data));
            var bundle = FleetBundle.Create(parse.GetValue(version), DateTimeOffset.UtcNow, parse.GetValue(description)!, CurrentSettings(options));
            var path = parse.GetValue(outFile)!;
            File.WriteAllText(path, bundle.ToJson());
            Console.WriteLine($"wrote {path}: fleet bundle version {bundle.Version}, unsigned. Edit it, then `dock fleet bundle sign {path} --agency-key KEY`.");
            return ExitCodes.Ok;
        }));

        var file = new Argument<string>("FILE") { Description = "The bundle file." };
        var agencyKey = new Option<string>("--agency-key") { Description = "The agency's configuration key (Ed25519, PKCS#8 PEM; dock-sim's dock-sim-agency.key works).", Required = true };
        var sign = new Command("sign", "Sign a bundle in place: FILE becomes a C2SP signed note (the purpose line dock-fleet-bundle/v1, the JSON, the signature). " +
            "Signing a signed bundle again with another key adds a signature.") { file, agencyKey };
        sign.SetAction(parse => Guard("fleet bundle sign", () =>
        {
            var path = parse.GetValue(file)!;
            var text = ReadBundleFile(path);
            using var key = KeyFile.Load(parse.GetValue(agencyKey)!, Environment.GetEnvironmentVariable("DOCK_AGENCY_KEY_PASSPHRASE"));
            var note = BundleNote.Sign(text, key);
            FleetFiles.WriteDurably(Path.GetFullPath(path), note);
            var bundle = BundleNote.Peek(note);
            Console.WriteLine($"signed {path}: fleet bundle version {bundle.Version}, sha256 {BundleNote.HashOf(note)}, by {new ConfigKey(key.PublicKey, "").Id}");
            return ExitCodes.Ok;
        }));

        var file2 = new Argument<string>("FILE") { Description = "The signed bundle." };
        var trust = new Option<string>("--trust") { Description = "The configuration key to check it against: an Ed25519 public key PEM (or the private key file).", Required = true };
        var json = CliOptions.Json();
        var verify = new Command("verify", "Check a signed bundle: its signature by the trusted key, its schema and rollout plan. Exit 0 valid, 2 refused (with why).")
        {
            file2, trust, json,
        };
        verify.SetAction(parse => Guard("fleet bundle verify", () =>
        {
            var key = new ConfigKey(FleetTrust.ReadKey(parse.GetValue(trust)!), parse.GetValue(trust)!);
            var opened = BundleNote.Open(ReadBundleFile(parse.GetValue(file2)!), [key]);
            var b = opened.Bundle;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    valid = true, version = b.Version, sha256 = opened.Sha256, signedBy = opened.SignedBy.Id, created = b.Created,
                    recorderProfiles = b.RecorderProfiles.Select(p => new { p.Model, p.Sha256 }),
                    firmware = b.Firmware, rollout = new { cohorts = b.Rollout.Cohorts.ToString().ToLowerInvariant(), steps = b.Rollout.Steps.Select(s => s.ToString()), b.Rollout.FailureThreshold },
                }, JsonOptions));
            }
            else
            {
                Console.WriteLine($"valid: fleet bundle version {b.Version}, sha256 {opened.Sha256}, signed by {opened.SignedBy.Id}");
                Console.WriteLine($"  created {b.Created:u}{(b.Description is { Length: > 0 } d ? $": {d}" : "")}");
                Console.WriteLine($"  recorder profiles: {(b.RecorderProfiles.Count == 0 ? "none" : string.Join(", ", b.RecorderProfiles.Select(p => $"{p.Model} ({p.Sha256[..12]}…)")))}");
                Console.WriteLine($"  firmware: {(b.Firmware.Count == 0 ? "none" : string.Join(", ", b.Firmware.Select(f => $"{f.Model} {f.Version}")))}");
                Console.WriteLine($"  rollout: by {b.Rollout.Cohorts.ToString().ToLowerInvariant()}, steps {string.Join(" → ", b.Rollout.Steps)}, " +
                    $"halt above {(b.Rollout.FailureThreshold * 100).ToString("0.#", CultureInfo.InvariantCulture)}% failures");
            }
            return ExitCodes.Ok;
        }));
        return new Command("bundle", "Write, sign and verify fleet bundles.") { create, sign, verify };
    }

    private static Command Apply()
    {
        var file = new Argument<string>("FILE") { Description = "The signed bundle (e.g. from a USB stick at an air-gapped site)." };
        var data = CliOptions.Data();
        var command = new Command("apply", "Apply a signed bundle to this dock: exit 0 applied (or already applied), 2 refused with the reason " +
            "(unsigned, unknown key, bad signature, version not higher, schema). A running dock takes the new settings within its poll interval.")
        {
            file, data,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var dataDirectory = parse.GetValue(data);
                var text = ReadBundleFile(parse.GetValue(file)!);
                using var folder = await DataFolder.OpenAsync(dataDirectory, cancellationToken, createCatalog: true);
                var options = FleetSettings.Options(folder.Paths.DataDirectory);
                var fleet = new FleetConfiguration(folder.Catalog.Database, folder.Log, folder.Catalog.Alerts, folder.Paths.DataDirectory);
                var (outcome, applied) = await fleet.ApplyAsync(text, FleetTrust.Keys(folder.Paths, options.Fleet), folder.DockId, options.Fleet.Site,
                    settings => FleetSettings.Validate(folder.Paths.DataDirectory, settings), "file:" + Path.GetFullPath(parse.GetValue(file)!),
                    DataFolder.Actor, cancellationToken);
                Console.WriteLine(outcome == ApplyOutcome.AlreadyApplied
                    ? $"fleet bundle version {applied.Version} is already applied here (custody entry {applied.CustodyIndex})."
                    : $"applied fleet bundle version {applied.Version} (sha256 {applied.Sha256}, signed by {applied.SignedBy}): custody entry {applied.CustodyIndex}.");
                // An air-gapped site brings the images on the same stick: firmware/SHA256.bin beside the bundle.
                var firmware = BundleNote.Peek(text).Firmware;
                if (firmware.Count > 0)
                {
                    var missing = await new FirmwareImages(folder.Paths.DataDirectory).ImportAsync(FirmwareImages.BesideBundle(parse.GetValue(file)!), firmware, cancellationToken);
                    Console.WriteLine($"  firmware images: {firmware.Count - missing.Count} of {firmware.Count} held" +
                        (missing.Count == 0 ? "" : $"; not held (recorders keep their firmware until they are): {string.Join("; ", missing)}"));
                }
                return ExitCodes.Ok;
            }
            catch (FleetBundleException ex)
            {
                return ExitCodes.UsageError("fleet apply", $"refused ({ex.Reason}): {ex.Message}");
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                return ExitCodes.UsageError("fleet apply", ex.Message);
            }
        });
        return command;
    }

    /// <summary>The dock settings a bundle carries, as this dock has them now.</summary>
    private static JsonObject CurrentSettings(DockOptions options)
    {
        static string Span(TimeSpan t) => t.ToString("c", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["cloud"] = new JsonObject
            {
                ["target"] = options.Cloud.Target,
                ["maxMBps"] = options.Cloud.MaxMBps,
                ["maxConcurrentUploads"] = options.Cloud.MaxConcurrentUploads,
                ["blackout"] = new JsonArray([.. options.Cloud.Blackout.Select(b => JsonValue.Create(b))]),
                ["pendingAlertAfter"] = Span(options.Cloud.PendingAlertAfter),
            },
            ["releasePolicy"] = options.ReleasePolicy.ToString(),
            ["retention"] = new JsonObject
            {
                ["enabled"] = options.Retention.Enabled,
                ["uncategorised"] = Span(options.Retention.Uncategorised),
                ["purgeInterval"] = Span(options.Retention.PurgeInterval),
                ["alertWhenFreeBelow"] = options.Retention.AlertWhenFreeBelow.Bytes,
                ["purgeWhenFreeBelow"] = options.Retention.PurgeWhenFreeBelow.Bytes,
            },
            ["metadata"] = new JsonObject
            {
                ["categories"] = new JsonArray([.. options.Metadata.EffectiveCategories.Select(c => new JsonObject
                {
                    ["id"] = c.Id, ["name"] = c.Name, ["nameZh"] = c.NameZh, ["retention"] = Span(c.Retention),
                })]),
            },
            ["bays"] = new JsonArray([.. options.Bays.Select(b =>
            {
                var bay = new JsonObject { ["id"] = b.Id };
                if (b.Endpoint.Length > 0) bay["endpoint"] = b.Endpoint;
                if (b.UsbPort is { } port) bay["usbPort"] = port;
                bay["driver"] = b.Driver.ToString();
                if (b.Volume is { } volume) bay["volume"] = volume;
                return bay;
            })]),
            ["board"] = new JsonObject
            {
                ["driver"] = options.Board.Driver.ToString(),
                ["gpioChip"] = options.Board.GpioChip,
                ["activeLow"] = options.Board.ActiveLow,
                ["bays"] = new JsonArray([.. options.Board.Bays.Select(p => new JsonObject
                {
                    ["bayId"] = p.BayId, ["redPin"] = p.RedPin, ["greenPin"] = p.GreenPin, ["bluePin"] = p.BluePin, ["chargePin"] = p.ChargePin,
                })]),
            },
        };
    }

    private static readonly JsonSerializerOptions JsonOptions = new(FleetBundle.Written) { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>A bundle file, bounded: a file far larger than any bundle is refused before it is read.</summary>
    private static string ReadBundleFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path} does not exist.", path);
        if (info.Length > FleetBundle.MaxBytes) throw new FleetBundleException(BundleRefusal.Malformed, $"{path} is {info.Length} bytes: larger than any bundle ({FleetBundle.MaxBytes / 1024} KiB)");
        return File.ReadAllText(path);
    }

    /// <summary>Runs a synchronous subcommand: a refused bundle and a file problem each get one line and exit 2.</summary>
    private static Task<int> Guard(string command, Func<int> action)
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (FleetBundleException ex)
        {
            return Task.FromResult(ExitCodes.UsageError(command, $"refused ({ex.Reason}): {ex.Message}"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or KeyPassphraseException)
        {
            return Task.FromResult(ExitCodes.UsageError(command, ex.Message));
        }
    }
}
