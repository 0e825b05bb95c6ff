using System.CommandLine;
using Dock.Service.Catalog;
using Dock.Service.Exports;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Metadata;
using Dock.Service.Retrieval;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock clips export</c> and <c>dock clips tag</c>. Export hands a copy of a clip, with its manifest and signature, to a person (R5:
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
                var export = await new ClipExports(folder.Catalog.Clips, folder.Log, folder.Vault()).ExportAsync(parse.GetValue(serial)!,
                    parse.GetValue(clipId)!, parse.GetValue(dir)!, why, DataFolder.Actor, cancellationToken);
                // In the retrieval audit too (`dock audit`), beside the case exports and the console's views and downloads.
                await folder.Retrievals().RecordExportAsync(Retriever.Host(DataFolder.Actor), [(export.Clip, export.Entry.Index)], $"export: {why}", cancellationToken);
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
        clips.Subcommands.Add(Tag());
        clips.Subcommands.Add(Sensitivity());
        return clips;
    }

    /// <summary><c>dock clips sensitivity SERIAL CLIP --level L [--reason R]</c>: set, raise or lower a clip's sensitivity (R6). The host's
    /// command line holds the dock key, so it may lower a level as a supervisor may, with a reason.</summary>
    private static Command Sensitivity()
    {
        var data = CliOptions.Data();
        var serial = new Argument<string>("serial") { Description = "The recorder's serial." };
        var clipId = new Argument<string>("clip") { Description = "The clip id." };
        var level = new Option<string>("--level") { Description = $"One of {string.Join(", ", SensitivityLevels.Names)}.", Required = true };
        var reason = new Option<string?>("--reason") { Description = "Why (recorded in the custody entry; required to lower a level)." };
        var command = new Command("sensitivity", "Set a clip's sensitivity: who may retrieve it (Dock:Retrieval:Roles); a sensitivity-changed custody entry.")
        {
            data, serial, clipId, level, reason,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!SensitivityLevels.TryParse(parse.GetValue(level), out var wanted))
                return ExitCodes.UsageError("clips sensitivity", $"--level '{parse.GetValue(level)}' is not one of {string.Join(", ", SensitivityLevels.Names)}.");
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                var clip = await folder.Catalog.Clips.FindClipAsync(parse.GetValue(serial)!, parse.GetValue(clipId)!, cancellationToken)
                    ?? throw new SensitivityException($"the catalog holds no clip {parse.GetValue(clipId)} of recorder {parse.GetValue(serial)}.", notFound: true);
                var owner = new ClipSensitivity(folder.Catalog.Database, folder.Log, folder.Vault());
                var before = await owner.LevelAsync(clip.Id, cancellationToken);
                var mark = await owner.ChangeAsync(clip, wanted, DataFolder.Actor, SensitivityAuthority.Supervisor, parse.GetValue(reason), cancellationToken);
                Console.WriteLine(before == wanted
                    ? $"{clip.RecorderSerial}/{clip.ClipId} is {SensitivityLevels.Name(wanted)} already; nothing changed."
                    : $"{clip.RecorderSerial}/{clip.ClipId}: {SensitivityLevels.Name(before)} -> {SensitivityLevels.Name(wanted)}; custody entry {mark!.Index}.");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is SensitivityException or IdentityException or StorageException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("clips sensitivity", ex.Message);
            }
        });
        return command;
    }

    /// <summary><c>dock clips tag SERIAL CLIP --case NO --purpose TEXT [--place TEXT] [--category C] --reason R</c>: a later edit of a
    /// clip's tags from the shell, each change a metadata-changed custody entry naming the person (user@host).</summary>
    private static Command Tag()
    {
        var data = CliOptions.Data();
        var serial = new Argument<string>("serial") { Description = "The recorder's serial." };
        var clipId = new Argument<string>("clip") { Description = "The clip id." };
        var caseNumber = new Option<string?>("--case") { Description = "The case number (案件编号)." };
        var purpose = new Option<string?>("--purpose") { Description = "What the recording is evidence of (证明对象)." };
        var place = new Option<string?>("--place") { Description = "The capture place (采集地点), when the dock's own is wrong." };
        var category = new Option<string?>("--category") { Description = "A configured category (Dock:Metadata:Categories)." };
        var notes = new Option<string?>("--notes") { Description = "Free notes." };
        var reason = CliOptions.Reason("Why the tags change (recorded with each change).");
        var tag = new Command("tag", "Set a clip's tags (an empty value clears one); each change is a metadata-changed custody entry.")
        {
            data, serial, clipId, caseNumber, purpose, place, category, notes, reason,
        };
        tag.SetAction(async (parse, cancellationToken) =>
        {
            var changes = new Dictionary<TagField, string?>();
            foreach (var (option, field) in new[] { (caseNumber, TagField.CaseNumber), (purpose, TagField.Purpose), (place, TagField.CapturePlace),
                (category, TagField.Category), (notes, TagField.Notes) })
                if (parse.GetValue(option) is { } value) changes[field] = value;
            if (changes.Count == 0) return ExitCodes.UsageError("clips tag", "Nothing to change: give --case, --purpose, --place, --category or --notes.");
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                var tagging = new ClipTagging(folder.Catalog.Clips, new TagStore(folder.Catalog.Database), folder.Log, DataFolder.Options().Metadata);
                var clip = await tagging.FindAsync(parse.GetValue(serial)!, parse.GetValue(clipId)!, cancellationToken);
                var tags = await tagging.TagAsync(DataFolder.Actor, TagSource.Cli, clip, changes, parse.GetValue(reason), cancellationToken);
                foreach (var (field, value) in tags.Values.OrderBy(v => v.Key))
                    Console.WriteLine($"{field.Name(),-14} {value.Value}   ({value.Source.Name()}{(value.Stored ? $", {value.SetBy}" : ", derived")})");
                if (tags.Missing.Count > 0) Console.WriteLine($"missing        {string.Join(", ", tags.Missing.Select(f => f.Name()))}");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is TagException or IdentityException or StorageException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("clips tag", ex.Message);
            }
        });
        return tag;
    }

}
