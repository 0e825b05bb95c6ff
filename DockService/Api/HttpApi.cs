using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Alerts;
using Dock.Service.Catalog;
using Dock.Service.Enrolment;
using Dock.Service.Exports;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Dock.Service.Api;

/// <summary>
/// HTTP API v1 (hardware-specs/openapi-v1.json), served by `dock run`. Every handler parses, calls the dock's application services
/// (<see cref="DockCore"/>, <see cref="AlertDesk"/>, enrolment, users) and renders; none changes state itself. Each endpoint names its
/// policy (<see cref="DockPolicies"/>); errors are RFC 9457 problem details that name the field, never a stack trace.
/// </summary>
public static class HttpApi
{
    public const int DefaultPageSize = 50;

    public static void MapDockApi(this WebApplication app)
    {
        app.MapGet("/healthz", Health).AllowAnonymous().Produces<ProbeResult>().Produces<ProbeResult>(503).WithTags("probes").WithSummary("Liveness: the dock process runs and no part of it has failed.");
        app.MapGet("/readyz", ReadyAsync).AllowAnonymous().Produces<ProbeResult>().Produces<ProbeResult>(503).WithTags("probes").WithSummary("Readiness: catalog open, vault writable, cloud reachable.");

        var api = app.MapGroup("/api/v1").WithTags("v1");
        api.MapPost("/login", LoginAsync).AllowAnonymous().RequireRateLimiting("login").Produces<SignInResult>().ProducesProblem(401)
            .ProducesValidationProblem().ProducesProblem(429)
            .WithSummary("Sign in with a name and password: sets the session cookie and returns the CSRF token for changes.");
        api.MapPost("/logout", LogoutAsync).RequireAuthorization(DockPolicies.Anyone).WithSummary("End the cookie session.");
        api.MapGet("/me", Me).RequireAuthorization(DockPolicies.Anyone).WithSummary("Who is signed in, with which roles.");
        api.MapDockPeople();
        api.MapDockMetadata();
        api.MapDockRetention();
        api.MapDockRegistry();
        api.MapDockEquipment();
        api.MapDockRetrieval();
        api.MapDockFleet();

        api.MapGet("/bays", Bays).RequireAuthorization(DockPolicies.Anyone).WithSummary("Every bay's live state.");
        api.MapGet("/bays/stream", BayStream).RequireAuthorization(DockPolicies.Anyone).Produces<IReadOnlyList<Bay>>(200, "text/event-stream")
            .WithSummary("Server-Sent Events: the bays' state now, then again at every change.");

        api.MapGet("/clips", SearchClipsAsync).RequireAuthorization(DockPolicies.ReadClips).Produces<PageOf<Clip>>().ProducesValidationProblem().WithSummary("Clips, newest first, paged and filtered on the server.");
        api.MapGet("/clips/{serial}/{clipId}", ClipAsync).RequireAuthorization(DockPolicies.ReadClips).AddEndpointFilter(RetrievalApi.GateAsync).Produces<ClipDetail>().ProducesProblem(404).WithSummary("One clip, with its history and every custody entry that names it.");
        api.MapGet("/clips/{serial}/{clipId}/manifest", ManifestAsync).RequireAuthorization(DockPolicies.ReadClips).AddEndpointFilter(RetrievalApi.GateAsync).Produces(200, contentType: "application/json")
            .ProducesProblem(404)
            .WithSummary("The clip's signed manifest (clip-manifest-v1.md), as the vault holds it.");
        api.MapPost("/clips/{serial}/{clipId}/verify", VerifyAsync).RequireAuthorization(DockPolicies.ReadClips).AddEndpointFilter(RetrievalApi.GateAsync).Produces<Verification>().ProducesProblem(404)
            .WithSummary("Verify the vault copy now, as `dock verify` does offline: its hash, the dock's signature on its manifest, the recorder's " +
                "record-time signature and the custody proof, each check with its result.");
        api.MapGet("/clips/{serial}/{clipId}/proof", ProofAsync).RequireAuthorization(DockPolicies.ReadClips).AddEndpointFilter(RetrievalApi.GateAsync).Produces<Proof>().ProducesProblem(404)
            .ProducesProblem(409)
            .WithSummary("The clip's stored custody entry and its inclusion proof in the newest signed checkpoint.");

        api.MapGet("/alerts", AlertsAsync).RequireAuthorization(DockPolicies.ReadAlerts).Produces<PageOf<Alert>>().ProducesValidationProblem().WithSummary("Alerts, newest first, paged; ?open=true for open ones.");
        api.MapPost("/alerts/{id:long}/acknowledge", AcknowledgeAsync).RequireAuthorization(DockPolicies.AcknowledgeAlerts).Produces<Alert>()
            .ProducesValidationProblem().ProducesProblem(404)
            .WithSummary("Acknowledge an alert with a reason: a custody event whose actor is the caller.");

        api.MapGet("/recorders", RecordersAsync).RequireAuthorization(DockPolicies.ReadRecorders).WithSummary("The enrolment list, revoked keys included.");
        api.MapPost("/recorders", EnrolAsync).RequireAuthorization(DockPolicies.ManageRecorders).Produces(201).Produces(200).ProducesValidationProblem()
            .ProducesProblem(409).WithSummary("Enrol a recorder's key.");
        api.MapPost("/recorders/{serial}/revoke", RevokeAsync).RequireAuthorization(DockPolicies.ManageRecorders).Produces(204).ProducesValidationProblem()
            .ProducesProblem(404)
            .WithSummary("Revoke a recorder's key with a reason: its footage is held, never released.");

        api.MapGet("/custody/checkpoint", CheckpointAsync).RequireAuthorization(DockPolicies.ReadCustody).Produces<SignedCheckpoint>().ProducesProblem(404)
            .WithSummary("The newest signed checkpoint (a C2SP signed note).");
        api.MapGet("/custody/entries", EntriesAsync).RequireAuthorization(DockPolicies.ReadCustody).Produces<List<Entry>>().ProducesValidationProblem()
            .WithSummary("Custody entries by index range, in their exact bytes (custody-log-v1.md).");
        api.MapGet("/custody/consistency", Consistency).RequireAuthorization(DockPolicies.ReadCustody).Produces<ConsistencyProof>().ProducesValidationProblem()
            .WithSummary("A consistency proof between two tree sizes.");
        api.MapGet("/custody/export", LogExportAsync).RequireAuthorization(DockPolicies.ExportCustody).Produces(200, contentType: "application/zip")
            .WithSummary("The whole custody log as a ZIP (entries, checkpoints, the dock's public key), for `dock log verify`. " +
                "The export is itself a custody entry naming who downloaded it.");
        api.MapPost("/custody/verify", VerifyExportAsync).RequireAuthorization(DockPolicies.ReadCustody).Accepts<byte[]>("application/zip")
            .Produces<LogVerification>().ProducesProblem(400).ProducesProblem(413)
            .WithSummary("Verify a custody log export (the ZIP of /custody/export) against this dock's keys, as `dock log verify` does: each " +
                "checkpoint's signature, its root over the entries, consistency between checkpoints, and every entry's form and index.");
    }

