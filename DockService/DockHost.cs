using Dock.Service.Bays;
using Dock.Service.Configuration;
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
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(activity);
        builder.Services.AddHostedService<BayMonitor>();
        return builder.Build();
    }
}
