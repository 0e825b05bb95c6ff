using System.Globalization;
using System.Security.Claims;
using Dock.Service.Catalog;
using Dock.Service.Exports;
using Dock.Service.Hosting;
using Dock.Service.Metadata;
using Dock.Service.Retrieval;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace Dock.Service.Api;

/// <summary>
/// Supervised retrieval through API v1 (R5, R6): state a reason and get a retrieval, play or download a clip with HTTP ranges under it,
/// set a clip's sensitivity, list the audit, export a case file. Every decision is <see cref="Retrievals"/>', <see cref="ClipSensitivity"/>'s
/// or <see cref="CaseExports"/>'; this file parses and renders. <see cref="GateAsync"/> guards every other endpoint that reads a clip.
/// </summary>
public static class RetrievalApi
{
    /// <summary>Where a request names its retrieval: <c>?retrieval=TOKEN</c> or this header.</summary>
    public const string RetrievalHeader = "X-Dock-Retrieval";
    /// <summary>At most this much is served per response to the player (it asks again for more): a viewing session's recorded ranges then
    /// overstate what was seen by at most this much.</summary>
    public const long MaxViewResponse = 4L * 1024 * 1024;

    public static void MapDockRetrieval(this RouteGroupBuilder api)
    {
        api.MapPost("/clips/{serial}/{clipId}/retrievals", OpenAsync).RequireAuthorization(DockPolicies.ReadClips).Produces<RetrievalGranted>(201)
            .ProducesValidationProblem().ProducesProblem(403).ProducesProblem(404)
            .WithSummary("State why you retrieve a clip (a configured purpose, and a case number or text): view, download or, for a sensitive clip, " +
                "read its metadata. Recorded as a custody entry (viewed, exported) before anything is served; returns the token to use.");
        api.MapGet("/clips/{serial}/{clipId}/content", ContentAsync).RequireAuthorization(DockPolicies.ReadClips).Produces(206, contentType: "video/mp4")
            .Produces(200).ProducesProblem(403).ProducesProblem(404).ProducesProblem(416)
            .WithSummary("The clip's bytes under a retrieval (?retrieval=TOKEN): HTTP ranges, so the player seeks without downloading the whole clip. " +
                "Each range served is added to the retrieval's record.");
        api.MapPut("/clips/{serial}/{clipId}/sensitivity", SensitivityAsync).RequireAuthorization(DockPolicies.MarkSensitivity)
            .Produces<SensitivityView>().ProducesValidationProblem().ProducesProblem(403).ProducesProblem(404)
            .WithSummary("Set, raise or lower a clip's sensitivity (none, personal-privacy, trade-secret, state-secret); lowering needs a reason. " +
                "A sensitivity-changed custody entry.");
        api.MapGet("/audit", AuditAsync).RequireAuthorization(DockPolicies.ReadCustody).Produces<List<AuditRow>>().ProducesValidationProblem()
            .WithSummary("Retrievals (views with their byte ranges, downloads, exports, sensitive metadata reads) and refusals, newest first.");
        api.MapPost("/cases/{caseNumber}/export", CaseExportAsync).RequireAuthorization(DockPolicies.ExportCases)
            .Produces(200, contentType: "application/zip").ProducesValidationProblem().ProducesProblem(403).ProducesProblem(404)
            .WithSummary("The case file bundle of every clip tagged with the case number, as one ZIP (as `dock export --case` writes it). " +
                "Recorded as an exported entry per clip, which the bundle holds with its proof.");
    }

    /// <summary>The person behind a request, with their badge (their unit, for the audit's patterns).</summary>
    internal static async Task<Retriever> WhoAsync(ClaimsPrincipal user, DockCore core, CancellationToken cancellationToken)
    {
        var name = user.Identity!.Name!;
        var record = await core.Users.FindAsync(name, cancellationToken);
        return new Retriever(HttpApi.Actor(user), name, [.. user.FindAll(ClaimTypes.Role).Select(c => c.Value)], record?.Badge);
    }

