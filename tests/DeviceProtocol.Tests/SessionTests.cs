using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Tests.Support;
using Dock.DeviceProtocol.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Dock.DeviceProtocol.Tests;

public sealed class SessionTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task OpenAsync_EndorsedDock_AuthenticatesAndPullsWholeClip()
    {
        using var recorder = await _keys.RecorderAsync(clips: 2, size: 1_000_003);
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        var device = new DeviceSession(deviceLink, recorder);
        var serving = device.RunAsync(CancellationToken.None);

        await using var session = await HostSession.OpenAsync(hostLink, _keys.Dock).WaitAsync(Limit);
        Assert.Equal(DeviceSessionState.Authenticated, device.State);
        Assert.Equal(recorder.Credential.PublicKey.ToArray(), session.DeviceKey);

        var clips = (await session.ListClipsAsync(CancellationToken.None)).Clips;
        Assert.Equal(2, clips.Count);
        var (bytes, hash) = await PullAsync(session, clips[0], 0);
        Assert.Equal((long)clips[0].Size, bytes);
        Assert.Equal(clips[0].Sha256, hash);

        await session.ByeAsync(CancellationToken.None);
        await serving.WaitAsync(Limit);
        Assert.Equal(DeviceSessionState.Closed, device.State);
    }

    [Fact]
    public async Task PullAsync_FromOffset_ReturnsOnlyTheRest()
    {
        using var recorder = await _keys.RecorderAsync(clips: 1, size: 700_000);
        await using var session = await ConnectAsync(recorder);
        var clip = (await session.ListClipsAsync(CancellationToken.None)).Clips[0];

        var (bytes, _) = await PullAsync(session, clip, 123_457);

        Assert.Equal(700_000 - 123_457, bytes);
        Assert.Equal(700_000 - 123_457, recorder.BytesServed);
    }

    [Fact]
    public async Task OpenAsync_DockNotEndorsedByTrustedAgency_AuthFailedAndLinkClosed()
    {
        using var recorder = await _keys.RecorderAsync();
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        var serving = new DeviceSession(deviceLink, recorder).RunAsync(CancellationToken.None);

        var error = await Assert.ThrowsAsync<DockLinkException>(() => HostSession.OpenAsync(hostLink, _keys.Rogue()).WaitAsync(Limit));

        Assert.Equal(DockLinkFailure.AuthenticationFailed, error.Failure);
        Assert.Contains("endorsed", error.Message, StringComparison.Ordinal);
        await serving.WaitAsync(Limit);
        Assert.Equal(0, recorder.BytesServed);
    }

    [Fact]
    public async Task ClipOperations_BeforeAuthentication_RefusedWithNotAuthenticated()
    {
        using var recorder = await _keys.RecorderAsync();
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        _ = new DeviceSession(deviceLink, recorder).RunAsync(CancellationToken.None);
        var reader = new FrameReader(hostLink, 64 * 1024);
        var clipId = recorder.Clips[0].ClipId;

        await hostLink.WriteAsync(Frames.Encode(new Hello(1, 1, 65536, new byte[32], "dock-x"), 1), CancellationToken.None);
        Assert.IsType<HelloAck>(await NextMessageAsync(reader));
        foreach (var (request, id) in new Message[] { new ListClips(0, 10), new ReadClip(clipId, 0, 1000), new ReleaseClip(clipId, recorder.Clips[0].Sha256), new SetTime(0) }
                     .Select((m, i) => (m, (uint)i + 2)))
        {
            await hostLink.WriteAsync(Frames.Encode(request, id), CancellationToken.None);
            var reply = Assert.IsType<ErrorReply>(await NextMessageAsync(reader));
            Assert.Equal(ErrorCode.NotAuthenticated, reply.Code);
        }
        Assert.Equal(0, recorder.BytesServed);
        Assert.Single(recorder.Clips, c => c.ClipId == clipId);
    }

    [Fact]
    public async Task ReplayedHandshake_RejectedAndNoClipBytes()
    {
        using var recorder = await _keys.RecorderAsync();
        // A legitimate session, recorded on the wire.
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        var tap = new TapTransport(hostLink);
        _ = new DeviceSession(deviceLink, recorder).RunAsync(CancellationToken.None);
        await using (var session = await HostSession.OpenAsync(tap, _keys.Dock).WaitAsync(Limit))
        {
            await session.ByeAsync(CancellationToken.None);
        }
        var captured = tap.Written.ToList();

        // The attacker replays HELLO and AUTH to the recorder, then asks for clip bytes.
        var (attacker, deviceLink2) = InMemoryTransport.CreatePair();
        var serving = new DeviceSession(deviceLink2, recorder).RunAsync(CancellationToken.None);
        var reader = new FrameReader(attacker, 64 * 1024);
        await attacker.WriteAsync(captured[0], CancellationToken.None);
        Assert.IsType<HelloAck>(await NextMessageAsync(reader));
        await attacker.WriteAsync(captured[1], CancellationToken.None);
        var reply = Assert.IsType<ErrorReply>(await NextMessageAsync(reader));
        Assert.Equal(ErrorCode.AuthFailed, reply.Code);
        await serving.WaitAsync(Limit); // The recorder hung up after the failed AUTH.
        Assert.Equal(0, recorder.BytesServed);
    }

    [Fact]
    public async Task ReadClipAsync_RecorderStalls_TimesOutAfterRequestTimeout()
    {
        using var recorder = await _keys.RecorderAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new HostSessionOptions { RequestTimeout = TimeSpan.FromSeconds(10), KeepAliveInterval = TimeSpan.FromHours(1) };
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        _ = new DeviceSession(deviceLink, recorder).RunAsync(CancellationToken.None);
        await using var session = await HostSession.OpenAsync(hostLink, _keys.Dock, options, time).WaitAsync(Limit);
        recorder.Faults.StallReads = true;

        var read = session.ReadClipAsync(recorder.Clips[0].ClipId, 0, 1024, CancellationToken.None);
        await recorder.WaitUntilAsync(r => r.Faults.StalledReads == 1, CancellationToken.None).WaitAsync(Limit);
        Assert.False(read.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<DockLinkException>(() => read.WaitAsync(Limit));
        Assert.Equal(DockLinkFailure.Timeout, error.Failure);
        Assert.Contains("ReadClip", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PullAsync_FrameCorruptedOnTheWire_ChunkRetriedAndClipIntact()
    {
        using var recorder = await _keys.RecorderAsync(clips: 1, size: 2_000_000);
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        _ = new DeviceSession(new TapTransport(deviceLink, flipOneLargeWrite: true), recorder).RunAsync(CancellationToken.None);
        await using var session = await HostSession.OpenAsync(hostLink, _keys.Dock).WaitAsync(Limit);
        var clip = (await session.ListClipsAsync(CancellationToken.None)).Clips[0];

        var (bytes, hash) = await PullAsync(session, clip, 0);

        Assert.Equal(1, session.Stats.CorruptPayloads);
        Assert.Equal((long)clip.Size, bytes);
        Assert.Equal(clip.Sha256, hash);
    }

    [Fact]
    public async Task ReleaseClipAsync_WrongHash_RefusedAndClipKept()
    {
        using var recorder = await _keys.RecorderAsync(clips: 1);
        await using var session = await ConnectAsync(recorder);
        var clip = recorder.Clips[0];

        var error = await Assert.ThrowsAsync<DockLinkException>(() => session.ReleaseClipAsync(clip.ClipId, new byte[32], CancellationToken.None));
        Assert.Equal(ErrorCode.HashMismatch, error.RemoteCode);
        Assert.Single(recorder.Clips);

        Assert.True(await session.ReleaseClipAsync(clip.ClipId, clip.Sha256, CancellationToken.None));
        Assert.Empty(recorder.Clips);
    }

    [Fact]
    public async Task ReadClipAsync_RecorderStorageFails_StorageErrorAndSessionStillServes()
    {
        var dir = Directory.CreateTempSubdirectory("dock-storage-");
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "a.mp4"), new byte[5000]);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "b.mp4"), new byte[7000]);
            using var recorder = await Simulator.Recorders.SimulatedRecorder.CreateAsync(new Simulator.Recorders.RecorderOptions
            {
                Serial = "DSJ-S-1", ClipFolder = dir.FullName, TrustedAgencyKeys = [_keys.Agency.PublicKey],
            });
            await using var session = await ConnectAsync(recorder);
            File.Delete(Path.Combine(dir.FullName, "a.mp4")); // The card lost the file under the recorder.

            var error = await Assert.ThrowsAsync<DockLinkException>(() => session.ReadClipAsync(recorder.Clips[0].ClipId, 0, 1000, CancellationToken.None));
            Assert.Equal(ErrorCode.StorageError, error.RemoteCode);

            using var chunk = await session.ReadClipAsync(recorder.Clips[1].ClipId, 0, 1000, CancellationToken.None);
            Assert.Equal(1000, chunk.Data.Length);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task SerialTransport_OverRealPty_PullsClipIntact()
    {
        if (!OperatingSystem.IsLinux()) return; // Pseudo-terminals are a Linux fixture; Windows CI has no pty.
        using var recorder = await _keys.RecorderAsync(clips: 2, size: 300_001);
        await using var endpoint = new Simulator.Hosting.PtyRecorderEndpoint(recorder);
        endpoint.Start();

        await using var session = await HostSession.OpenAsync(SerialTransport.Open(endpoint.DevicePath), _keys.Dock).WaitAsync(Limit);
        var clips = (await session.ListClipsAsync(CancellationToken.None)).Clips;
        var (bytes, hash) = await PullAsync(session, clips[1], 0).WaitAsync(Limit);

        Assert.Equal(300_001, bytes);
        Assert.Equal(clips[1].Sha256, hash);
        Assert.StartsWith("serial:///dev/pts/", endpoint.Address, StringComparison.Ordinal);
    }

    private async Task<HostSession> ConnectAsync(Simulator.Recorders.SimulatedRecorder recorder)
    {
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        _ = new DeviceSession(deviceLink, recorder).RunAsync(CancellationToken.None);
        return await HostSession.OpenAsync(hostLink, _keys.Dock).WaitAsync(Limit);
    }

    private static async Task<(long Bytes, byte[] Sha256)> PullAsync(HostSession session, ClipSummary clip, long from)
    {
        using var hash = Sha256.CreateIncremental();
        long received = 0;
        await session.PullAsync(clip.ClipId, from, (long)clip.Size, (chunk, _) =>
        {
            Assert.Equal(from + received, chunk.Offset);
            hash.AppendData(chunk.Data.Span);
            received += chunk.Data.Length;
            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(Limit);
        return (received, hash.GetHashAndReset());
    }

    private static async Task<Message> NextMessageAsync(FrameReader reader)
    {
        var result = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Limit);
        using var frame = result.Frame ?? throw new InvalidOperationException($"expected a frame, got {result.Status}");
        return MessageCodec.Decode(frame.Type, frame.Payload);
    }
}

