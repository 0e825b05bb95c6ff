using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.Simulator.Recorders;
using Microsoft.Extensions.Time.Testing;

namespace Dock.Simulator.Tests;

public sealed class RecorderTests
{
    [Fact]
    public void SyntheticContent_ReadAtAnyOffset_EqualsSliceOfFullRead()
    {
        var content = new SyntheticContent(99);
        var full = new byte[300_000];
        content.Read(0, full);

        foreach (var (offset, length) in new[] { (0L, 1), (65_535L, 2), (65_536L, 65_536), (100_001L, 150_000), (299_999L, 1) })
        {
            var part = new byte[length];
            content.Read(offset, part);
            Assert.Equal(full.AsSpan((int)offset, length).ToArray(), part);
        }
    }

    [Fact]
    public void SyntheticContent_BlocksDiffer_SoAShiftedChunkChangesTheHash()
    {
        var content = new SyntheticContent(5);
        var a = new byte[SyntheticContent.BlockSize];
        var b = new byte[SyntheticContent.BlockSize];
        content.Read(0, a);
        content.Read(SyntheticContent.BlockSize, b);
        Assert.NotEqual(a, b);
        var other = new byte[SyntheticContent.BlockSize];
        new SyntheticContent(6).Read(0, other);
        Assert.NotEqual(a, other);
    }

    [Fact]
    public async Task CreateAsync_SameSeed_SameClipsAndHashesMadeFromTheBytes()
    {
        var options = new RecorderOptions { Serial = "DSJ-X-1", Seed = 42, ClipCount = 3, MinClipSize = 10_000, MaxClipSize = 200_000 };
        // Same clock too: clip ids carry the recording time, and a second may tick between the two.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 18, 0, 0, TimeSpan.Zero));
        using var one = await SimulatedRecorder.CreateAsync(options, time);
        using var two = await SimulatedRecorder.CreateAsync(options, time);

        Assert.Equal(one.Clips.Select(c => (c.ClipId, c.Size, Sha256.ToHex(c.Sha256))), two.Clips.Select(c => (c.ClipId, c.Size, Sha256.ToHex(c.Sha256))));
        foreach (var clip in one.Clips)
        {
            var bytes = new byte[clip.Size];
            Assert.Equal((int)clip.Size, await one.ReadClipAsync(clip.ClipId, 0, bytes, CancellationToken.None));
            Assert.Equal(clip.Sha256, Sha256.Hash(bytes));
        }
    }

    [Fact]
    public async Task CreateAsync_ClipFolder_ServesRealFiles()
    {
        var dir = Directory.CreateTempSubdirectory("dock-sim-clips-");
        try
        {
            var data = new byte[123_456];
            new Random(3).NextBytes(data);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "A.MP4"), data);
            using var recorder = await SimulatedRecorder.CreateAsync(new RecorderOptions { Serial = "DSJ-F-1", ClipFolder = dir.FullName });

            var clip = Assert.Single(recorder.Clips);
            Assert.EndsWith(".MP4", clip.ClipId, StringComparison.Ordinal);
            Assert.Equal(Sha256.Hash(data), clip.Sha256);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Battery_ChargesWhileLinked_DrainsOutOfTheBay()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var recorder = await SimulatedRecorder.CreateAsync(new RecorderOptions { Serial = "DSJ-B-1", ClipCount = 0, FullChargeHours = 2, BatteryCycles = 200 }, time);
        var start = recorder.GetPower();
        time.Advance(TimeSpan.FromMinutes(30));
        var out_ = recorder.GetPower();
        Assert.Equal(ChargeState.Discharging, out_.State);
        // Recording draws 7 %/h of a new pack; 200 cycles have faded it to 92 %: 3.8 points in half an hour.
        Assert.InRange(out_.Percent, start.Percent - 5, start.Percent - 3);

