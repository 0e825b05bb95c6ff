using System.CommandLine;
using Dock.Service.Catalog;
using Dock.Service.Exports;
using Dock.Service.Hosting;
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
                var export = await new ClipExports(folder.Catalog.Clips, folder.Log, folder.Paths.DataDirectory).ExportAsync(parse.GetValue(serial)!,
                    parse.GetValue(clipId)!, parse.GetValue(dir)!, why, DataFolder.Actor, cancellationToken);
                Console.WriteLine($"Exported {export.Clip.RecorderSerial}/{export.Clip.ClipId} ({export.Clip.Size} bytes, sha256 {export.Sha256}) to " +
                    $"{Path.GetDirectoryName(export.Copy)}; custody entry {export.Entry.Index}.");
                Console.WriteLine($"  check it: dock verify {export.Copy} --trust DOCK.pem");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is ExportException or IdentityException or StorageException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("clips", ex.Message);
            }
        });
        clips.Subcommands.Add(export);
        return clips;
    }

}