    /// <summary>
    /// Guards an endpoint that reads about one clip: a clip above the caller's clearance answers 403 (and the refusal is recorded); a
    /// sensitive one answers 403 unless the request names an open retrieval of the caller's for it (<see cref="RetrievalHeader"/>).
    /// </summary>
    public static async ValueTask<object?> GateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var core = http.RequestServices.GetService(typeof(DockCore)) as DockCore;
        if (core is null || http.Request.RouteValues["serial"] is not string serial || http.Request.RouteValues["clipId"] is not string clipId
            || serial.Length > 64 || clipId.Length > 80
            || await core.Catalog.Clips.FindClipAsync(serial, clipId, http.RequestAborted) is not { } clip)
            return await next(context); // the handler answers 404
        var level = await core.Sensitivity.LevelAsync(clip.Id, http.RequestAborted);
        if (level == SensitivityLevel.None) return await next(context);
        var who = await WhoAsync(http.User, core, http.RequestAborted);
        if (!core.Retrievals.ClearanceOf(who).Allows(level))
        {
            await core.Retrievals.RefuseAsync(who, clip, $"{http.Request.Method} {http.Request.Path}: {SensitivityLevels.Name(level)} is above the clearance of roles " +
                string.Join(",", who.Roles), http.RequestAborted);
            return AboveClearance(clip);
        }
        if (await core.Retrievals.FindOpenAsync(TokenOf(http), who, clip, http.RequestAborted) is null)
            return Results.Problem(statusCode: 403, title: "A reason is required",
                detail: $"{clip.RecorderSerial}/{clip.ClipId} is {SensitivityLevels.Name(level)}: state why you read it first (POST …/retrievals with kind " +
                $"\"metadata\"), then send the token as ?retrieval= or {RetrievalHeader}.");
        return await next(context);
    }

    private static IResult AboveClearance(ClipRecord clip) =>
        Results.Problem(statusCode: 403, title: "Above your clearance", detail: $"{clip.RecorderSerial}/{clip.ClipId} is not yours to retrieve; the refusal is recorded.");

    private static string? TokenOf(HttpContext http) =>
        http.Request.Query["retrieval"].FirstOrDefault() ?? http.Request.Headers[RetrievalHeader].FirstOrDefault();

    private static async Task<IResult> OpenAsync(string serial, string clipId, RetrievalRequest? request, ClaimsPrincipal user, DockCore core,
        CancellationToken cancellationToken)
    {
        if (request is null) return HttpApi.Invalid(("body", "kind, purpose, and a caseNumber or text"));
        RetrievalKind? kind = request.Kind switch { "view" => RetrievalKind.View, "download" => RetrievalKind.Download, "metadata" => RetrievalKind.Metadata, _ => null };
        if (kind is null) return HttpApi.Invalid(("kind", "view, download or metadata"));
        var reason = core.Retrievals.Reason(request.Purpose, request.CaseNumber, request.Text, out var problem);
        if (problem is not null) return HttpApi.Invalid((problem.Split(':')[0], problem));
        var clip = serial.Length > 64 || clipId.Length > 80 ? null : await core.Catalog.Clips.FindClipAsync(serial, clipId, cancellationToken);
        if (clip is null) return Results.Problem(statusCode: 404, title: "No such clip", detail: $"The catalog holds no clip {clipId} of recorder {serial}.");
        if (kind is not RetrievalKind.Metadata && clip.ManifestPath is null)
            return Results.Problem(statusCode: 404, title: "Nothing to play yet", detail: $"{serial}/{clipId} has no proven copy yet ({clip.State.ToDb()}).");
        try
        {
            var who = await WhoAsync(user, core, cancellationToken);
            var granted = await core.Retrievals.OpenAsync(who, clip, kind.Value, request.Purpose!.Trim(), reason, cancellationToken);
            var level = await core.Sensitivity.LevelAsync(clip.Id, cancellationToken);
            return Results.Json(new RetrievalGranted(granted.Token!, request.Kind!, granted.OpenIndex!.Value, clip.RecorderSerial, clip.ClipId,
                SensitivityLevels.Name(level), reason), statusCode: 201);
        }
        catch (RetrievalException ex) when (ex.Forbidden)
        {
            return AboveClearance(clip);
        }
    }

    private static async Task ContentAsync(string serial, string clipId, HttpContext http, DockCore core, CancellationToken cancellationToken)
    {
        var clip = serial.Length > 64 || clipId.Length > 80 ? null : await core.Catalog.Clips.FindClipAsync(serial, clipId, cancellationToken);
        if (clip is null)
        {
            await Results.Problem(statusCode: 404, title: "No such clip", detail: $"The catalog holds no clip {clipId} of recorder {serial}.").ExecuteAsync(http);
            return;
        }
        var who = await WhoAsync(http.User, core, cancellationToken);
        if (!await core.Retrievals.MayAsync(who, clip, cancellationToken))
        {
            await core.Retrievals.RefuseAsync(who, clip, $"content: above the clearance of roles {string.Join(",", who.Roles)}", cancellationToken);
            await AboveClearance(clip).ExecuteAsync(http);
            return;
        }
        var retrieval = await core.Retrievals.FindOpenAsync(TokenOf(http), who, clip, cancellationToken);
        if (retrieval is not { Kind: RetrievalKind.View or RetrievalKind.Download })
        {
            await Results.Problem(statusCode: 403, title: "A reason is required",
                detail: "Playing or downloading a clip needs a retrieval of yours for it: POST …/retrievals with kind \"view\" or \"download\", then ?retrieval=TOKEN.")
                .ExecuteAsync(http);
            return;
        }
        var range = ParseRange(http.Request.Headers.Range.ToString(), clip.Size);
        if (range is null)
        {
            http.Response.Headers.ContentRange = $"bytes */{clip.Size}";
            await Results.Problem(statusCode: 416, title: "Range not satisfiable", detail: $"The clip holds {clip.Size} bytes; ask for one range within them.")
                .ExecuteAsync(http);
            return;
        }
        var (from, to, partial) = range.Value;
        if (retrieval.Kind == RetrievalKind.View && to - from + 1 > MaxViewResponse) (to, partial) = (from + MaxViewResponse - 1, true);
        long length = to - from + 1;
        Stream source;
        try
        {
            (source, _) = await core.Content.OpenAsync(clip, from, length, cancellationToken);
        }
        catch (ClipContentException ex)
        {
            await Results.Problem(statusCode: 404, title: "No copy to read", detail: ex.Message).ExecuteAsync(http);
            return;
        }
        await using (source)
        {
            // Recorded before the bytes go: a retrieval is never served without its record (at worst the record names a range cut short).
            if (length > 0) await core.Retrievals.RecordRangeAsync(retrieval, from, to, cancellationToken);
            http.Response.StatusCode = partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
            http.Response.ContentType = ContentType(clip.ClipId);
            http.Response.ContentLength = length;
            http.Response.Headers.AcceptRanges = "bytes";
            http.Response.Headers.CacheControl = "no-store";
            if (partial) http.Response.Headers.ContentRange = $"bytes {from}-{to}/{clip.Size}";
            if (retrieval.Kind == RetrievalKind.Download)
                http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = clip.ClipId }.ToString();
            await source.CopyToAsync(http.Response.Body, 1 << 16, cancellationToken);
        }
    }

    /// <summary>One HTTP byte range ("bytes=A-B", "bytes=A-", "bytes=-N") within a clip of <paramref name="size"/> bytes; none asked: the whole.
    /// Several ranges: the first (players ask for one). Null when it cannot be served (416).</summary>
    internal static (long From, long To, bool Partial)? ParseRange(string header, long size)
    {
        if (string.IsNullOrWhiteSpace(header)) return size == 0 ? (0, -1, false) : (0, size - 1, false);
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || size == 0) return null;
        var first = header[6..].Split(',')[0].Trim();
        var dash = first.IndexOf('-');
        if (dash < 0) return null;
        var (a, b) = (first[..dash].Trim(), first[(dash + 1)..].Trim());
        if (a.Length == 0)
            return long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) && suffix > 0
                ? (Math.Max(0, size - suffix), size - 1, true) : null;
        if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var from) || from >= size) return null;
        if (b.Length == 0) return (from, size - 1, true);
        return long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var to) && to >= from ? (from, Math.Min(to, size - 1), true) : null;
    }

    /// <summary>What the browser is told the clip is, from its name (the dock never rewrites or inspects the evidence).</summary>
    internal static string ContentType(string clipId) => Path.GetExtension(clipId).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => "video/mp4",
        ".mov" => "video/quicktime",
        ".webm" => "video/webm",
        ".mkv" => "video/x-matroska",
        ".ts" => "video/mp2t",
        ".avi" => "video/x-msvideo",
        ".wav" => "audio/wav",
        ".mp3" => "audio/mpeg",
        ".aac" => "audio/aac",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    private static async Task<IResult> SensitivityAsync(string serial, string clipId, SensitivityRequest? request, ClaimsPrincipal user, DockCore core,
        CancellationToken cancellationToken)
    {
        if (request is null || !SensitivityLevels.TryParse(request.Level, out var level))
            return HttpApi.Invalid(("level", $"one of {string.Join(", ", SensitivityLevels.Names)}"));
        var clip = serial.Length > 64 || clipId.Length > 80 ? null : await core.Catalog.Clips.FindClipAsync(serial, clipId, cancellationToken);
        if (clip is null) return Results.Problem(statusCode: 404, title: "No such clip", detail: $"The catalog holds no clip {clipId} of recorder {serial}.");
        try
        {
            var authority = user.IsInRole(Users.Roles.Supervisor) ? SensitivityAuthority.Supervisor : SensitivityAuthority.Officer;
            var mark = await core.Sensitivity.ChangeAsync(clip, level, HttpApi.Actor(user), authority, request.Reason, cancellationToken);
            return Results.Ok(SensitivityView.From(mark));
        }
        catch (SensitivityException ex)
        {
            return HttpApi.Refused(ex.Message, ex.NotFound, ex.Forbidden, "level");
        }
    }

    private static async Task<IResult> AuditAsync(DockCore core, CancellationToken cancellationToken, string? serial, string? clipId, string? user,
        DateTimeOffset? since, int? limit)
    {
        if (limit is < 1 or > 10_000) return HttpApi.Invalid(("limit", "1..10000"));
        var rows = await core.Retrievals.ListAsync(new RetrievalFilter(serial, clipId, user, since), limit ?? 500, cancellationToken);
        return Results.Ok(rows.Select(AuditRow.From).ToList());
    }

    private static async Task<IResult> CaseExportAsync(string caseNumber, CaseExportRequest? request, ClaimsPrincipal user, DockCore core, ClipTagging tagging,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request?.Reason) || Tags.TextProblem(request.Reason, Tags.MaxReasonBytes) is not null)
            return HttpApi.Invalid(("reason", "why the case is exported (1–200 characters of plain text)"));
        var who = await WhoAsync(user, core, cancellationToken);
        // Built in the data folder's tmp/ (never in the vault), zipped into a file that deletes itself once sent, then the folder goes.
        var tmp = Directory.CreateDirectory(Path.Combine(core.Paths.DataDirectory, "tmp"));
        var folder = Path.Combine(tmp.FullName, $"case-{Guid.NewGuid():N}");
        FileStream? zip = null;
        try
        {
            var exports = new CaseExports(core.Catalog, core.Log, core.Content, tagging, new TagStore(core.Catalog.Database), core.Sensitivity, core.Retrievals,
                new BundleSigner(core.Identity.DockId, core.Identity.PublicKey.ToArray(), m => core.Identity.Sign(m)), core.Options.Export.Chromium);
            await exports.ExportAsync(caseNumber, folder, request.Reason.Trim(), who, core.Retrievals.ClearanceOf(who),
                pdf: PdfPrinter.Find(core.Options.Export.Chromium) is not null, cancellationToken);
            zip = new FileStream(Path.Combine(tmp.FullName, $"case-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
                81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            // Stored, not compressed: video does not shrink.
            using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
                foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    var entry = archive.CreateEntry(Path.GetRelativePath(folder, file).Replace('\\', '/'), System.IO.Compression.CompressionLevel.NoCompression);
                    await using var into = await entry.OpenAsync(cancellationToken);
                    await using var from = File.OpenRead(file);
                    await from.CopyToAsync(into, cancellationToken);
                }
            zip.Position = 0;
            return Results.File(zip, "application/zip", $"case-{caseNumber}.zip");
        }
        catch (ExportException ex)
        {
            if (zip is not null) await zip.DisposeAsync();
            return ex.Forbidden ? Results.Problem(statusCode: 403, title: "Above your clearance", detail: ex.Message)
                : ex.NotFound ? Results.Problem(statusCode: 404, title: "No such case", detail: ex.Message)
                : HttpApi.Invalid(("caseNumber", ex.Message));
        }
        catch
        {
            if (zip is not null) await zip.DisposeAsync();
            throw;
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