        recorder.OnLinkChanged(true);
        time.Advance(TimeSpan.FromMinutes(12)); // 50 %/h below 80 % when new; 200 cycles of resistance growth slow it to 45 %/h: 9 points
        var charging = recorder.GetPower();
        Assert.Equal(ChargeState.Charging, charging.State);
        Assert.InRange(charging.Percent, out_.Percent + 8, out_.Percent + 10);

        time.Advance(TimeSpan.FromHours(10));
        Assert.Equal(ChargeState.Full, recorder.GetPower().State);
        Assert.Equal(100, recorder.GetPower().Percent);
        Assert.True(recorder.Battery.Cycles > 200); // charging counts cycles
    }

    [Fact]
    public async Task FaultyBatteries_AFewPacksFailInKnownWays_TheirOwnHealthFigureSaysNothing()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var fleet = await Hosting.SimulatedFleet.StartAsync(new Hosting.FleetOptions
        {
            Recorders = 5, ClipsPerRecorder = 0, FaultyBatteries = true, BatteryHealthPercent = 95, ServeAtOnce = false,
        }, time);
        var packs = fleet.Endpoints.Select(e => e.Recorder.Battery).ToList();
        Assert.Null(packs[0].Ageing.StallsAt);
        Assert.Equal(88, packs[2].Ageing.StallsAt); // recorder 3
        Assert.Equal(0.3, packs[3].Ageing.ResistanceGrowthPerCycle); // recorder 4
        Assert.InRange(packs[4].RuntimeHours, 6, 8); // recorder 5: worn to half, it no longer lasts a 10 h shift
        Assert.All(fleet.Endpoints, e => Assert.Equal(95, e.Recorder.GetPower().HealthPercent));

        // The stalled cell never reads full however long it charges.
        fleet.Endpoints[2].Recorder.OnLinkChanged(true);
        time.Advance(TimeSpan.FromHours(12));
        var stalled = fleet.Endpoints[2].Recorder.GetPower();
        Assert.Equal(88, stalled.Percent);
        Assert.NotEqual(ChargeState.Full, stalled.State);
    }

    [Fact]
    public async Task Clock_DriftsThenSetTimeReportsOldReadingAndCorrects()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero));
        using var recorder = await SimulatedRecorder.CreateAsync(new RecorderOptions { Serial = "DSJ-C-1", ClipCount = 0 }, time);
        var initialError = recorder.Clock.Now - time.GetUtcNow();
        time.Advance(TimeSpan.FromDays(10));
        var drifted = recorder.Clock.Now - time.GetUtcNow();
        Assert.NotEqual(initialError, drifted); // 20-60 ppm over 10 days is 17-52 s.

        long before = recorder.SetTime(time.GetUtcNow().ToUnixTimeMilliseconds());

        long expected = (time.GetUtcNow() + drifted).ToUnixTimeMilliseconds();
        Assert.InRange(before, expected - 1, expected + 1);
        Assert.Equal(time.GetUtcNow(), recorder.Clock.Now);
    }

    [Fact]
    public async Task Release_WrongHashOrUnknownClip_RefusedAndNothingDeleted()
    {
        using var recorder = await SimulatedRecorder.CreateAsync(new RecorderOptions { Serial = "DSJ-R-1", ClipCount = 2, MinClipSize = 1000, MaxClipSize = 1000 });
        var clip = recorder.Clips[0];

        Assert.Equal(ErrorCode.HashMismatch, (await Assert.ThrowsAsync<DockLinkException>(async () => await recorder.ReleaseAsync(clip.ClipId, new byte[32], CancellationToken.None))).RemoteCode);
        Assert.Equal(ErrorCode.NoSuchClip, (await Assert.ThrowsAsync<DockLinkException>(async () => await recorder.ReleaseAsync("nope", clip.Sha256, CancellationToken.None))).RemoteCode);
        Assert.Equal(2, recorder.Clips.Count);
        Assert.True(await recorder.ReleaseAsync(clip.ClipId, clip.Sha256, CancellationToken.None));
        Assert.Single(recorder.Clips);
    }
}
