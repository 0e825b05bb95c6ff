using System.CommandLine;
using Dock.Crypto.Keys;
using Dock.Service.Configuration;
using Dock.Service.Identity;

namespace Dock.Service.Cli;

/// <summary><c>dock keys show</c> and <c>dock keys endorse</c>: the dock's identity and its agency endorsement.</summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var keys = new Command("keys", "The dock's Ed25519 identity key and its endorsement by the agency.");

        var data = CliOptions.Data();
        var show = new Command("show", "Print the dock id and public key (created on first use), and whether it is endorsed.") { data };
        show.SetAction(parse =>
        {
            var paths = PathsFor(parse.GetValue(data));
            try
            {
                using var key = KeyFile.LoadOrCreate(paths.KeyFile);
                var dockId = DockIdentity.DefaultDockId(key.PublicKey);
                Console.WriteLine($"dock id:     {dockId}");
                Console.WriteLine($"public key:  {Convert.ToHexStringLower(key.PublicKey)}");
                Console.WriteLine($"fingerprint: {Ed25519Key.Fingerprint(key.PublicKey)}");
                Console.WriteLine($"key file:    {paths.KeyFile}");
                string endorsed;
                try
                {
                    DockEndorsement.Read(paths.EndorsementFile, dockId, key.PublicKey);
                    endorsed = $"yes ({paths.EndorsementFile})";
                }
                catch (IdentityException ex)
                {
                    endorsed = $"no: {ex.Message}";
                }
                Console.WriteLine($"endorsed:    {endorsed}");
                Console.Write(Ed25519Key.PublicKeyPem(key.PublicKey));
                return ExitCodes.Ok;
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"dock: {ex.Message}");
                return ExitCodes.Usage;
            }
        });

        var data2 = CliOptions.Data();
        var agencyKey = new Option<string>("--agency-key") { Description = "The agency's Ed25519 private key (PKCS#8 PEM).", Required = true };
        var dockIdOption = new Option<string?>("--dock-id") { Description = "The dock id to endorse (default: derived from the dock key)." };
        var endorse = new Command("endorse", "Endorse this dock's key with an agency key, so recorders trusting that agency talk to it.")
        {
            data2, agencyKey, dockIdOption,
        };
        endorse.SetAction(parse =>
        {
            var paths = PathsFor(parse.GetValue(data2));
            try
            {
                using var agency = KeyFile.Load(parse.GetValue(agencyKey)!);
                using var key = KeyFile.LoadOrCreate(paths.KeyFile);
                var dockId = parse.GetValue(dockIdOption) ?? DockIdentity.DefaultDockId(key.PublicKey);
                DockEndorsement.Write(paths.EndorsementFile, agency, dockId, key.PublicKey);
                Console.WriteLine($"Endorsed dock {dockId} (key {Ed25519Key.Fingerprint(key.PublicKey)}) by agency key " +
                    $"{Ed25519Key.Fingerprint(agency.PublicKey)}: {paths.EndorsementFile}");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or ArgumentException)
            {
                Console.Error.WriteLine($"dock: {ex.Message}");
                return ExitCodes.Usage;
            }
        });

        var data3 = CliOptions.Data();
        var publicOnly = new Option<bool>("--public") { Description = "Export the public key (the only export there is).", Required = true };
        var export = new Command("export", "Print the dock's public key as PKIX PEM, for `dock verify --trust` and OpenSSL.") { data3, publicOnly };
        export.SetAction(parse =>
        {
            var paths = PathsFor(parse.GetValue(data3));
            if (!File.Exists(paths.KeyFile))
            {
                Console.Error.WriteLine($"dock: no dock key at {paths.KeyFile}. Pass --data with a dock's data folder.");
                return ExitCodes.Usage;
            }
            try
            {
                using var key = KeyFile.Load(paths.KeyFile);
                Console.Write(Ed25519Key.PublicKeyPem(key.PublicKey));
                return ExitCodes.Ok;
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"dock: {ex.Message}");
                return ExitCodes.Usage;
            }
        });

        keys.Subcommands.Add(show);
        keys.Subcommands.Add(export);
        keys.Subcommands.Add(endorse);
        return keys;
    }

    private static DockPaths PathsFor(string? data) =>
        DockPaths.From(new DockOptions { DataDirectory = data ?? new DockOptions().DataDirectory });
}
