using System.Security.Claims;
using Dock.Service.Hosting;
using Dock.Service.Metadata;
using Dock.Service.Retention;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dock.Service.Api;

/// <summary>Retention through API v1: legal holds (place, lift, list) and a clip's retention. Holds are made by <see cref="LegalHolds"/>
/// (a hold-placed or hold-lifted custody entry naming the caller); purging is the dock's own (<see cref="VaultPurge"/>).</summary>
public static class RetentionApi
{
    public static void MapDockRetention(this RouteGroupBuilder api)
    {
        api.MapGet("/holds", ListAsync).RequireAuthorization(DockPolicies.ReadClips).Produces<List<Hold>>()
            .WithSummary("Legal holds, newest first: the standing ones, or every one with ?lifted=true (at most 1,000).");
        api.MapPost("/holds", PlaceAsync).RequireAuthorization(DockPolicies.PlaceHolds).Produces<Hold>(201).ProducesValidationProblem().ProducesProblem(404)
            .WithSummary("Place a legal hold on a clip (serial, clipId) or on a case (caseNumber: every clip tagged with it, later ones too), with a reason. " +
                "Nothing it covers is purged until it is lifted.");
        api.MapPost("/holds/{id:long}/lift", LiftAsync).RequireAuthorization(DockPolicies.LiftHolds).Produces<Hold>().ProducesValidationProblem()
            .ProducesProblem(404).WithSummary("Lift a standing legal hold, with a reason (supervisor). A hold-lifted custody entry names the caller.");
        api.MapGet("/clips/{serial}/{clipId}/retention", RetentionAsync).RequireAuthorization(DockPolicies.ReadClips).AddEndpointFilter(RetrievalApi.GateAsync).Produces<ClipRetention>()
            .ProducesProblem(404).WithSummary("A clip's retention: categories, how long the vault keeps it, when it is due, the holds on it, whether it was purged.");
    }

    private static async Task<IResult> ListAsync(DockCore core, CancellationToken cancellationToken, bool? lifted) =>
        Results.Ok((await core.Holds.Store.ListAsync(lifted ?? false, cancellationToken)).Select(Hold.From).ToList());

    private static Task<IResult> PlaceAsync(HoldRequest? request, ClaimsPrincipal user, DockCore core, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            if (request is null) return HttpApi.Invalid(("body", "serial and clipId, or caseNumber, and a reason"));
            bool onClip = request.Serial is not null || request.ClipId is not null;
            if (onClip == (request.CaseNumber is not null))
                return HttpApi.Invalid(("caseNumber", "give serial and clipId (a hold on one clip) or caseNumber (a hold on a case), not both"));
            var hold = onClip
                ? await core.Holds.PlaceOnClipAsync(HttpApi.Actor(user), request.Serial ?? "", request.ClipId ?? "", request.Reason ?? "", cancellationToken)
                : await core.Holds.PlaceOnCaseAsync(HttpApi.Actor(user), request.CaseNumber!, request.Reason ?? "", cancellationToken);
            return Results.Created($"/api/v1/holds/{hold.Id}", Hold.From(hold));
        });

    private static Task<IResult> LiftAsync(long id, LiftRequest? request, ClaimsPrincipal user, DockCore core, CancellationToken cancellationToken) =>
        RunAsync(async () =>
        {
            var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList();
            return Results.Ok(Hold.From(await core.Holds.LiftAsync(HttpApi.Actor(user), roles, id, request?.Reason ?? "", cancellationToken)));
        });

    private static async Task<IResult> RetentionAsync(string serial, string clipId, DockCore core, ClipTagging tagging, CancellationToken cancellationToken)
    {
        try
        {
            var clip = await tagging.FindAsync(serial, clipId, cancellationToken);
            var tags = await tagging.ReadAsync(clip, cancellationToken);
            return Results.Ok(ClipRetention.From(await core.Purge.StatusAsync(clip, tags[TagField.Category], cancellationToken)));
        }
        catch (TagException ex) when (ex.NotFound)
        {
            return Results.Problem(statusCode: 404, title: "No such clip", detail: ex.Message);
        }
    }

    private static async Task<IResult> RunAsync(Func<Task<IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (HoldException ex)
        {
            return HttpApi.Refused(ex.Message, ex.NotFound, ex.Forbidden, "hold");
        }
    }
}
