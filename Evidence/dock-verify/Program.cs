using System.CommandLine;
using Dock.Evidence;

namespace Dock.Evidence.Cli;

/// <summary>
/// dock-verify: a court's or an auditor's verifier, on its own (no dock, no catalog, no network). `dock-verify CLIP --trust dock.pem`
/// proves a clip; `dock-verify --bundle DIR --trust dock.pem` a case file export; `dock-verify log EXPORT --trust dock.pem` a whole custody log export. Same checks and exit codes as `dock verify`
/// and `dock log verify`: 0 verified, 10 hash mismatch, 11 bad signature, 12 unknown key, 13 bad proof, 14 malformed, 2 usage.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var clip = new Argument<string?>("clip") { Description = "The clip file.", Arity = ArgumentArity.ZeroOrOne };
        var bundle = new Option<string?>("--bundle") { Description = "A case file export (`dock export --case`): every clip, entry, proof and the report." };
        var manifest = new Option<string?>("--manifest") { Description = "Its manifest (default: as the vault and the cloud lay it out beside the clip)." };
        var trust = new Option<string?>("--trust") { Description = "The dock's public key, PEM. Without it the result is 'unknown key'." };
        var root = new RootCommand("Verify body-worn-camera evidence from a Dock: a clip with its signed manifest, or a custody log export.")
        {
            clip, manifest, trust, bundle,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            if (await TrustedAsync(parse.GetValue(trust), cancellationToken) is not { } key) return 2;
            var path = parse.GetValue(clip);
            var bundlePath = parse.GetValue(bundle);
            if ((path is null) == (bundlePath is null))
            {
                await Console.Error.WriteLineAsync("dock-verify: give a clip file, or --bundle DIR for a case file export (one of them).");
                return 2;
            }
            var report = bundlePath is not null
                ? await BundleVerifier.VerifyAsync(bundlePath, key.Length == 0 ? null : key, cancellationToken)
                : await ClipVerifier.VerifyAsync(path!, parse.GetValue(manifest) ?? ClipVerifier.DefaultManifestPath(path!), key.Length == 0 ? null : key,
                    cancellationToken);
            ReportText.Write(report, Console.Out);
            return (int)report.Outcome;
        });

        var export = new Argument<string>("export") { Description = "A folder written by `dock log export`." };
        var logTrust = new Option<string?>("--trust") { Description = "The dock's public key, PEM (default: the export's own dock.pem, which proves less)." };
        var log = new Command("log", "Verify a custody log export: every entry, every checkpoint's signature and tree.") { export, logTrust };
        log.SetAction(async (parse, cancellationToken) =>
        {
            if (await TrustedAsync(parse.GetValue(logTrust), cancellationToken) is not { } key) return 2;
            try
            {
                var (entries, notes, shipped) = await LogExport.ReadAsync(parse.GetValue(export)!, cancellationToken);
                var keys = key.Length > 0 ? [key] : shipped is not null ? new List<byte[]> { shipped } : [];
                var report = LogVerifier.Verify(entries, notes, keys, keysTrusted: key.Length > 0);
                ReportText.Write(report, Console.Out);
                return (int)report.Outcome;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                await Console.Error.WriteLineAsync($"dock-verify log: {ex.Message}");
                return 2;
            }
        });
        root.Subcommands.Add(log);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await Console.Error.WriteLineAsync($"dock-verify: {error.Message}");
            return 2;
        }
        return await parsed.InvokeAsync();
    }

    /// <summary>The trusted key (empty when none was given), or null after saying why the file is not one.</summary>
    private static async Task<byte[]?> TrustedAsync(string? path, CancellationToken cancellationToken)
    {
        if (path is null) return [];
        if (File.Exists(path) && new FileInfo(path).Length <= 4096
            && ClipVerifier.TryReadPublicKeyPem(await File.ReadAllTextAsync(path, cancellationToken), out var key))
            return key;
        await Console.Error.WriteLineAsync($"dock-verify: --trust {path} is not an Ed25519 public key in PEM form.");
        return null;
    }
}
