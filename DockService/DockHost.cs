using System.Threading.RateLimiting;
using Dock.Service.Api;
using Dock.Service.Bays;
using Dock.Service.Board;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Custody;
using Dock.Service.Identity;
using Dock.Service.Ingest;
using Dock.Service.Metrics;
using Dock.Service.Upload;
using Dock.Service.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dock.Service;

/// <summary>Builds the dock's host: configuration (appsettings.json → environment → command line → explicit overrides such as
/// --data), validated options, the composition root (<see cref="AddDock"/>) and the HTTP API on Kestrel.</summary>
public static class DockHost
{
    /// <param name="canRestart">Whether the caller rebuilds the host when it stops to take a new fleet bundle's settings (`dock run` does,
    /// <see cref="Fleet.FleetRuntime.RestartFor"/>); otherwise a new bundle's settings wait for the next start, with an alert.</param>
    public static IHost Build(string[] configurationArgs, IReadOnlyDictionary<string, string?> overrides, DockActivity activity,
        bool requireBays = true, LogLevel minimumLevel = LogLevel.Information, bool canRestart = false)
    {
        EnsureThreadPoolHeadroom();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = configurationArgs,
            ApplicationName = "dock",
            // The shipped appsettings.json sits beside the binary, whatever the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        // The applied fleet bundle's settings: above appsettings.json, below the environment and the command line (Fleet/FleetSettings).
        var dataDirectory = overrides.GetValueOrDefault("Dock:DataDirectory") ?? builder.Configuration["Dock:DataDirectory"] ?? new DockOptions().DataDirectory;
        var fleet = Fleet.FleetSettings.AddTo(builder.Configuration, dataDirectory);
        builder.Services.AddSingleton(new Fleet.FleetRuntime(fleet?.Applied, fleet?.Settings, canRestart));
        builder.Configuration.AddInMemoryCollection(overrides);
        if (minimumLevel > LogLevel.Information)
        {
            // Quieter than appsettings.json (the demo draws its own progress): override the configured default.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = minimumLevel.ToString() });
        }
        // Bind once here: a value that cannot be converted ("Dock:MaxConcurrentPulls=four") is a typed start error with the key,
        // before any part is built (validation of what binds comes at start, from DockOptionsValidator).
        try
        {
            builder.Configuration.GetSection(DockOptions.Section).Get<DockOptions>();
        }
        catch (InvalidOperationException ex)
        {
            var why = ex.InnerException is FormatException or ArgumentException ? $" {ex.InnerException.Message}." : "";
            throw new DockStartException($"the configuration is not valid: {ex.Message}{why}", ex);
        }
        builder.Services.AddDock(builder.Configuration, activity, requireBays);
        // The host logs a start failure and a failed background service with a full stack trace; `dock run` says those in one
        // line itself (a configuration error, exit 2; a fatal stop, exit 1 with the reason), and each DockWorker logs fatal errors.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // "No XML encryptor configured": the cookie keys sit in a 0700 folder beside the dock key, as the key itself does.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
        // Under systemd: Type=notify readiness and journald log format; under the Windows SCM: a service.
        // Both do nothing when the dock runs in a terminal.
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(service => service.ServiceName = "Dock");
        builder.WebHost.UseUrls((builder.Configuration["Dock:Http:Urls"] is { Length: > 0 } urls ? urls : new HttpOptions().Urls)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        // Kestrel's own addresses (ASPNETCORE_URLS, --urls) would otherwise compete with Dock:Http:Urls.
        builder.WebHost.UseSetting(WebHostDefaults.PreferHostingUrlsKey, "false");

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.Use((context, next) => DockPolicies.RequireCsrfTokenAsync(context, () => next(context)));
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
        app.MapDockApi();
        app.MapDockWeb();
        app.MapDockConsole();
        return app;
    }

    /// <summary>
    /// The composition root: everything `dock run` (and the demo) runs, registered once. Hosted services start in this order and
    /// stop in reverse: the core first (catalog, vault, identity, custody log), then the bays, uploads, checkpoints, the endorsement
    /// watch, metrics and the board; the core closes last with a final checkpoint.
    /// </summary>
    public static IServiceCollection AddDock(this IServiceCollection services, IConfiguration configuration, DockActivity activity, bool requireBays = true)
    {
        services.AddOptions<DockOptions>().Bind(configuration.GetSection(DockOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DockOptions>>(new DockOptionsValidator { RequireBays = requireBays });
        services.AddSingleton<IValidateOptions<DockOptions>>(new ConfigurationKeysValidator(configuration));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(activity);
        services.AddSingleton<ServiceHealth>();
        services.AddSingleton<DockCore>();
        services.AddSingleton<DockMetrics>();
        services.AddSingleton(sp => new Release.ReleaseCoordinator(sp.GetRequiredService<IOptions<DockOptions>>().Value.ReleasePolicy));
        services.AddSingleton<RecheckRequests>();
        services.AddSingleton<Recorders.DockedRecorders>();
        services.AddSingleton<Equipment.Checkouts>();
        // The stores and the opened parts, for the faces (HTTP endpoints, application services): valid once DockCoreStartup has run.
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Catalog.Clips);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Catalog.Lifecycle);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Catalog.Uploads);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Catalog.Recorders);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Catalog.Docking);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Catalog.Alerts);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Vault);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Identity);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Log);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Custody);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Enrolment);
        services.AddSingleton(sp => sp.GetRequiredService<DockCore>().Users);
        services.AddSingleton<Metadata.TagChanges>();
        services.AddSingleton(sp => new Metadata.ClipTagging(sp.GetRequiredService<DockCore>().Catalog.Clips,
            new Metadata.TagStore(sp.GetRequiredService<DockCore>().Catalog.Database), sp.GetRequiredService<DockCore>().Log,
            sp.GetRequiredService<IOptions<DockOptions>>().Value.Metadata, sp.GetRequiredService<Metadata.TagChanges>()));
        services.AddSingleton(sp =>
        {
            // Validated at start (DockOptionsValidator): an unparsable target never gets this far.
            CloudTargetUri.TryParse(sp.GetRequiredService<IOptions<DockOptions>>().Value.Cloud.Target, out var target, out _);
            return new UploadOutbox(target);
        });
        services.AddHostedService<DockCoreStartup>();
        services.AddHostedService<BayMonitor>();
        services.AddHostedService<UploadWorker>();
        services.AddHostedService<CheckpointWorker>();
        services.AddHostedService<EndorsementWorker>();
        services.AddHostedService<Metadata.MissingTagWorker>();
        services.AddHostedService<Equipment.EquipmentWorker>();
        services.AddHostedService<Retention.PurgeWorker>();
        services.AddHostedService<Retrieval.RetrievalWorker>();
        services.TryAddSingleton(new Fleet.FleetRuntime(null, null, canRestart: false));
        services.AddSingleton<Fleet.FleetCounters>();
        services.AddHostedService<Fleet.FleetWorker>();
        services.AddHostedService<MetricsSampler>();
        // The dock board only when one is configured; the simulated pins are a singleton tests can look at.
        switch (configuration.GetSection("Dock:Board").Get<BoardOptions>()?.Driver ?? BoardDriver.None)
        {
            case BoardDriver.Simulated:
                services.AddSingleton<SimulatedBoardPins>();
                services.AddSingleton<IBoardPins>(sp => sp.GetRequiredService<SimulatedBoardPins>());
                services.AddSingleton<DockBoard>();
                services.AddHostedService(sp => sp.GetRequiredService<DockBoard>());
                break;
            case BoardDriver.Gpio:
                services.AddSingleton<IBoardPins>(sp => new GpioBoardPins(sp.GetRequiredService<IOptions<DockOptions>>().Value.Board.GpioChip));
                services.AddSingleton<DockBoard>();
                services.AddHostedService(sp => sp.GetRequiredService<DockBoard>());
                break;
        }

        // HTTP API v1: security, problem details, rate-limited login, the OpenAPI document, metrics.
        var data = configuration["Dock:DataDirectory"] is { Length: > 0 } d ? d : new DockOptions().DataDirectory;
        services.AddDockApiSecurity(DockCore.HttpKeysFolder(DockPaths.From(new DockOptions { DataDirectory = Path.GetFullPath(data) })));
        services.AddProblemDetails();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Ten sign-in attempts a minute per address, on top of the per-account lockout (UserAccounts).
            o.AddPolicy("login", context => RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 10, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            // The kiosk is one address (the dock's own screen) that a whole shift signs in at: more tries a minute, the same lockout.
            o.AddPolicy("kiosk", context => RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 40, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Dock HTTP API";
            document.Info.Version = "v1";
            document.Info.Description = "The dock's data interface (R8). Sign in with POST /api/v1/login (cookie, plus the X-Dock-CSRF header on " +
                "changes) or send Authorization: Bearer TOKEN from `dock users token`. Errors are RFC 9457 problem details.";
            // The document is the same whatever address served it: it is committed as hardware-specs/openapi-v1.json.
            document.Servers?.Clear();
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http, Scheme = "bearer",
                Description = "An API token from `dock users token NAME`, scoped to some of that user's roles.",
            };
            document.Components.SecuritySchemes["cookie"] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey, In = Microsoft.OpenApi.ParameterLocation.Cookie, Name = "dock-session",
                Description = $"The session of POST /api/v1/login; a change also needs the {DockPolicies.CsrfHeader} header it returned.",
            };
            return Task.CompletedTask;
        }).AddOperationTransformer((operation, context, _) =>
        {
            // Each protected operation says which schemes it takes and which roles its policy admits.
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any()) return Task.CompletedTask;
            var policy = metadata.OfType<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null);
            if (policy is null || !DockPolicies.RolesOf.TryGetValue(policy, out var roles)) return Task.CompletedTask;
            // A kiosk session is a cookie that only the badge-and-PIN sign-in gives; no token carries it.
            bool kiosk = policy == DockPolicies.KioskOfficer;
            operation.Security = kiosk
                ? [new() { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("cookie", context.Document)] = [] }]
                :
                [
                    new() { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("bearer", context.Document)] = [] },
                    new() { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("cookie", context.Document)] = [] },
                ];
            operation.Description = ((operation.Description is { Length: > 0 } d ? d + " " : "") +
                (kiosk ? "A kiosk session (POST /api/v1/kiosk/signin)." : $"Roles: {string.Join(", ", roles)}.")).Trim();
            return Task.CompletedTask;
        }));
        var http = configuration.GetSection("Dock:Http").Get<HttpOptions>() ?? new HttpOptions(); // Validated at start.
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("dock")).WithMetrics(metrics =>
        {
            metrics.AddMeter(DockMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
            metrics.AddPrometheusExporter();
            if (http.OtlpEndpoint is { Length: > 0 } otlp && Uri.TryCreate(otlp, UriKind.Absolute, out var endpoint))
            {
                metrics.AddOtlpExporter((exporter, reader) =>
                {
                    exporter.Endpoint = endpoint;
                    exporter.Protocol = http.OtlpProtocol == OtlpProtocol.Grpc
                        ? OpenTelemetry.Exporter.OtlpExportProtocol.Grpc : OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds =
                        (int)Math.Clamp(http.OtlpInterval.TotalMilliseconds, 1_000, 3_600_000);
                });
            }
        });
        return services;
    }

    /// <summary>
    /// The dock blocks pool threads on purpose in a few places (fsync, SQLite commits, which have no real
    /// async form); with the default minimum (one thread per core: 2 on a small dock PC) two such calls
    /// stall every timer and continuation until the pool injects threads, about one per half second.
    /// Measured here: bay lights and progress froze for 0.66 s at a time. A higher floor costs nothing idle.
    /// </summary>
    private static void EnsureThreadPoolHeadroom()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        int wanted = Math.Max(16, Environment.ProcessorCount * 4);
        if (workers < wanted) ThreadPool.SetMinThreads(wanted, io);
    }
}
