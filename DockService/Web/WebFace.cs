using System.Collections.Frozen;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Dock.Service.Api;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dock.Service.Web;

/// <summary>
/// The web face in the <c>dock run</c> process: the kiosk (<c>/kiosk</c>, the dock's own screen) and its assets. Offline by design:
/// the pages, styles, script and strings are embedded in the assembly; there is no CDN, web font or build step. The pages are
/// HTML, not part of the data interface, so they stay out of the OpenAPI document.
/// </summary>
public static class WebFace
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>While a bay is transferring its progress is sent this often; phase changes go at once.</summary>
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);

    /// <summary>Sent when nothing changes, so a browser learns soon that a dock went away (and reconnects when it is back).</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void MapDockWeb(this IEndpointRouteBuilder app)
    {
        // The kiosk decides who may see it itself (Dock:Web:KioskAccess): the dock's own screen needs no sign-in.
        app.MapGet("/kiosk", Kiosk).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/kiosk/events", KioskEvents).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/web/{file}", Asset).AllowAnonymous().ExcludeFromDescription();
    }

    private static IResult Kiosk(HttpContext context, DockActivity activity, DockCore core, IOptions<DockOptions> options)
    {
        if (Refused(context, options.Value.Web) is { } refused) return refused;
        var language = WebText.ForPage(context);
        var html = KioskPage.Render(language, core.IsOpen ? core.Identity.DockId : "", Bays(activity), options.Value.Web.KioskIdleTimeout);
        Secure(context.Response);
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private static IResult KioskEvents(HttpContext context, DockActivity activity, IOptions<DockOptions> options, IHostApplicationLifetime lifetime)
    {
        if (Refused(context, options.Value.Web) is { } refused) return refused;
        return TypedResults.ServerSentEvents(KioskChangesAsync(activity, HttpApi.UntilStopping(context, lifetime)));
    }

    private static async IAsyncEnumerable<SseItem<IReadOnlyList<Bay>>> KioskChangesAsync(DockActivity activity,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? last = null;
        bool first = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Take the change signal before the snapshot, so a change in between is not missed.
            var changed = activity.NextChangeAsync();
            var bays = Bays(activity);
            var json = JsonSerializer.Serialize(bays, Json);
            if (json != last)
            {
                // A browser that loses the dock tries again after a second (the default is several).
                yield return new SseItem<IReadOnlyList<Bay>>(bays, "bays") { ReconnectionInterval = first ? TimeSpan.FromSeconds(1) : null };
                (last, first) = (json, false);
            }
            var wait = bays.Any(b => b.Phase is "transferring" or "verifying") ? ProgressEvery : KeepAlive;
            // The timer goes with its turn: a busy dock changes many times a second, and each turn must not leave one running.
            using var turn = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var timer = Task.Delay(wait, turn.Token);
            var woke = await Task.WhenAny(changed, timer).ConfigureAwait(false);
            await turn.CancelAsync().ConfigureAwait(false);
            if (woke == timer && wait == KeepAlive) last = null; // Nothing changed for a while: send the same again (keep-alive).
        }
    }

    private static IReadOnlyList<Bay> Bays(DockActivity activity) =>
        [.. activity.Bays.OrderBy(b => b.BayId, BayOrder.Instance).Select(Bay.From)];

    /// <summary>null when the kiosk may be shown to this request; else 401 with what to do.</summary>
    internal static IResult? Refused(HttpContext context, WebOptions web)
    {
        bool signedIn = context.User.Identity?.IsAuthenticated == true;
        bool allowed = web.KioskAccess switch
        {
            KioskAccess.Anyone => true,
            KioskAccess.Loopback => signedIn || context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address),
            _ => signedIn,
        };
        return allowed ? null : Results.Problem(statusCode: 401, title: "Sign in to see the kiosk",
            detail: "The kiosk shows without sign-in on the dock's own screen only (Dock:Web:KioskAccess). Sign in first.");
    }

    /// <summary>Only the dock's own files run, load and connect; the page is never framed.</summary>
    internal static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private const string AssetPrefix = "Dock.Service.Web.Assets.";

    /// <summary>The page assets, read once from the assembly: a request can name only these.</summary>
    private static readonly Lazy<FrozenDictionary<string, (byte[] Body, string Type, string ETag)>> Assets = new(() =>
        typeof(WebFace).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(AssetPrefix, StringComparison.Ordinal))
            .ToFrozenDictionary(n => n[AssetPrefix.Length..], Load, StringComparer.Ordinal));

    private static IResult Asset(string file, HttpContext context)
    {
        if (!Assets.Value.TryGetValue(file, out var found)) return Results.NotFound();
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (context.Request.Headers.IfNoneMatch.ToString() == found.ETag) return Results.StatusCode(304);
        context.Response.Headers.ETag = found.ETag;
        return Results.Bytes(found.Body, found.Type);
    }

    private static (byte[] Body, string Type, string ETag) Load(string resource)
    {
        var type = Path.GetExtension(resource) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        using var stream = typeof(WebFace).Assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var body = copy.ToArray();
        return (body, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..16]}\"");
    }
}

/// <summary>Bays in a person's order: "2" before "10".</summary>
internal sealed class BayOrder : IComparer<string>
{
    public static readonly BayOrder Instance = new();

    public int Compare(string? x, string? y) =>
        int.TryParse(x, out var a) && int.TryParse(y, out var b) ? a.CompareTo(b) : string.CompareOrdinal(x, y);
}