/// <summary>A recorder's listing is bounded whatever it claims (docklink-v1.md §5.7): no endless paging, no unbounded memory.</summary>
public sealed class HostileListingTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    /// <summary>A session with a recorder whose every CLIP_LIST page is <paramref name="page"/>'s answer instead of its own.</summary>
    private async Task<HostSession> ConnectAsync(Func<ListClips, ClipList, ClipList> page, HostSessionOptions? options = null)
    {
        var recorder = await _keys.RecorderAsync(clips: 3, size: 1000);
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        _ = new DeviceSession(deviceLink, recorder, new DeviceSessionOptions
        {
            Rewrite = (request, reply) => request is ListClips list && reply is ClipList answer ? page(list, answer) : reply,
        }).RunAsync(CancellationToken.None);
        return await HostSession.OpenAsync(hostLink, _keys.Dock, options).WaitAsync(Limit);
    }

    private static ClipSummary Entry(string id) => new(id, 1000, 1_700_000_000_000, 1_700_000_600_000, ClipFlags.None, new byte[32]);

    [Fact]
    public async Task HugeTotal_SameEntryOnEveryPage_StopsAtTheRepeat()
    {
        int asked = 0;
        var session = await ConnectAsync((_, _) => { asked++; return new ClipList(uint.MaxValue, [Entry("a.mp4")]); });
        await using (session)
        {
            var listing = await session.ListClipsAsync(CancellationToken.None).WaitAsync(Limit);
            Assert.False(listing.Complete);
            Assert.Single(listing.Clips);
            Assert.Contains("listed twice", listing.Problem, StringComparison.Ordinal);
            Assert.Equal(2, asked);
        }
    }

    [Fact]
    public async Task TotalNeverReached_NewIdsOnEveryPage_StopsAtMaxListedClips()
    {
        int next = 0;
        var session = await ConnectAsync((_, _) => new ClipList(uint.MaxValue, [.. Enumerable.Range(0, 200).Select(_ => Entry($"c{next++}"))]),
            new HostSessionOptions { MaxListedClips = 1000 });
        await using (session)
        {
            var listing = await session.ListClipsAsync(CancellationToken.None).WaitAsync(Limit);
            Assert.False(listing.Complete);
            Assert.Equal(1000, listing.Clips.Count);
            Assert.Contains("more than 1000 clips", listing.Problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(5, 0, "an empty page")]     // count = 0 while the total is higher
    [InlineData(1, 3, "more than the total")] // total < count
    public async Task ShortOrOverfullPages_AreIncompleteWithTheReason(uint total, int entries, string problem)
    {
        var session = await ConnectAsync((_, _) => new ClipList(total, [.. Enumerable.Range(0, entries).Select(i => Entry($"c{i}"))]));
        await using (session)
        {
            var listing = await session.ListClipsAsync(CancellationToken.None).WaitAsync(Limit);
            Assert.False(listing.Complete);
            Assert.Contains(problem, listing.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HonestListing_IsComplete()
    {
        var session = await ConnectAsync((_, answer) => answer);
        await using (session)
        {
            var listing = await session.ListClipsAsync(CancellationToken.None).WaitAsync(Limit);
            Assert.True(listing.Complete);
            Assert.Null(listing.Problem);
            Assert.Equal(3, listing.Clips.Count);
        }
    }
}
