using Dock.Service.Board;
using Dock.Service.Configuration;
using Dock.Service.Ingest;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dock.Service.Tests;

/// <summary>The board driver's light patterns and charger switching, on simulated pins and a fake clock.</summary>
public sealed class DockBoardTests
{
    private static DockOptions Options(bool activeLow = false) => new()
    {
        Bays = [new BayOptions { Id = "1", Endpoint = "tcp://127.0.0.1:7001" }],
        Board = new BoardOptions
        {
            Driver = BoardDriver.Simulated, ActiveLow = activeLow,
            Bays = [new BayPinOptions { BayId = "1", RedPin = 1, GreenPin = 2, BluePin = 3, ChargePin = 4 }],
        },
    };

    [Fact]
    public async Task Transferring_BlinksBlueAt2Hz_ChargerOn_ThenDoneSteadyGreen()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero));
        var pins = new SimulatedBoardPins(time);
        var activity = new DockActivity();
        using var board = new DockBoard(Microsoft.Extensions.Options.Options.Create(Options()), pins, activity, NullLogger<DockBoard>.Instance, time);
        await board.StartAsync(CancellationToken.None);

        activity.SetBay("1", b => b with { Phase = BayPhase.Transferring });
        await WaitAsync(() => pins.Level(3));
        Assert.True(pins.Level(4));
        var levels = new List<bool>();
        for (int i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(125));
            await Task.Delay(20);
            levels.Add(pins.Level(3));
        }
        // 2 Hz, 50 % duty, sampled every 125 ms: on, off, off, on, on, off, off, on (a half-period is 250 ms).
        Assert.Equal([true, false, false, true, true, false, false, true], levels);

        activity.SetBay("1", b => b with { Phase = BayPhase.Done });
        await WaitAsync(() => pins.Level(2) && !pins.Level(3));
        time.Advance(TimeSpan.FromSeconds(3));
        await Task.Delay(20);
        Assert.True(pins.Level(2)); // steady
        await board.StopAsync(CancellationToken.None);
        Assert.False(pins.Level(2) || pins.Level(4)); // dark and not charging when the dock stops
    }

    [Fact]
    public async Task ActiveLowBoard_DrivesLinesLowToLight()
    {
        var time = new FakeTimeProvider();
        var pins = new SimulatedBoardPins(time);
        var activity = new DockActivity();
        using var board = new DockBoard(Microsoft.Extensions.Options.Options.Create(Options(activeLow: true)), pins, activity, NullLogger<DockBoard>.Instance, time);
        await board.StartAsync(CancellationToken.None);
        await WaitAsync(() => pins.Level(1) && pins.Level(2) && pins.Level(3) && pins.Level(4)); // all off = all high
        activity.SetBay("1", b => b with { Phase = BayPhase.Error });
        await WaitAsync(() => !pins.Level(1) && !pins.Level(4)); // red lit, charger on: low
        await board.StopAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData(BayPhase.Empty, BayLight.Empty)]
    [InlineData(BayPhase.Identifying, BayLight.Charging)]
    [InlineData(BayPhase.Verifying, BayLight.Transferring)]
    [InlineData(BayPhase.Attention, BayLight.Attention)]
    [InlineData(BayPhase.Error, BayLight.Error)]
    public void EveryPhaseHasALight(BayPhase phase, BayLight light) => Assert.Equal(light, BayLights.For(new BaySnapshot("1", phase)));

    [Fact]
    public void ACameraCheckedOutAtTheKiosk_LightsTakeMe_UntilItLeaves()
    {
        var picked = new BaySnapshot("1", BayPhase.Done, "DSJ-1", PickedFor: "P200001");
        Assert.Equal(BayLight.TakeMe, BayLights.For(picked));
        Assert.Equal(new LightPattern(LedColor.Green | LedColor.Blue, 3), BayLights.Pattern(BayLight.TakeMe));
        // Distinct from every other light the officer reads.
        Assert.All(Enum.GetValues<BayLight>().Where(l => l != BayLight.TakeMe), l => Assert.NotEqual(BayLights.Pattern(BayLight.TakeMe), BayLights.Pattern(l)));
        Assert.Equal(BayLight.Empty, BayLights.For(picked with { Phase = BayPhase.Empty }));
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
