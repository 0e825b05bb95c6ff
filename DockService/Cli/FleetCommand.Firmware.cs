using System.CommandLine;
using System.Text.Json.Nodes;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Service.Fleet;

namespace Dock.Service.Cli;

/// <summary><c>dock fleet firmware add</c>: puts a recorder firmware image into an (unsigned) bundle, signed for the recorders.</summary>
public static partial class FleetCommand
{
    private static Command FirmwareCommands()
    {
        var file = new Argument<string>("FILE") { Description = "The bundle file (unsigned: add images before `dock fleet bundle sign`)." };
        var image = new Option<string>("--image") { Description = "The firmware image file.", Required = true };
        var model = new Option<string>("--model") { Description = "The recorder model it is for (as the recorder's INFO gives it).", Required = true };
        var version = new Option<string>("--version") { Description = "The image's version (as the recorder will report it once it runs it).", Required = true };
        var agencyKey = new Option<string>("--agency-key")
        {
            Description = "The agency key the recorders trust (Ed25519, PKCS#8 PEM): it signs the image for them (docklink-v1.md §7.6).", Required = true,
        };
        var battery = new Option<int>("--min-battery")
        {
            Description = "The battery a camera needs before the image is sent (%).", DefaultValueFactory = _ => FirmwareImage.DefaultMinimumBatteryPercent,
        };
        var add = new Command("add", "Add (or replace) the firmware image for a recorder model in a bundle: its SHA-256, size and the agency's signature go " +
            "into the bundle, and the image is copied to firmware/SHA256.bin beside the bundle, where `dock fleet publish` and `dock fleet apply` find it.")
        {
            file, image, model, version, agencyKey, battery,
        };
        add.SetAction(parse => Guard("fleet firmware add", () =>
        {
            var path = parse.GetValue(file)!;
            var text = ReadBundleFile(path);
            if (text.StartsWith(BundleNote.PurposeLine, StringComparison.Ordinal))
                throw new FleetBundleException(BundleRefusal.Schema, $"{path} is signed already: add firmware to the unsigned bundle, then sign it");
            var bundle = FleetBundle.Parse(text);
            var imagePath = parse.GetValue(image)!;
            var info = new FileInfo(imagePath);
            if (!info.Exists) throw new FileNotFoundException($"{imagePath} does not exist.", imagePath);
            if (info.Length is 0 || (ulong)info.Length > FirmwareBegin.MaxImageBytes)
                throw new InvalidDataException($"{imagePath} is {info.Length} bytes; a firmware image is 1 … {FirmwareBegin.MaxImageBytes} bytes");
            string m = parse.GetValue(model)!, v = parse.GetValue(version)!;
            if (!MessageCodec.IsFirmwareName(m) || !MessageCodec.IsFirmwareName(v) || m.Length == 0 || v.Length == 0)
                throw new InvalidDataException($"--model and --version are 1 … {FirmwareBegin.MaxNameBytes} printable ASCII characters without spaces");
            string sha;
            using (var imageFile = File.OpenRead(imagePath))
                sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(imageFile));
            using var key = KeyFile.Load(parse.GetValue(agencyKey)!, Environment.GetEnvironmentVariable("DOCK_AGENCY_KEY_PASSPHRASE"));
            var signature = key.Sign(FirmwareSignature.Message(m, v, (ulong)info.Length, Convert.FromHexString(sha)));
            if (bundle.Root["firmware"] is not JsonArray images)
            {
                images = [];
                bundle.Root["firmware"] = images;
            }
            foreach (var old in images.OfType<JsonObject>().Where(f => f["model"]?.GetValue<string>() == m).ToList()) images.Remove(old);
            images.Add(new JsonObject
            {
                ["model"] = m, ["version"] = v, ["sha256"] = sha, ["size"] = info.Length, ["signature"] = Convert.ToHexStringLower(signature),
                ["minimumBatteryPercent"] = parse.GetValue(battery),
            });
            var json = bundle.ToJson();
            FleetBundle.Parse(json); // the schema still holds with the new entry
            var folder = FirmwareImages.BesideBundle(path);
            Directory.CreateDirectory(folder);
            var copy = Path.Combine(folder, sha + ".bin");
            if (!File.Exists(copy)) File.Copy(imagePath, copy);
            FleetFiles.WriteDurably(Path.GetFullPath(path), json);
            Console.WriteLine($"added {m} firmware {v} ({info.Length:N0} bytes, sha256 {sha}) to {path}, signed by {new ConfigKey(key.PublicKey, "").Id}; image at {copy}");
            return ExitCodes.Ok;
        }));
        return new Command("firmware", "Recorder firmware in fleet bundles.") { add };
    }
}
