using System.CommandLine;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Hosting;
using Dock.Service.Identity;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock keys show|export|endorse|seal|unseal|rotate</c>: the dock's identity key, its endorsement
/// by the agency, its passphrase sealing, and its rotation (recorded in the custody log).
/// </summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var keys = new Command("keys", "The dock's Ed25519 identity key: show, export, endorse, seal with a passphrase, rotate.");

        var data = CliOptions.Data();
        var show = new Command("show", "Print the dock id and public key (created on first use), whether it is sealed and endorsed.") { data };
        show.SetAction(parse => Run(() =>
        {
            var paths = DataFolder.PathsFor(parse.GetValue(data));
            using var key = DockKey.Load(paths, create: true);
            var dockId = DockIdentity.DockIdFor(paths, key.PublicKey);
            Console.WriteLine($"dock id:     {dockId}");
            Console.WriteLine($"public key:  {Convert.ToHexStringLower(key.PublicKey)}");
            Console.WriteLine($"fingerprint: {Ed25519Key.Fingerprint(key.PublicKey)}");
            Console.WriteLine($"key file:    {paths.KeyFile} ({(KeyFile.IsSealed(paths.KeyFile) ? "sealed with a passphrase" : "not sealed, mode 0600")})");
            string endorsed;
            try
            {
                var endorsements = DockEndorsement.Read(paths.EndorsementFile, dockId, key.PublicKey);
                endorsed = $"yes, {endorsements.Describe(DateTimeOffset.UtcNow)} ({paths.EndorsementFile})";
            }
            catch (IdentityException ex)
            {
                endorsed = $"no: {ex.Message}";
            }
            Console.WriteLine($"endorsed:    {endorsed}");
            Console.Write(Ed25519Key.PublicKeyPem(key.PublicKey));
            return Task.FromResult(ExitCodes.Ok);
        }));

        var data2 = CliOptions.Data();
        var agencyKey = new Option<string>("--agency-key") { Description = "The agency's Ed25519 private key (PKCS#8 PEM).", Required = true };
        var dockIdOption = new Option<string?>("--dock-id") { Description = "The dock id to endorse (default: the dock's id)." };
        var validDays = new Option<int>("--valid-days")
        {
            Description = $"Days the expiring (DockLink v1.1) endorsement holds, 1..{DockEndorsement.MaxValidDays}. An agency revokes a dock by not " +
                "renewing it; a running dock reads a renewed file within the hour.",
            DefaultValueFactory = _ => 365,
        };
        validDays.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > DockEndorsement.MaxValidDays)
                result.AddError($"--valid-days must be 1..{DockEndorsement.MaxValidDays}.");
        });
        var expiringOnly = new Option<bool>("--expiring-only")
        {
            Description = "Leave out the v1 endorsement, which never expires: recorders that offer only v1 authentication then refuse this dock.",
        };
        var endorse = new Command("endorse", "Endorse this dock's key with an agency key, so recorders trusting that agency talk to it.")
        {
            data2, agencyKey, dockIdOption, validDays, expiringOnly,
        };
        endorse.SetAction(parse => Run(() =>
        {
            var paths = DataFolder.PathsFor(parse.GetValue(data2));
            using var agency = LoadOther(parse.GetValue(agencyKey)!, "agency key");
            using var key = DockKey.Load(paths, create: true);
            var dockId = parse.GetValue(dockIdOption) ?? DockIdentity.DockIdFor(paths, key.PublicKey);
            var now = DateTimeOffset.UtcNow;
            DockEndorsement.Write(paths.EndorsementFile, agency, dockId, key.PublicKey, now.AddDays(parse.GetValue(validDays)),
                includeV1: !parse.GetValue(expiringOnly));
            var written = DockEndorsement.Read(paths.EndorsementFile, dockId, key.PublicKey);
            Console.WriteLine($"Endorsed dock {dockId} (key {Ed25519Key.Fingerprint(key.PublicKey)}) by agency key " +
                $"{Ed25519Key.Fingerprint(agency.PublicKey)}: {written.Describe(now)}. {paths.EndorsementFile}");
            return Task.FromResult(ExitCodes.Ok);
        }));

        var data3 = CliOptions.Data();
        var publicOnly = new Option<bool>("--public") { Description = "Export the public key (the only export there is).", Required = true };
        var export = new Command("export", "Print the dock's public key as PKIX PEM, for `dock verify --trust` and OpenSSL.") { data3, publicOnly };
        export.SetAction(parse => Run(() =>
        {
            using var key = DockKey.Load(DataFolder.PathsFor(parse.GetValue(data3)), create: false);
            Console.Write(Ed25519Key.PublicKeyPem(key.PublicKey));
            return Task.FromResult(ExitCodes.Ok);
        }));

        var data4 = CliOptions.Data();
        var newPassphrase = new Option<string>("--passphrase-file") { Description = "A file holding the new passphrase (first line).", Required = true };
        var seal = new Command("seal", $"Seal the dock key with a passphrase (Argon2id + XChaCha20-Poly1305), or change it. The current one, if sealed, " +
            $"comes from {DockKey.PassphraseFileVariable} or {DockKey.PassphraseVariable}.") { data4, newPassphrase };
        seal.SetAction(parse => Run(() =>
        {
            var paths = DataFolder.PathsFor(parse.GetValue(data4));
            var replacement = DockKey.Passphrase(paths with { PassphraseFile = Path.GetFullPath(parse.GetValue(newPassphrase)!) })!;
            using (DockKey.Load(paths, create: true)) { } // The current key opens (and exists) before anything is rewritten.
            KeyFile.Reseal(paths.KeyFile, DockKey.Passphrase(paths), replacement);
            Console.WriteLine($"Sealed {paths.KeyFile}. The dock now needs the passphrase at start: Dock:Identity:PassphraseFile, " +
                $"{DockKey.PassphraseFileVariable} or {DockKey.PassphraseVariable}.");
            return Task.FromResult(ExitCodes.Ok);
        }));

        var data5 = CliOptions.Data();
        var unseal = new Command("unseal", $"Store the dock key without a passphrase again (mode 0600). The passphrase comes from {DockKey.PassphraseFileVariable} or {DockKey.PassphraseVariable}.")
        {
            data5,
        };
        unseal.SetAction(parse => Run(() =>
        {
            var paths = DataFolder.PathsFor(parse.GetValue(data5));
            if (!KeyFile.IsSealed(paths.KeyFile)) return Task.FromResult(ExitCodes.UsageError("keys", $"{paths.KeyFile} is not sealed."));
            var passphrase = DockKey.Passphrase(paths) ?? throw new IdentityException(
                $"{paths.KeyFile} is sealed: give its passphrase in {DockKey.PassphraseFileVariable} or {DockKey.PassphraseVariable}.");
            using (DockKey.Load(paths, create: false)) { }
            KeyFile.Unseal(paths.KeyFile, passphrase);
            Console.WriteLine($"Unsealed {paths.KeyFile} (mode 0600).");
            return Task.FromResult(ExitCodes.Ok);
        }));

        var data6 = CliOptions.Data();
        var reason = CliOptions.Reason("Why (recorded in the custody log): scheduled, suspected compromise, …");
        var rotate = new Command("rotate", "Replace the dock key. Stop the dock first. The old key signs a last checkpoint over the rotation event, " +
            "the new key signs the same tree; the dock id stays. Then endorse the new key.") { data6, reason };
        rotate.SetAction(parse => Run(async () =>
        {
            var why = parse.GetValue(reason)!;
            var (dockId, oldFingerprint, newFingerprint) = await DockKeyRotation.RotateAsync(parse.GetValue(data6), why, DataFolder.Actor, CancellationToken.None);
            Console.WriteLine($"Dock {dockId}: key {oldFingerprint} replaced by {newFingerprint}; recorded in the custody log and checkpointed by both keys.");
            Console.WriteLine("Recorders will refuse this dock until the new key is endorsed: dock keys endorse --agency-key AGENCY.key");
            return ExitCodes.Ok;
        }));

        keys.Subcommands.Add(show);
        keys.Subcommands.Add(export);
        keys.Subcommands.Add(endorse);
        keys.Subcommands.Add(seal);
        keys.Subcommands.Add(unseal);
        keys.Subcommands.Add(rotate);
        return keys;
    }

    private static Ed25519Key LoadOther(string path, string what)
    {
        try
        {
            return KeyFile.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or KeyPassphraseException)
        {
            throw new IdentityException($"The {what} cannot be used: {ex.Message}", ex);
        }
    }

    private static async Task<int> Run(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is IdentityException or StorageException or IOException or UnauthorizedAccessException or ArgumentException
            or DataFolderInUseException)
        {
            return ExitCodes.UsageError("keys", ex.Message);
        }
    }

}
