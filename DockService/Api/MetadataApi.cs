using System.Security.Claims;
using Dock.Service.Catalog;
using Dock.Service.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dock.Service.Api;

/// <summary>Evidence tags through API v1: read and change a clip's tags, and an officer tagging their own footage at the kiosk. Each change
/// is made by <see cref="ClipTagging"/> (a metadata-changed custody entry naming the caller and the source).</summary>
public static class MetadataApi
{
    public static void MapDockMetadata(this RouteGroupBuilder api)
    {
        api.MapGet("/clips/{serial}/{clipId}/metadata", ReadAsync).RequireAuthorization(DockPolicies.ReadClips).AddEndpointFilter(RetrievalApi.GateAsync).Produces<ClipMetadata>().ProducesProblem(404)
            .WithSummary("A clip's tags (the five required fields, category, importance, notes), each with its source, who set it and when.");
        api.MapPut("/clips/{serial}/{clipId}/metadata", TagAsync).RequireAuthorization(DockPolicies.TagClips).AddEndpointFilter(RetrievalApi.GateAsync).Produces<ClipMetadata>()
            .ProducesValidationProblem().ProducesProblem(404)
            .WithSummary("Change a clip's tags: a field left out is kept, an empty string clears it. Each change is a metadata-changed custody entry.");
        api.MapGet("/metadata/categories", Categories).RequireAuthorization(DockPolicies.ReadClips).Produces<List<Category>>()
            .WithSummary("The configured categories and their retention.");
        api.MapPut("/kiosk/tags", KioskTagAsync).RequireAuthorization(DockPolicies.KioskOfficer).Produces(204).ProducesValidationProblem()
            .ProducesProblem(403).ProducesProblem(404)
            .WithSummary("The signed-in officer tags their own footage: case number, 证明对象 and category, for one clip or several at once.");
    }

    internal static IReadOnlyList<Category> CategoryList(ClipTagging tagging) =>
        [.. tagging.Categories.Select(c => new Category(c.Id, c.Name, c.NameZh, c.Retention.TotalDays))];

    private static IResult Categories(ClipTagging tagging) => Results.Ok(CategoryList(tagging));

    private static Task<IResult> ReadAsync(string serial, string clipId, ClipTagging tagging, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            var clip = await tagging.FindAsync(serial, clipId, cancellationToken);
            return Results.Ok(ClipMetadata.From(clip, await tagging.ReadAsync(clip, cancellationToken)));
        });

    private static Task<IResult> TagAsync(string serial, string clipId, TagRequest? request, ClaimsPrincipal user, ClipTagging tagging,
        CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            if (request is null) return HttpApi.Invalid(("body", "the fields to change"));
            var clip = await tagging.FindAsync(serial, clipId, cancellationToken);
            // A person in the console's session, or a program with a token.
            var source = user.Identity?.AuthenticationType == DockPolicies.CookieScheme ? TagSource.Console : TagSource.Api;
            var tags = await tagging.TagAsync(HttpApi.Actor(user), source, clip, request.Changes(), request.Reason, cancellationToken);
            return Results.Ok(ClipMetadata.From(clip, tags));
        });

    private static Task<IResult> KioskTagAsync(KioskTagRequest? request, ClaimsPrincipal user, ClipTagging tagging, Hosting.DockCore core,
        CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            if (request?.Clips is not { Count: > 0 and <= ClipTagging.MaxClipsAtOnce } refs)
                return HttpApi.Invalid(("clips", $"1–{ClipTagging.MaxClipsAtOnce} clips"));
            var badge = user.FindFirstValue(DockPolicies.BadgeClaim)!;
            var changes = new Dictionary<TagField, string?>();
            if (request.CaseNumber is not null) changes[TagField.CaseNumber] = request.CaseNumber;
            if (request.Purpose is not null) changes[TagField.Purpose] = request.Purpose;
            if (request.Category is not null) changes[TagField.Category] = request.Category;
            Retrieval.SensitivityLevel? level = null;
            if (request.Sensitivity is not null)
            {
                if (!Retrieval.SensitivityLevels.TryParse(request.Sensitivity, out var parsed))
                    return HttpApi.Invalid(("sensitivity", $"one of {string.Join(", ", Retrieval.SensitivityLevels.Names)}"));
                level = parsed;
            }
            // Every clip is checked first (the officer's own, each value valid), so a refusal leaves every clip as it was.
            var clips = new List<ClipRecord>();
            foreach (var r in refs)
            {
                var clip = await tagging.FindAsync(r.Serial ?? "", r.ClipId ?? "", cancellationToken);
                if (clip.OfficerId != badge) throw new TagException($"Clip {clip.ClipId} is not your footage: an officer tags their own.", forbidden: true);
                clips.Add(clip);
            }
            foreach (var (field, value) in changes) tagging.Normalise(field, value);
            // R6: an officer may mark their footage sensitive, or more so; only a supervisor lowers a level (the console).
            if (level is { } least)
                foreach (var clip in clips)
                    if (least < await core.Sensitivity.LevelAsync(clip.Id, cancellationToken))
                        throw new TagException($"Clip {clip.ClipId} is marked more sensitive already; only a supervisor lowers a level.", forbidden: true);
            foreach (var clip in clips)
            {
                await tagging.TagAsync($"{user.Identity!.Name}@kiosk", TagSource.Officer, clip, changes, null, cancellationToken);
                if (level is { } wanted) await core.Sensitivity.ChangeAsync(clip, wanted, $"{user.Identity!.Name}@kiosk", Retrieval.SensitivityAuthority.Officer, null, cancellationToken);
            }
            return Results.NoContent();
        });

    private static async Task<IResult> RunAsync(Func<Task<IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (TagException ex)
        {
            return HttpApi.Refused(ex.Message, ex.NotFound, ex.Forbidden, "tags", "No such clip", "Not yours");
        }
    }
}
