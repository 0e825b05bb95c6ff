using System.CommandLine;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.Service.Catalog;
using Dock.Service.Identity;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock clips export</c>: hands a copy of a clip, with its manifest and signature, to a person (R5:
/// every retrieval is supervised). The copy is checked against the recorded hash, and the export is a
/// custody event with who, why and where.
/// </summary>
public static class ClipsCommand
{
    public static Command Create()
    {
        var clips = new Command("clips", "Clips in the vault.");
        var data = CliOptions.Data();
        var serial = new Argument<string>("serial") { Description = "The recorder's serial." };
        var clipId = new Argument<string>("clip") { Description = "The clip id." };
        var dir = new Argument<string>("dir") { Description = "Folder to copy the clip, its manifest and the manifest's signature into." };
        var reason = CliOptions.Reason("Why (recorded in the custody log), e.g. a case number.");
        var export = new Command("export", "Copy a clip with its manifest and signature out of the vault; recorded as an 'exported' custody event.")
        {
            data, serial, clipId, dir, reason,
        };
        export.SetAction(async (parse, cancellationToken) =>
        {
            var why = parse.GetValue(reason)!;
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                var row = (await folder.Catalog.ListClipsAsync(parse.GetValue(serial), cancellationToken)).FirstOrDefault(c => c.ClipId == parse.GetValue(clipId));
                if (row is null) return ExitCodes.UsageError("clips", $"no clip {parse.GetValue(clipId)} of recorder {parse.GetValue(serial)} in the catalog (see `dock status`).");
                if (row.State is not (ClipState.Verified or ClipState.Released) || row.VaultPath is null || row.ManifestPath is null)
                    return ExitCodes.UsageError("clips", $"{row.RecorderSerial}/{row.ClipId} is {row.State.ToDb()}, not verified in the vault: there is no proven copy to export.");
                var target = Path.GetFullPath(parse.GetValue(dir)!);
                Directory.CreateDirectory(target);
                var source = Path.Combine(folder.Paths.DataDirectory, row.VaultPath);
                var manifest = Path.Combine(folder.Paths.DataDirectory, row.ManifestPath);
                // The recorder chose the name: written as on the vault's disk, so a device name or a trailing dot cannot misdirect it.
                var copy = Path.Combine(target, Vault.SafeName.Encode(row.ClipId));
                foreach (var (from, to) in new[] { (source, copy), (manifest, copy + ".manifest.json"), (manifest + ".sig", copy + ".manifest.json.sig") })
                {
                    if (File.Exists(to)) return ExitCodes.UsageError("clips", $"{to} already exists; export into another folder.");
                    File.Copy(from, to);
                }
                var sha = Sha256.ToHex(await Sha256.HashFileAsync(copy, cancellationToken: cancellationToken));
                if (sha != row.DeviceSha256)
                    return ExitCodes.UsageError("clips", $"the copy at {copy} hashes to {sha}, not the recorded {row.DeviceSha256}: the vault copy or the target disk is damaged. Do not use it.");
                var entry = await folder.Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Exported, at, folder.DockId, DataFolder.Actor,
                    row.RecorderSerial, row.ClipId, sha, row.Size, Detail: $"copied to {target}: {why}"), cancellationToken);
                await folder.Log.CheckpointAsync(cancellationToken);
                Console.WriteLine($"Exported {row.RecorderSerial}/{row.ClipId} ({row.Size} bytes, sha256 {sha}) to {target}; custody entry {entry.Index}.");
                Console.WriteLine($"  check it: dock verify {copy} --trust DOCK.pem");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IdentityException or CatalogException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("clips", ex.Message);
            }
        });
        clips.Subcommands.Add(export);
        return clips;
    }

}
