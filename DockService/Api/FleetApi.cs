using Dock.Service.Fleet;
using Dock.Service.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dock.Service.Api;

/// <summary>Fleet configuration through API v1 (hardware-specs/fleet-bundle-v1.md): this dock's bundle and its recorders' profiles and firmware,
/// and the fleet from the object store, as <c>dock fleet status</c> reads it. Both through <see cref="FleetOverview"/>.</summary>
public static class FleetApi
{
    public static void MapDockFleet(this RouteGroupBuilder api)
    {
        api.MapGet("/fleet", DockAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<DockFleetState>()
            .WithSummary("This dock in the fleet: the bundle it runs and the ones before, and each recorder's profile and firmware (what it said it runs, " +
                "whether it is stale, where its firmware update stands).");
        api.MapGet("/fleet/status", FleetAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<FleetReport>().ProducesProblem(503)
            .WithSummary("The fleet from the object store, as `dock fleet status --json`: the rollout's progress, every dock's version and state, failures, " +
                "silent docks. 503 when the store cannot be read now.");
    }

    private static async Task<IResult> DockAsync(DockCore core, CancellationToken cancellationToken) =>
        Results.Ok(await core.FleetOverview.DockAsync(cancellationToken));

    private static async Task<IResult> FleetAsync(DockCore core, CancellationToken cancellationToken)
    {
        var (report, problem) = await core.FleetOverview.FleetAsync(cancellationToken);
        return report is not null ? Results.Ok(report) : Results.Problem(problem, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The fleet store cannot be read");
    }
}
