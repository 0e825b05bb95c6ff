using System.CommandLine;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Vault.Encryption;

namespace Dock.Service.Cli;

/// <summary><c>dock vault rekey --to-key-file F [--only]</c>: rotates the key-encryption key of the encrypted vault by rewrapping each clip's
/// data key (small files under vault/keys/), never re-encrypting a clip. First add the new key's wrap, point Dock:Vault:KeyFile at it,
/// then run again with --only to drop the old wraps.</summary>
public static class VaultCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var keyFile = new Option<string>("--to-key-file") { Description = "The new key-encryption key: 32 random bytes, raw or base64 (openssl rand -base64 32).", Required = true };
        var only = new Option<bool>("--only") { Description = "Keep only the new key's wraps (once Dock:Vault:KeyFile names it): the old key no longer opens anything." };
        var rekey = new Command("rekey", "Rewrap every encrypted clip's data key under a new key-encryption key (the clips are not re-encrypted).") { data, keyFile, only };
        rekey.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                var keys = folder.Vault().Keys!;
                var next = KeyEncryptionKey.FromFile(Path.GetFullPath(parse.GetValue(keyFile)!));
                int added = keys.AddWrap(next);
                Console.WriteLine($"{added} data key(s) wrapped under {next.Id} ({next.Source}) as well.");
                if (parse.GetValue(only))
                {
                    var vault = new Vault.ClipVault(folder.Paths.DataDirectory) { Keys = new VaultKeys(Path.Combine(folder.Paths.DataDirectory, "vault"), [next]) };
                    int kept = vault.Keys.KeepOnly(next);
                    Console.WriteLine($"{kept} data key(s) now open with {next.Id} alone. Dock:Vault:KeyFile must name that file from now on.");
                }
                else Console.WriteLine("Point Dock:Vault:KeyFile at the new file, then run again with --only to drop the old wraps.");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("vault rekey", ex.Message);
            }
        });
        return new Command("vault", "The vault's encryption at rest.") { rekey };
    }
}
