using Dock.Evidence;
using System.CommandLine;
using System.Text.Json;
using Dock.Service.Custody;

namespace Dock.Service.Cli;

/// <summary><c>dock verify CLIP [--manifest M] [--trust KEY.pem] [--json]</c>, or <c>dock verify --bundle DIR --trust KEY.pem</c> for a case
/// file export: no catalog, no network.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var clip = new Argument<string?>("clip") { Description = "The clip file.", Arity = ArgumentArity.ZeroOrOne };
        var bundle = new Option<string?>("--bundle") { Description = "A case file export (`dock export --case`): check every clip, entry, proof and the report in it." };
        var manifest = new Option<string?>("--manifest") { Description = "Its manifest (default: for ROOT/clips/PATH, ROOT/manifests/PATH.manifest.json as in the vault and the cloud; else CLIP.manifest.json. The signature is MANIFEST.sig)." };
        var trust = new Option<string?>("--trust") { Description = "The dock's public key, PEM (from `dock keys export --public`). Without it the result is 'unknown key'." };
        var json = CliOptions.Json();
        var command = new Command("verify", "Prove a clip is exactly what was stored: its hash, the dock's signature, the custody log proof. " +
            "Exit codes: 0 verified, 10 hash mismatch, 11 bad signature, 12 unknown key, 13 bad proof, 14 malformed input, 2 usage.")
        {
            clip, manifest, trust, bundle, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var clipPath = parse.GetValue(clip);
            var bundlePath = parse.GetValue(bundle);
            if ((clipPath is null) == (bundlePath is null))
                return ExitCodes.UsageError("verify", "give a clip file, or --bundle DIR for a case file export (one of them).");
            byte[]? trusted = null;
            if (parse.GetValue(trust) is { } trustPath)
            {
                if (!File.Exists(trustPath) || new FileInfo(trustPath).Length > 4096
                    || !ClipVerifier.TryReadPublicKeyPem(await File.ReadAllTextAsync(trustPath, cancellationToken), out var key))
                {
                    await Console.Error.WriteLineAsync($"dock verify: --trust {trustPath} is not an Ed25519 public key in PEM form.");
                    return ExitCodes.Usage;
                }
                trusted = key;
            }
            var report = bundlePath is not null
                ? await BundleVerifier.VerifyAsync(bundlePath, trusted, cancellationToken)
                : await ClipVerifier.VerifyAsync(clipPath!, parse.GetValue(manifest) ?? ClipVerifier.DefaultManifestPath(clipPath!), trusted, cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { outcome = report.Outcome.ToString(), exitCode = (int)report.Outcome, report.Steps, report.Timeline },
                    StatusCommand.Json));
            }
            else
            {
                ReportText.Write(report, Console.Out);
            }
            return (int)report.Outcome;
        });
        return command;
    }
}
