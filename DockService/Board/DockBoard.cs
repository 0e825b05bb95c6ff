using Dock.Service.Configuration;
using Dock.Service.Ingest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dock.Service.Board;

/// <summary>
/// Drives the dock board from what the bays are doing: each bay's RGB light (colour and blink rate per
/// hardware-specs/dock-board.md) and its charge switch. Re-evaluated on every bay change and ticked at
/// 8 Hz for blinking. Keeps the sequence of lights each bay showed (for tests and diagnostics).
/// </summary>
public sealed partial class DockBoard(IOptions<DockOptions> options, IBoardPins pins, DockActivity activity, ILogger<DockBoard> logger, TimeProvider time)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(125);
    private readonly BoardOptions _board = options.Value.Board;
    private readonly Dictionary<string, (BayLight Light, DateTimeOffset Since)> _shown = new(StringComparer.Ordinal);
    private readonly List<(string BayId, BayLight Light)> _history = [];
    private readonly Lock _lock = new();

    /// <summary>Every light each bay showed, in order (a bay's first entry is its start-up state).</summary>
    public IReadOnlyList<(string BayId, BayLight Light)> History
    {
        get { lock (_lock) return [.. _history]; }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var bay in _board.Bays)
        {
            foreach (var pin in new[] { bay.RedPin, bay.GreenPin, bay.BluePin, bay.ChargePin }) pins.OpenOutput(pin);
            Apply(bay, LedColor.Off, charging: false);
        }
        LogReady(logger, _board.Driver.ToString(), _board.Bays.Count);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var changed = activity.NextChangeAsync();
            var now = time.GetUtcNow();
            var bays = activity.Bays.ToDictionary(b => b.BayId, StringComparer.Ordinal);
            foreach (var bay in _board.Bays)
            {
                var snapshot = bays.GetValueOrDefault(bay.BayId) ?? new BaySnapshot(bay.BayId, BayPhase.Empty);
                var light = BayLights.For(snapshot);
                DateTimeOffset since;
                lock (_lock)
                {
                    if (!_shown.TryGetValue(bay.BayId, out var shown) || shown.Light != light)
                    {
                        _shown[bay.BayId] = (light, now);
                        _history.Add((bay.BayId, light));
                        shown = (light, now);
                    }
                    since = shown.Since;
                }
                Apply(bay, BayLights.Pattern(light).At(now - since), BayLights.Charging(snapshot));
            }
            try
            {
                await Task.WhenAny(changed, Task.Delay(Tick, time, stoppingToken));
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>All lights off and chargers off when the dock stops: a dark board means "not managed".</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var bay in _board.Bays) Apply(bay, LedColor.Off, charging: false);
    }

    private void Apply(BayPinOptions bay, LedColor color, bool charging)
    {
        // Active-low boards light an LED (or close a charge switch) by driving the line low.
        bool Level(bool on) => on != _board.ActiveLow;
        // The charger first: when one update takes a bay straight from empty to transferring (the recorder identified
        // between two board ticks), the contacts are live before any light says a recorder is being worked on.
        pins.Write(bay.ChargePin, Level(charging));
        pins.Write(bay.RedPin, Level(color.HasFlag(LedColor.Red)));
        pins.Write(bay.GreenPin, Level(color.HasFlag(LedColor.Green)));
        pins.Write(bay.BluePin, Level(color.HasFlag(LedColor.Blue)));
    }

    public override void Dispose()
    {
        pins.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Dock board ({Driver}): {Bays} bay(s) with light and charger")]
    private static partial void LogReady(ILogger logger, string driver, int bays);
}
