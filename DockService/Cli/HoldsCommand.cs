using System.CommandLine;
using System.Text.Json;
using Dock.Service.Catalog;
using Dock.Service.Hosting;
using Dock.Service.Identity;
using Dock.Service.Retention;

namespace Dock.Service.Cli;

/// <summary><c>dock holds list|place|lift</c>: legal holds from the shell. A hold on a clip or on a case keeps every copy it covers from being
/// purged until it is lifted; placing and lifting each need a reason and each is a custody entry naming the person (user@host).</summary>
public static class HoldsCommand
{
    public static Command Create()
    {
        var holds = new Command("holds", "Legal holds: nothing a hold covers is purged from the vault until it is lifted.");

        var data = CliOptions.Data();
        var all = new Option<bool>("--all") { Description = "Lifted holds too." };
        var json = CliOptions.Json();
        var list = new Command("list", "Standing holds, newest first (with --all, lifted ones too).") { data, all, json };
        list.SetAction(async (parse, cancellationToken) => await RunAsync("holds list", parse.GetValue(data), async (legal, _) =>
        {
            var found = await legal.Store.ListAsync(parse.GetValue(all), cancellationToken);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(found.Select(Api.Hold.From), new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                return ExitCodes.Ok;
            }
            if (found.Count == 0) Console.WriteLine(parse.GetValue(all) ? "No holds." : "No standing holds.");
            foreach (var h in found)
            {
                Console.WriteLine($"hold {h.Id}: {h.Covers}, placed {h.PlacedAt:u} by {h.PlacedBy}: {h.Reason}");
                if (!h.Active) Console.WriteLine($"  lifted {h.LiftedAt:u} by {h.LiftedBy} (custody entry {h.LiftedIndex}): {h.LiftReason}");
            }
            return ExitCodes.Ok;
        }, cancellationToken));

        var placeData = CliOptions.Data();
        var recorder = new Option<string?>("--recorder") { Description = "The recorder's serial (with --clip): a hold on one clip." };
        var clip = new Option<string?>("--clip") { Description = "The clip id (with --recorder)." };
        var caseNumber = new Option<string?>("--case") { Description = "A case number: a hold on every clip tagged with it, later ones too." };
        var placeReason = CliOptions.Reason("Why the footage must be kept (recorded in the custody log).");
        var place = new Command("place", "Place a hold on one clip (--recorder S --clip C) or on a case (--case NO).") { placeData, recorder, clip, caseNumber, placeReason };
        place.SetAction(async (parse, cancellationToken) =>
        {
            string? serial = parse.GetValue(recorder), clipId = parse.GetValue(clip), number = parse.GetValue(caseNumber);
            bool onClip = serial is not null || clipId is not null;
            if (onClip == (number is not null) || (onClip && (serial is null || clipId is null)))
                return ExitCodes.UsageError("holds place", "give --recorder SERIAL --clip CLIP (one clip) or --case NO (a case), not both.");
            return await RunAsync("holds place", parse.GetValue(placeData), async (legal, _) =>
            {
                var hold = onClip
                    ? await legal.PlaceOnClipAsync(DataFolder.Actor, serial!, clipId!, parse.GetValue(placeReason)!, cancellationToken)
                    : await legal.PlaceOnCaseAsync(DataFolder.Actor, number!, parse.GetValue(placeReason)!, cancellationToken);
                Console.WriteLine($"Hold {hold.Id} placed on {hold.Covers} (custody entry {hold.Id}). Lift it with: dock holds lift {hold.Id} --reason …");
                return ExitCodes.Ok;
            }, cancellationToken);
        });

        var liftData = CliOptions.Data();
        var id = new Argument<long>("id") { Description = "The hold's id (the custody entry that placed it; see dock holds list)." };
        var liftReason = CliOptions.Reason("Why the hold ends, e.g. the case closed (recorded in the custody log).");
        var lift = new Command("lift", "Lift a standing hold; its footage follows its retention again.") { liftData, id, liftReason };
        lift.SetAction(async (parse, cancellationToken) => await RunAsync("holds lift", parse.GetValue(liftData), async (legal, _) =>
        {
            var hold = await legal.LiftAsync(DataFolder.Actor, null, parse.GetValue(id), parse.GetValue(liftReason)!, cancellationToken);
            Console.WriteLine($"Hold {hold.Id} on {hold.Covers} lifted (custody entry {hold.LiftedIndex}).");
            return ExitCodes.Ok;
        }, cancellationToken));

        holds.Subcommands.Add(list);
        holds.Subcommands.Add(place);
        holds.Subcommands.Add(lift);
        return holds;
    }

    private static async Task<int> RunAsync(string command, string? data, Func<LegalHolds, DataFolder, Task<int>> work, CancellationToken cancellationToken)
    {
        try
        {
            using var folder = await DataFolder.OpenAsync(data, cancellationToken);
            var legal = new LegalHolds(new HoldStore(folder.Catalog.Database), folder.Catalog.Clips, folder.Log);
            var code = await work(legal, folder);
            await folder.Log.CheckpointAsync(cancellationToken);
            return code;
        }
        catch (Exception ex) when (ex is HoldException or IdentityException or StorageException or IOException or UnauthorizedAccessException)
        {
            return ExitCodes.UsageError(command, ex.Message);
        }
    }
}