    // ---- probes -------------------------------------------------------------------------------------------------------------

    private static IResult Health(ServiceHealth health) => health.Failure is { } failure
        ? Results.Json(new ProbeResult(false, new Dictionary<string, string> { ["dock"] = failure }), statusCode: 503)
        : Results.Json(new ProbeResult(true, new Dictionary<string, string> { ["dock"] = "running" }));

    private static async Task<IResult> ReadyAsync(DockCore core, DockActivity activity, CancellationToken cancellationToken)
    {
        var checks = new Dictionary<string, string>();
        bool ready = core.IsOpen;
        if (!core.IsOpen)
        {
            checks["catalog"] = "not open yet";
            return Results.Json(new ProbeResult(false, checks), statusCode: 503);
        }
        try
        {
            await core.Catalog.Clips.CountClipsByStateAsync(cancellationToken);
            checks["catalog"] = "open";
        }
        catch (Exception ex) when (ex is StorageException)
        {
            (ready, checks["catalog"]) = (false, ex.Message);
        }
        var probe = Path.Combine(core.Vault.DataDirectory, "vault", $".ready-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(probe)!);
            await File.WriteAllBytesAsync(probe, [1], cancellationToken);
            File.Delete(probe);
            checks["vault"] = "writable";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            (ready, checks["vault"]) = (false, ex.Message);
        }
        if (activity.CloudProblem is { } cloud) (ready, checks["cloud"]) = (false, cloud);
        else checks["cloud"] = core.Cloud is null ? "none configured" : "reachable";
        return Results.Json(new ProbeResult(ready, checks), statusCode: ready ? 200 : 503);
    }

    // ---- sign-in ------------------------------------------------------------------------------------------------------------

