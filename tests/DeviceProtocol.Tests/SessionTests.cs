using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Tests.Support;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Tests;

public sealed class SessionTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task OpenAsync_EndorsedDock_AuthenticatesAndReadsWholeClip()
    {
        using var recorder = await _keys.RecorderAsync(clips: 2, size: 1_000_003);
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        var device = new DeviceSession(deviceLink, recorder);
        var serving = device.RunAsync(CancellationToken.None);

        await using var session = await HostSession.OpenAsync(hostLink, _keys.Dock).WaitAsync(Limit);
        Assert.Equal(DeviceSessionState.Authenticated, device.State);
        Assert.Equal(recorder.Credential.PublicKey.ToArray(), session.DeviceKey);

        var clips = await session.ListClipsAsync(CancellationToken.None);
        Assert.Equal(2, clips.Count);
        using var hash = Sha256.CreateIncremental();
        long received = 0;
        await session.PullAsync(clips[0].ClipId, 0, (long)clips[0].Size, (chunk, _) =>
        {
            Assert.Equal(received, chunk.Offset);
            hash.AppendData(chunk.Data.Span);
            received += chunk.Data.Length;
            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(Limit);
        Assert.Equal((long)clips[0].Size, received);
        Assert.Equal(clips[0].Sha256, hash.GetHashAndReset());

        await session.ByeAsync(CancellationToken.None);
        await serving.WaitAsync(Limit);
        Assert.Equal(DeviceSessionState.Closed, device.State);
    }
}
