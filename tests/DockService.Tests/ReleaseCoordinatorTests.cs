using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Enrolment;
using Dock.Service.Ingest;
using Dock.Service.Release;

namespace Dock.Service.Tests;

public sealed class ReleaseCoordinatorTests
{
    private static readonly RecorderTrust Trusted = new(true, null);

    private static ClipRecord Clip(ClipState state) => new(1, "R1", "c1", 10, new string('a', 64), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
        ClipFlags.None, "P1", state, 10, 0, "vault/R1/c1", null, null, DateTimeOffset.UnixEpoch, 1, null, null, null, null, null, null);

    [Theory]
    [InlineData(ReleasePolicy.AfterLocalVerify, false, ReleaseVerdict.Release)]
    [InlineData(ReleasePolicy.AfterCloudVerify, false, ReleaseVerdict.WaitForCloud)]
    [InlineData(ReleasePolicy.AfterCloudVerify, true, ReleaseVerdict.Release)]
    [InlineData(ReleasePolicy.Never, true, ReleaseVerdict.Keep)]
    public void Decide_AVerifiedClipOfATrustedRecorder_FollowsThePolicyAndTheCloudCopy(ReleasePolicy policy, bool cloud, ReleaseVerdict expected)
    {
        var decision = new ReleaseCoordinator(policy).Decide(Clip(ClipState.Verified), Trusted, cloud);

        Assert.Equal(expected, decision.Verdict);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Theory]
    [InlineData(ClipState.Announced)]
    [InlineData(ClipState.Pulling)]
    [InlineData(ClipState.Stored)]
    [InlineData(ClipState.Quarantined)]
    [InlineData(ClipState.Released)]
    public void Decide_NothingButAVerifiedClipIsEverReleased_WhateverThePolicyOrTheCloud(ClipState state)
    {
        foreach (var policy in Enum.GetValues<ReleasePolicy>())
            Assert.Equal(ReleaseVerdict.Keep, new ReleaseCoordinator(policy).Decide(Clip(state), Trusted, cloudCopyVerified: true).Verdict);
    }

    [Fact]
    public void Decide_AnUntrustedRecorder_KeepsItsFootage_AndSaysWhoToCall()
    {
        var decision = new ReleaseCoordinator(ReleasePolicy.AfterLocalVerify).Decide(Clip(ClipState.Verified), new RecorderTrust(false, "not enrolled"), true);

        Assert.Equal(ReleaseVerdict.Keep, decision.Verdict);
        Assert.Contains("not enrolled", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("equipment manager", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Feed_CarriesItsRecordersCloudCopies_IsBounded_AndStopsAtTheEndOfTheDocking()
    {
        var coordinator = new ReleaseCoordinator(ReleasePolicy.AfterCloudVerify);
        coordinator.CloudCopyVerified("R1", 1); // nobody docked: nothing to wake, nothing kept
        var feed = coordinator.Open("R1");
        coordinator.CloudCopyVerified("R2", 2);
        coordinator.CloudCopyVerified("R1", 3);
        Assert.True(feed.Reader.TryRead(out var row));
        Assert.Equal(3, row);
        Assert.False(feed.Reader.TryRead(out _));

        for (int i = 0; i < 10_000; i++) coordinator.CloudCopyVerified("R1", i);
        Assert.Equal(ReleaseCoordinator.FeedCapacity, feed.Reader.Count);

        feed.Dispose();
        coordinator.CloudCopyVerified("R1", 4);
        while (feed.Reader.TryRead(out _)) { }
        Assert.False(await feed.Reader.WaitToReadAsync());
    }

    [Fact]
    public async Task Rechecks_ARequestWakesTheDockingOnce_AndWaitsForTheNextDockingIfNoneIsThere()
    {
        var rechecks = new RecheckRequests();
        var waiting = rechecks.WhenRequested("R1");
        Assert.False(waiting.IsCompleted);
        Assert.False(rechecks.Take("R1"));

        rechecks.Request("R1");
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(rechecks.Take("R1"));
        Assert.False(rechecks.Take("R1"));
        Assert.False(rechecks.WhenRequested("R1").IsCompleted);

        rechecks.Request("R2"); // not docked: kept for its next docking
        Assert.True(rechecks.WhenRequested("R2").IsCompleted);
        Assert.True(rechecks.Take("R2"));
    }
}