    private static async Task<IResult> LoginAsync(LoginRequest? request, HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        if (request is null || string.IsNullOrEmpty(request.Name) || string.IsNullOrEmpty(request.Password))
            return Invalid(("name", "name and password are required"));
        var user = await core.Users.LoginAsync(request.Name, request.Password, cancellationToken);
        if (user is null)
            return Results.Problem(statusCode: 401, title: "Sign-in refused",
                detail: "Wrong name or password, or the account is disabled or locked (five failures in a row lock it for 15 minutes).");
        var csrf = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        await context.SignInAsync(DockPolicies.CookieScheme, DockPolicies.Principal(user, DockPolicies.CookieScheme, csrf));
        // The person's own choice of language follows them to any browser they sign in at.
        if (user.Language is { } language) Web.WebText.Remember(context.Response, language);
        return Results.Ok(new SignInResult(user.Name, user.Roles, csrf));
    }

    // (The principal parameter keeps this a route handler whose result is written, not a bare RequestDelegate.)
    private static async Task<IResult> LogoutAsync(HttpContext context, ClaimsPrincipal user)
    {
        await context.SignOutAsync(DockPolicies.CookieScheme);
        return Results.NoContent();
    }

    private static Me Me(ClaimsPrincipal user) =>
        new(user.Identity!.Name!, [.. user.FindAll(ClaimTypes.Role).Select(c => c.Value)], user.Identity.AuthenticationType ?? "");

    // ---- bays ---------------------------------------------------------------------------------------------------------------

    private static IReadOnlyList<Bay> Bays(DockActivity activity) => [.. activity.Bays.Select(Bay.From)];

    private static IResult BayStream(DockActivity activity, HttpContext context, IHostApplicationLifetime lifetime) =>
        TypedResults.ServerSentEvents(BayChangesAsync(activity, UntilStopping(context, lifetime)), eventType: "bays");

    /// <summary>
    /// A stream's token: the client left, or the dock is stopping. Kestrel waits for open requests when the host stops, and a
    /// stream never ends by itself: without this a dock with a kiosk or a dashboard open would take its whole shutdown timeout.
    /// </summary>
    internal static CancellationToken UntilStopping(HttpContext context, IHostApplicationLifetime lifetime)
    {
        var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        context.Response.RegisterForDispose(linked);
        return linked.Token;
    }

