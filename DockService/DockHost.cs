using Dock.Service.Bays;
using Dock.Service.Board;
using Dock.Service.Configuration;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dock.Service;

/// <summary>Builds the dock's Generic Host: configuration (appsettings.json → environment → command line →
/// explicit overrides such as --data), validated options, and the bay monitor.</summary>
public static class DockHost
{
    public static IHost Build(string[] configurationArgs, IReadOnlyDictionary<string, string?> overrides, DockActivity activity,
        bool requireBays = true, LogLevel minimumLevel = LogLevel.Information)
    {
        EnsureThreadPoolHeadroom();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = configurationArgs,
            ApplicationName = "dock",
            // The shipped appsettings.json sits beside the binary, whatever the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(overrides);
        if (minimumLevel > LogLevel.Information)
        {
            // Quieter than appsettings.json (the demo draws its own progress): override the configured default.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = minimumLevel.ToString() });
        }
        builder.Services.AddOptions<DockOptions>().Bind(builder.Configuration.GetSection(DockOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DockOptions>>(new DockOptionsValidator { RequireBays = requireBays });
        builder.Services.AddSingleton<IValidateOptions<DockOptions>>(new ConfigurationKeysValidator(builder.Configuration));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(activity);
        builder.Services.AddSingleton<ServiceHealth>();
        // The host logs a start failure and a failed background service with a full stack trace; `dock run` says those in one
        // line itself (a configuration error, exit 2; a fatal stop, exit 1 with the reason), and BayMonitor logs fatal errors.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        // Under systemd: Type=notify readiness and journald log format; under the Windows SCM: a service.
        // Both do nothing when the dock runs in a terminal.
        builder.Services.AddSystemd();
        builder.Services.AddWindowsService(service => service.ServiceName = "Dock");
        builder.Services.AddHostedService<BayMonitor>();
        // The dock board only when one is configured; the simulated pins are a singleton tests can look at.
        switch (builder.Configuration.GetSection("Dock:Board").Get<BoardOptions>()?.Driver ?? BoardDriver.None)
        {
            case BoardDriver.Simulated:
                builder.Services.AddSingleton<SimulatedBoardPins>();
                builder.Services.AddSingleton<IBoardPins>(sp => sp.GetRequiredService<SimulatedBoardPins>());
                builder.Services.AddSingleton<DockBoard>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<DockBoard>());
                break;
            case BoardDriver.Gpio:
                builder.Services.AddSingleton<IBoardPins>(sp => new GpioBoardPins(sp.GetRequiredService<IOptions<DockOptions>>().Value.Board.GpioChip));
                builder.Services.AddSingleton<DockBoard>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<DockBoard>());
                break;
        }
        return builder.Build();
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
