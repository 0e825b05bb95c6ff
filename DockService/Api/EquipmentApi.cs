using System.Security.Claims;
using Dock.Service.Equipment;
using Dock.Service.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dock.Service.Api;

/// <summary>Checkout and the equipment reports through API v1. A checkout is decided by <see cref="Checkouts"/> (a checked-out or
/// checkout-refused custody entry naming the caller); the reports are the CLI's (<see cref="EquipmentReports"/>).</summary>
public static class EquipmentApi
{
    public static void MapDockEquipment(this RouteGroupBuilder api)
    {
        api.MapPost("/kiosk/checkout", KioskCheckOutAsync).RequireAuthorization(DockPolicies.KioskOfficer).Produces<CheckoutOutcome>()
            .Produces<CheckoutOutcome>(409)
            .WithSummary("The officer signed in at the kiosk takes a camera: the dock picks a ready one, writes the officer to it and lights its bay. " +
                "Refused (409) with a reason code: second-camera, no-certificate, certificate-expired, auxiliary-alone (give accompaniedBy), " +
                "no-ready-camera, unit-minimum, camera-write-failed, not-registered.");
        api.MapPost("/checkouts", CheckOutAsync).RequireAuthorization(DockPolicies.ManageRecorders).Produces<CheckoutOutcome>().Produces<CheckoutOutcome>(409)
            .ProducesValidationProblem()
            .WithSummary("The equipment manager hands a camera to an officer (badge), with the kiosk's rules; the entry names the manager.");
        api.MapGet("/checkouts", AllocationAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<AllocationReport>()
            .WithSummary("Who holds which camera now, the cameras bound to an officer, and the checkouts that began in [from, to] (days, UTC).");
        api.MapGet("/officers", OfficersAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<List<OfficerListing>>()
            .WithSummary("The officers with their unit, role, 执法证 validity today, and the camera each holds.");
        api.MapGet("/equipment/batteries", BatteriesAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<List<BatteryVerdict>>()
            .WithSummary("Battery health per camera from its charging log (charge rate, hours on a full charge, failures to reach full, faults): " +
                "those to replace first, each finding with its evidence; each docking's charging summary.");
        api.MapGet("/equipment/usage", UsageAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<UsageReport>().ProducesValidationProblem()
            .WithSummary("Checkouts and footage per officer and per unit over [from, to] (days, UTC; default the last 30).");
        api.MapGet("/equipment/ratio", RatioAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<List<UnitRatioReport>>().ProducesValidationProblem()
            .WithSummary("Each unit against its equipment policy (R4) now, and its compliance over [from, to] (days, UTC; default the last 30).");
    }

    private static async Task<IResult> KioskCheckOutAsync(KioskCheckoutRequest? request, ClaimsPrincipal user, Checkouts checkouts, CancellationToken cancellationToken)
    {
        var badge = user.FindFirstValue(DockPolicies.BadgeClaim)!;
        return Outcome(await checkouts.CheckOutAsync(badge, $"{user.Identity!.Name}@kiosk", request?.AccompaniedBy, cancellationToken));
    }

    private static async Task<IResult> CheckOutAsync(CheckoutRequest? request, ClaimsPrincipal user, Checkouts checkouts, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request?.Badge)) return HttpApi.Invalid(("badge", "the badge of the officer who takes the camera"));
        return Outcome(await checkouts.CheckOutAsync(request.Badge.Trim(), HttpApi.Actor(user), request.AccompaniedBy, cancellationToken));
    }

    private static IResult Outcome(CheckoutOutcome outcome) => outcome.Granted ? Results.Ok(outcome) : Results.Json(outcome, statusCode: 409);

    private static async Task<IResult> AllocationAsync(DockCore core, TimeProvider time, CancellationToken cancellationToken, DateOnly? from, DateOnly? to)
    {
        if (!Period(from, to, time, out var first, out var end)) return HttpApi.Invalid(("to", "not before from"));
        return Results.Ok(await Reports(core, time).AllocationAsync(first, end, cancellationToken));
    }

    private static async Task<IResult> OfficersAsync(DockCore core, TimeProvider time, CancellationToken cancellationToken) =>
        Results.Ok(await Reports(core, time).OfficersAsync(cancellationToken));

    private static async Task<IResult> RatioAsync(DockCore core, TimeProvider time, CancellationToken cancellationToken, DateOnly? from, DateOnly? to)
    {
        if (!Period(from, to, time, out var first, out var end)) return HttpApi.Invalid(("to", "not before from"));
        return Results.Ok(await Reports(core, time).RatioAsync(first, end, cancellationToken));
    }

    private static async Task<IResult> BatteriesAsync(DockCore core, TimeProvider time, CancellationToken cancellationToken) =>
        Results.Ok(await Reports(core, time).BatteriesAsync(cancellationToken));

    private static async Task<IResult> UsageAsync(DockCore core, TimeProvider time, CancellationToken cancellationToken, DateOnly? from, DateOnly? to)
    {
        if (!Period(from, to, time, out var first, out var end)) return HttpApi.Invalid(("to", "not before from"));
        return Results.Ok(await Reports(core, time).UsageAsync(first, end, cancellationToken));
    }

    private static EquipmentReports Reports(DockCore core, TimeProvider time) => new(core.Catalog.Database, core.Options, time);

    private static bool Period(DateOnly? from, DateOnly? to, TimeProvider time, out DateTimeOffset first, out DateTimeOffset end)
    {
        var last = to ?? DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var start = from ?? last.AddDays(-30);
        first = new DateTimeOffset(start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        end = new DateTimeOffset(last.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return start <= last;
    }
}

/// <summary>An auxiliary staff member names the enforcement officer they accompany (R9); an officer sends nothing.</summary>
public sealed record KioskCheckoutRequest(string? AccompaniedBy);

public sealed record CheckoutRequest(string? Badge, string? AccompaniedBy);