    private static async IAsyncEnumerable<IReadOnlyList<Bay>> BayChangesAsync(DockActivity activity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            // Take the change signal before the snapshot, so a change in between is not missed.
            var changed = activity.NextChangeAsync();
            yield return Bays(activity);
            try
            {
                await changed.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    // ---- clips --------------------------------------------------------------------------------------------------------------

    private static async Task<IResult> SearchClipsAsync(DockCore core, ClaimsPrincipal user, CancellationToken cancellationToken, int? page, int? pageSize,
        string? serial, string? state, string? officer, DateTimeOffset? from, DateTimeOffset? to, string? cloud)
    {
        if (Paging(page, pageSize) is { } bad) return bad;
        CloudState? parsedCloud = null;
        if (cloud is not null)
        {
            if (!Enum.TryParse<CloudState>(cloud, ignoreCase: true, out var cs) || !Enum.IsDefined(cs))
                return Invalid(("cloud", $"'{cloud}' is not a cloud state ({string.Join(", ", Enum.GetNames<CloudState>().Select(n => n.ToLowerInvariant()))})"));
            parsedCloud = cs;
        }
        if (officer is not null && !Identifier.IsValid(officer)) return Invalid(("officer", "not an officer id (badge number)"));
        if (from is not null && to is not null && to <= from) return Invalid(("to", "after from"));
        ClipState? parsedState = null;
        if (state is not null)
        {
            if (!Enum.TryParse<ClipState>(state, ignoreCase: true, out var s) || !Enum.IsDefined(s))
                return Invalid(("state", $"'{state}' is not a clip state ({string.Join(", ", Enum.GetNames<ClipState>().Select(n => n.ToLowerInvariant()))})"));
            parsedState = s;
        }
        if (serial is not null && !Identifier.IsValid(serial)) return Invalid(("serial", "not a recorder serial"));
        var clearance = core.Retrievals.ClearanceOf(await RetrievalApi.WhoAsync(user, core, cancellationToken));
        var result = await core.Catalog.Clips.SearchClipsAsync(new ClipFilter(serial, parsedState, officer, from, to, parsedCloud,
            [.. clearance.Levels.Select(Retrieval.SensitivityLevels.Name)]), page ?? 1, pageSize ?? DefaultPageSize, cancellationToken);
        return Results.Ok(new PageOf<Clip>([.. result.Items.Select(Clip.From)], result.Page, result.PageSize, result.Total));
    }

    private static async Task<IResult> ClipAsync(string serial, string clipId, DockCore core, CancellationToken cancellationToken) =>
        await FindAsync(core, serial, clipId, cancellationToken) is { } clip
            ? Results.Ok(ClipDetail.From(clip, await core.Catalog.Clips.ClipHistoryAsync(clip.Id, cancellationToken),
                await core.Log.ReadClipEntriesAsync(clip.RecorderSerial, clip.ClipId, cancellationToken)))
            : ClipNotFound(serial, clipId);

    private static async Task<IResult> ManifestAsync(string serial, string clipId, DockCore core, CancellationToken cancellationToken)
    {
        var clip = await FindAsync(core, serial, clipId, cancellationToken);
        if (clip is null) return ClipNotFound(serial, clipId);
        if (clip.ManifestPath is not { } relative || !File.Exists(core.Vault.Resolve(relative)))
            return Results.Problem(statusCode: 404, title: "No manifest", detail: $"{serial}/{clipId} has no manifest yet: it is written when the clip is verified.");
        return Results.File(core.Vault.Resolve(relative), "application/json");
    }

    private static async Task<IResult> ProofAsync(string serial, string clipId, DockCore core, CancellationToken cancellationToken)
    {
        var clip = await FindAsync(core, serial, clipId, cancellationToken);
        if (clip is null) return ClipNotFound(serial, clipId);
        if (clip.CustodyIndex is not { } index)
            return Results.Problem(statusCode: 404, title: "Not stored yet", detail: $"{serial}/{clipId} has no stored custody entry yet.");
        var checkpoint = await core.Log.LatestCheckpointAsync(cancellationToken);
        if (checkpoint is not { } latest || latest.Size <= index)
            return Results.Problem(statusCode: 409, title: "Not checkpointed yet",
                detail: $"No signed checkpoint covers custody entry {index} yet; one follows within Dock:CheckpointInterval.");
        var entry = await core.Log.ReadEntryAsync(index, cancellationToken);
        return Results.Ok(new Proof(index, latest.Size, [.. core.Log.InclusionProof(index, latest.Size).Select(Convert.ToHexStringLower)],
            Encoding.UTF8.GetString(entry.ToBytes()), latest.Note));
    }

    private static async Task<IResult> VerifyAsync(string serial, string clipId, DockCore core, CancellationToken cancellationToken)
    {
        var clip = await FindAsync(core, serial, clipId, cancellationToken);
        if (clip is null) return ClipNotFound(serial, clipId);
        if (clip.PurgedAt is { } purged)
            return Results.Problem(statusCode: 409, title: "Vault copy purged",
                detail: $"{serial}/{clipId}: its vault copy was purged at {purged:u} (custody entry {clip.PurgedIndex}) once its cloud copy was verified; " +
                "check the cloud copy with `dock verify` against the manifest there.");
        if (clip.VaultPath is not { } relative || clip.ManifestPath is not { } manifest)
            return Results.Problem(statusCode: 404, title: "Nothing to verify yet",
                detail: $"{serial}/{clipId} has no verified vault copy with a manifest (state {clip.State.ToDb()}).");
        // The dock's own key is the trusted one here: the dock checks its own records. An auditor uses dock verify with the agency's copy.
        var path = core.Vault.Resolve(relative);
        var report = await Evidence.ClipVerifier.VerifyAsync(path, core.Vault.Resolve(manifest), core.Identity.PublicKey.ToArray(),
            cancellationToken, core.Vault.EncryptedId(path) is null ? null : () => core.Vault.OpenRead(path));
        return Results.Ok(Verification.From(report));
    }

    // ---- alerts -------------------------------------------------------------------------------------------------------------

    private static async Task<IResult> AlertsAsync(DockCore core, CancellationToken cancellationToken, int? page, int? pageSize, bool? open)
    {
        if (Paging(page, pageSize) is { } bad) return bad;
        var result = await new AlertDesk(core.Catalog.Alerts, core.Log).ListAsync(open, page ?? 1, pageSize ?? DefaultPageSize, cancellationToken);
        return Results.Ok(new PageOf<Alert>([.. result.Items.Select(Alert.From)], result.Page, result.PageSize, result.Total));
    }

    private static async Task<IResult> AcknowledgeAsync(long id, AcknowledgeRequest? request, ClaimsPrincipal user, DockCore core,
        CancellationToken cancellationToken)
    {
        try
        {
            var alert = await new AlertDesk(core.Catalog.Alerts, core.Log).AcknowledgeAsync(id, Actor(user), request?.Reason ?? "", cancellationToken);
            return Results.Ok(Alert.From(alert));
        }
        catch (AlertException ex)
        {
            return ex.NotFound ? Results.Problem(statusCode: 404, title: "No such alert", detail: ex.Message) : Invalid(("reason", ex.Message));
        }
    }

    // ---- recorders ----------------------------------------------------------------------------------------------------------

    private static async Task<IReadOnlyList<RecorderKey>> RecordersAsync(DockCore core, CancellationToken cancellationToken) =>
        [.. (await core.Catalog.Recorders.ListRecorderKeysAsync(cancellationToken)).Select(RecorderKey.From)];

    private static async Task<IResult> EnrolAsync(EnrolRequest? request, ClaimsPrincipal user, DockCore core, CancellationToken cancellationToken)
    {
        if (request is null || !Identifier.IsValid(request.Serial)) return Invalid(("serial", "a recorder serial (1–64 of A–Z a–z 0–9 . _ -) is required"));
        if (!Hex.TryParse(request.PublicKey, 32, out var key)) return Invalid(("publicKey", "the recorder's Ed25519 public key as 64 hex digits"));
        try
        {
            var added = await core.Enrolment.EnrolAsync(request.Serial!, key, "HTTP API", Actor(user), request.Replace, cancellationToken);
            return added ? Results.Created($"/api/v1/recorders/{request.Serial}", null) : Results.Ok();
        }
        catch (EnrolmentException ex)
        {
            return Results.Problem(statusCode: 409, title: "Not enrolled", detail: ex.Message);
        }
    }

    private static async Task<IResult> RevokeAsync(string serial, RevokeRequest? request, ClaimsPrincipal user, DockCore core, CancellationToken cancellationToken)
    {
        var reason = request?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 300 || reason.Any(char.IsControl)) return Invalid(("reason", "one line of 1–300 characters"));
        return await core.Enrolment.RevokeAsync(serial, reason, Actor(user), cancellationToken)
            ? Results.NoContent()
            : Results.Problem(statusCode: 404, title: "Nothing to revoke", detail: $"Recorder {serial} has no enrolled key.");
    }

    // ---- custody ------------------------------------------------------------------------------------------------------------

    private static async Task<IResult> CheckpointAsync(DockCore core, CancellationToken cancellationToken) =>
        await core.Log.LatestCheckpointAsync(cancellationToken) is { } latest
            ? Results.Ok(new SignedCheckpoint(latest.Size, latest.Note))
            : Results.Problem(statusCode: 404, title: "No checkpoint yet", detail: "The dock has signed no checkpoint yet.");

    private static async Task<IResult> EntriesAsync(DockCore core, CancellationToken cancellationToken, long? from, int? count)
    {
        if (from is < 0) return Invalid(("from", "an entry index, 0 or more"));
        if (count is < 1 or > 1000) return Invalid(("count", "1..1000"));
        var entries = await core.Log.ReadRangeAsync(from ?? 0, count ?? 100, cancellationToken);
        return Results.Ok(entries.Select(e => new Entry(e.Index, Encoding.UTF8.GetString(e.Entry))).ToList());
    }

    private static IResult Consistency(DockCore core, long from, long to)
    {
        if (from < 1 || to < from || to > core.Log.Size) return Invalid(("from", $"need 1 ≤ from ≤ to ≤ {core.Log.Size} (the log's size)"));
        return Results.Ok(new ConsistencyProof(from, to, [.. core.Log.ConsistencyProof(from, to).Select(Convert.ToHexStringLower)]));
    }

    private static async Task<IResult> LogExportAsync(ClaimsPrincipal user, DockCore core, CancellationToken cancellationToken)
    {
        // Built in a file that deletes itself when the response is sent (or abandoned): a long log is never held in memory whole.
        var folder = Directory.CreateDirectory(Path.Combine(core.Paths.DataDirectory, "tmp"));
        var zip = new FileStream(Path.Combine(folder.FullName, $"export-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None,
            81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var (entries, _) = await new LogExports(core.Catalog.Database, core.Log, core.Identity.PublicKey.ToArray())
                .ExportZipAsync(zip, Actor(user), cancellationToken);
            zip.Position = 0;
            return Results.File(zip, "application/zip", $"custody-{core.Identity.DockId}-{entries}.zip");
        }
        catch
        {
            await zip.DisposeAsync();
            throw;
        }
    }

    /// <summary>The largest export the console verifies; a larger log is verified with `dock log verify` on the folder.</summary>
    public const long MaxVerifyUpload = 256L * 1024 * 1024;

    private static async Task<IResult> VerifyExportAsync(HttpContext context, DockCore core, CancellationToken cancellationToken)
    {
        static IResult TooLarge() => Results.Problem(statusCode: 413, title: "Too large",
            detail: $"The console verifies exports up to {MaxVerifyUpload / (1024 * 1024)} MiB; use `dock log verify` on the unzipped folder for this one.");
        if (context.Request.ContentLength > MaxVerifyUpload) return TooLarge();
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxVerifyUpload;
        // Spooled to a file that deletes itself: a ZIP is read by seeking, and an upload is never held in memory whole.
        var folder = Directory.CreateDirectory(Path.Combine(core.Paths.DataDirectory, "tmp"));
        await using var spool = new FileStream(Path.Combine(folder.FullName, $"verify-{Guid.NewGuid():N}.zip"), FileMode.CreateNew, FileAccess.ReadWrite,
            FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await context.Request.Body.CopyToAsync(spool, cancellationToken);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == 413)
        {
            return TooLarge();
        }
        spool.Position = 0;
        List<byte[]> entries;
        List<string> notes;
        byte[]? shipped;
        try
        {
            (entries, notes, shipped) = await Evidence.LogExport.ReadZipAsync(spool, cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            return Results.Problem(statusCode: 400, title: "Not a custody log export", detail: ex.Message);
        }
        var keys = Identity.DockKey.OwnPublicKeys(core.Paths, core.Identity.PublicKey.Span);
        var report = Evidence.LogVerifier.Verify(entries, notes, keys, keysTrusted: true);
        // The key the export carries is only a hint: it is checked against this dock's own, never trusted.
        var shippedStep = new VerificationStep("export's dock.pem", shipped is not null && keys.Any(k => k.AsSpan().SequenceEqual(shipped)),
            shipped is null ? "the export carries no dock.pem" : keys.Any(k => k.AsSpan().SequenceEqual(shipped))
                ? "the key the export carries is this dock's" : "the key the export carries is not this dock's: it is another dock's log, or a forged one");
        return Results.Ok(new LogVerification(report.Outcome.ToString().ToLowerInvariant(), report.Entries, report.Checkpoints, report.CommittedEntries,
            [shippedStep, .. report.Steps.Select(s => new VerificationStep(s.Name, s.Ok, s.Detail))]));
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------------

    /// <summary>The custody actor for a person acting through the API: their user name, marked as such.</summary>
    internal static string Actor(ClaimsPrincipal user) => $"{user.Identity!.Name}@api";

    private static IResult? Paging(int? page, int? pageSize) =>
        page is < 1 ? Invalid(("page", "1 or more"))
        : pageSize is < 1 or > ClipStore.MaxPageSize ? Invalid(("pageSize", $"1..{ClipStore.MaxPageSize}"))
        : null;

    private static async Task<ClipRecord?> FindAsync(DockCore core, string serial, string clipId, CancellationToken cancellationToken) =>
        serial.Length > 64 || clipId.Length > 80 ? null : await core.Catalog.Clips.FindClipAsync(serial, clipId, cancellationToken);

    private static IResult ClipNotFound(string serial, string clipId) =>
        Results.Problem(statusCode: 404, title: "No such clip", detail: $"The catalog holds no clip {clipId} of recorder {serial}.");

    /// <summary>A domain refusal as a problem: 404 (what was named does not exist), 403 (the caller may not), else 400 on <paramref name="field"/>.</summary>
    internal static IResult Refused(string message, bool notFound, bool forbidden, string field, string notFoundTitle = "Not found",
        string forbiddenTitle = "Not allowed") =>
        notFound ? Results.Problem(statusCode: 404, title: notFoundTitle, detail: message)
        : forbidden ? Results.Problem(statusCode: 403, title: forbiddenTitle, detail: message)
        : Invalid((field, message));

    internal static IResult Invalid(params (string Field, string Problem)[] problems) =>
        Results.ValidationProblem(problems.ToDictionary(p => p.Field, p => new[] { p.Problem }), title: "The request is not valid");
}
