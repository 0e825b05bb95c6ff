using System.Security.Claims;
using System.Text;
using Dock.Service.Hosting;
using Dock.Service.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dock.Service.Api;

/// <summary>The equipment registry through API v1: each roster (units, officers, recorders) out and in as CSV, the same columns as the CLI's.
/// An import is all rows or none (<see cref="Rosters"/>); each change a registry-changed custody entry naming the caller.</summary>
public static class RegistryApi
{
    private static readonly string[] Kinds = ["units", "officers", "recorders"];

    public static void MapDockRegistry(this RouteGroupBuilder api)
    {
        api.MapGet("/registry/{kind}", ExportAsync).RequireAuthorization(DockPolicies.ReadRecorders).Produces<string>(200, "text/csv").ProducesProblem(404)
            .WithSummary("A roster as CSV: kind is units (id,name), officers (badge,name,unit,role,certificate,certificate_expiry) or recorders " +
                "(serial,model,firmware,status,home_unit).");
        api.MapPut("/registry/{kind}", ImportAsync).RequireAuthorization(DockPolicies.ManageRecorders).Accepts<string>("text/csv").Produces<ImportResult>()
            .ProducesValidationProblem().ProducesProblem(404).ProducesProblem(413)
            .WithSummary("Add or change rows from a CSV roster (a header names the columns). Every bad row is reported by line and nothing is applied " +
                "unless all are good; ?dryRun=true says what would change.");
    }

    private static Rosters For(DockCore core) => new(new RegistryStore(core.Catalog.Database), core.Log);

    private static async Task<IResult> ExportAsync(string kind, DockCore core, CancellationToken cancellationToken)
    {
        var rosters = For(core);
        string? csv = kind switch
        {
            "units" => await rosters.ExportUnitsAsync(cancellationToken),
            "officers" => await rosters.ExportOfficersAsync(cancellationToken),
            "recorders" => await rosters.ExportRecordersAsync(cancellationToken),
            _ => null,
        };
        return csv is null ? NoSuchKind(kind) : Results.Text(csv, "text/csv; charset=utf-8", Encoding.UTF8);
    }

    private static async Task<IResult> ImportAsync(string kind, HttpContext context, ClaimsPrincipal user, DockCore core, Equipment.Checkouts checkouts,
        CancellationToken cancellationToken, bool? dryRun)
    {
        if (!Kinds.Contains(kind)) return NoSuchKind(kind);
        if (context.Request.ContentLength > Rosters.MaxBytes) return TooLarge();
        // Read with a bound: a request without a length must not hold more than a roster in memory.
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > Rosters.MaxBytes) return TooLarge();
            buffer.Write(chunk, 0, read);
        }
        string csv;
        try
        {
            csv = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            return HttpApi.Invalid(("csv", "not UTF-8: save the roster as CSV UTF-8"));
        }
        var rosters = For(core);
        var actor = HttpApi.Actor(user);
        var result = kind switch
        {
            "units" => await rosters.ImportUnitsAsync(actor, csv, dryRun ?? false, cancellationToken),
            "officers" => await rosters.ImportOfficersAsync(actor, csv, dryRun ?? false, cancellationToken),
            _ => await rosters.ImportRecordersAsync(actor, csv, dryRun ?? false, cancellationToken),
        };
        if (!result.Applied)
            return Results.ValidationProblem(result.Errors.GroupBy(e => $"line {e.Line}").ToDictionary(g => g.Key, g => g.Select(e => e.Problem).ToArray()),
                title: "The roster has problems; nothing was changed");
        // A status change (a camera to repair, an officer moved) is judged against the equipment policy at once.
        if (dryRun != true) checkouts.NotifyChanged();
        return Results.Ok(result);
    }

    private static IResult NoSuchKind(string kind) =>
        Results.Problem(statusCode: 404, title: "No such roster", detail: $"'{kind}' is not a roster: units, officers or recorders.");

    private static IResult TooLarge() =>
        Results.Problem(statusCode: 413, title: "Too large", detail: $"A roster is at most {Rosters.MaxBytes / (1024 * 1024)} MiB: split it.");
}
