using Dock.Service.Hosting;
using Microsoft.Extensions.Logging;

namespace Dock.Service.Retrieval;

/// <summary>Closes viewing sessions once their player has been idle for Dock:Retrieval:ViewIdle, each with the `viewed` entry that lists the
/// byte ranges it was served, and judges the retrieval patterns again; looks a few times per idle period, so a session closes at most a
/// quarter period late.</summary>
public sealed class RetrievalWorker(DockCore core, ServiceHealth health, ILogger<RetrievalWorker> logger, TimeProvider time)
    : DockWorker(core, health, logger)
{
    protected override string Part => "retrieval sessions";

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        var every = TimeSpan.FromTicks(Math.Clamp(Core.Options.Retrieval.ViewIdle.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromMinutes(1).Ticks));
        while (true)
        {
            await Core.Retrievals.CloseIdleAsync(all: false, stoppingToken).ConfigureAwait(false);
            // Patterns age out of their window without any new retrieval: judged here too, so their alert resolves.
            await Core.Retrievals.JudgePatternsAsync(stoppingToken).ConfigureAwait(false);
            await Task.Delay(every, time, stoppingToken).ConfigureAwait(false);
        }
    }
}
