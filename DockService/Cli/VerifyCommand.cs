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
        var data = new Option<string?>("--data") { Description = "For an encrypted vault copy: the dock's data folder, whose key opens it (default: the folder holding vault/)." };
        var bundle = new Option<string?>("--bundle") { Description = "A case file export (`dock export --case`): check every clip, entry, proof and the report in it." };
        var manifest = new Option<string?>("--manifest") { Description = "Its manifest (default: for ROOT/clips/PATH, ROOT/manifests/PATH.manifest.json as in the vault and the cloud; else CLIP.manifest.json. The signature is MANIFEST.sig)." };
        var trust = new Option<string?>("--trust") { Description = "The dock's public key, PEM (from `dock keys export --public`). Without it the result is 'unknown key'." };
        var json = CliOptions.Json();
        var command = new Command("verify", "Prove a clip is exactly what was stored: its hash, the dock's signature, the custody log proof. " +
            "Exit codes: 0 verified, 10 hash mismatch, 11 bad signature, 12 unknown key, 13 bad proof, 14 malformed input, 2 usage.")
        {
            clip, manifest, trust, bundle, data, json,
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
            Func<Stream>? open = null;
            if (clipPath is not null && File.Exists(clipPath) && Vault.Encryption.ChunkedAead.FileIdOf(clipPath) is not null)
            {
                // An encrypted vault copy: decrypted as it streams, with the data key its dock's key (or Dock:Vault:KeyFile) unwraps.
                var folder = parse.GetValue(data) ?? DataFolderOf(clipPath);
                if (folder is null) return ExitCodes.UsageError("verify", $"{clipPath} is an encrypted vault copy: give --data with its dock's data folder.");
                try
                {
                    using var key = Identity.DockKey.Load(Hosting.DataFolder.PathsFor(folder), create: false);
                    var vault = Vault.Encryption.VaultEncryption.Configure(new Vault.ClipVault(folder), Hosting.DataFolder.Options().Vault, m => key.Sign(m));
                    if (vault.EncryptedId(clipPath) is null)
                        return ExitCodes.UsageError("verify", $"{clipPath} looks encrypted but {folder} holds no data key for it.");
                    vault.Keys!.Open(Vault.Encryption.ChunkedAead.FileIdOf(clipPath)!);
                    open = () => vault.OpenRead(clipPath);
                }
                catch (Exception ex) when (ex is Identity.IdentityException or IOException or UnauthorizedAccessException)
                {
                    return ExitCodes.UsageError("verify", ex.Message);
                }
            }
            var report = bundlePath is not null
                ? await BundleVerifier.VerifyAsync(bundlePath, trusted, cancellationToken)
                : await ClipVerifier.VerifyAsync(clipPath!, parse.GetValue(manifest) ?? ClipVerifier.DefaultManifestPath(clipPath!), trusted, cancellationToken, open);
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

    /// <summary>The data folder of a file under DATA/vault/…, or null.</summary>
    private static string? DataFolderOf(string path)
    {
        for (var folder = Path.GetDirectoryName(Path.GetFullPath(path)); folder is not null; folder = Path.GetDirectoryName(folder))
            if (Path.GetFileName(folder) == "vault" && Path.GetDirectoryName(folder) is { } data) return data;
        return null;
    }
}
