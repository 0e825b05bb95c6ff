using System.Security.Cryptography;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Tests.Support;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Tests;

/// <summary>
/// The firmware transfer's host side (docklink-v1.md §5.17) against the simulator's device: a write answered BAD_FRAME is sent again from what
/// the device says it holds and the image arrives whole; a device that says it holds bytes of another image, or keeps losing what it
/// acknowledged, ends the transfer with a protocol violation instead of having the dock send forever.
/// </summary>
public sealed class FirmwareTransferTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    private (FirmwareBegin Begin, byte[] Image) Image(int size, string model)
    {
        var image = new byte[size];
        new Random(size).NextBytes(image);
        var sha = SHA256.HashData(image);
        return (new FirmwareBegin(model, "2.0.0", (ulong)size, sha, _keys.Agency.Sign(FirmwareSignature.Message(model, "2.0.0", (ulong)size, sha))), image);
    }

    private static Func<long, Memory<byte>, CancellationToken, ValueTask<int>> From(byte[] image) => (at, buffer, _) =>
    {
        image.AsSpan((int)at, buffer.Length).CopyTo(buffer.Span);
        return ValueTask.FromResult(buffer.Length);
    };

    [Fact]
    public async Task AWriteAnsweredBadFrame_IsSentAgainFromWhatTheDeviceHolds_TheImageArrivesWhole()
    {
        using var recorder = await _keys.RecorderAsync(clips: 0);
        int writes = 0;
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        _ = new DeviceSession(deviceLink, recorder, new DeviceSessionOptions
        {
            // The third write's answer is lost to a damaged frame (the device wrote the bytes; the dock cannot know).
            Rewrite = (request, reply) => request is FirmwareWrite && Interlocked.Increment(ref writes) == 3 ? new ErrorReply(ErrorCode.BadFrame, "payload CRC mismatch; resend") : reply,
        }).RunAsync(CancellationToken.None);
        await using var session = await HostSession.OpenAsync(hostLink, _keys.Dock).WaitAsync(Limit);
        var (begin, image) = Image(1_000_000, recorder.Options.Model);
        var ready = await session.BeginFirmwareAsync(begin, CancellationToken.None);
        Assert.Equal(0UL, ready.Offset);
        long sent = await session.PushFirmwareAsync(0, image.Length, ready.MaxChunk, From(image), null, CancellationToken.None).WaitAsync(Limit);
        Assert.True(sent >= image.Length);
        Assert.Equal((ulong)image.Length, recorder.GetFirmware().StagedHeld);
        // The camera's own check passes: the bytes it holds are the image's.
        Assert.Equal((byte)1, (await session.InstallFirmwareAsync(begin.Sha256, CancellationToken.None)).Slot);
    }

    [Fact]
    public async Task ADeviceThatForgetsWhatItAcknowledged_EndsTheTransfer_NotAnEndlessResend()
    {
        using var recorder = await _keys.RecorderAsync(clips: 0);
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        _ = new DeviceSession(deviceLink, recorder, new DeviceSessionOptions
        {
            // Every other write "fails", and the device then says it holds nothing of an image of another size.
            Rewrite = (request, reply) => (request, reply) switch
            {
                (FirmwareWrite w, _) when w.Offset % 2 == 0 && w.Offset > 0 => new ErrorReply(ErrorCode.BadFrame, "resend"),
                (GetFirmware, FirmwareState s) => s with { StagedSize = s.StagedSize + 1, StagedHeld = 0 },
                _ => reply,
            },
        }).RunAsync(CancellationToken.None);
        await using var session = await HostSession.OpenAsync(hostLink, _keys.Dock).WaitAsync(Limit);
        var (begin, image) = Image(600_000, recorder.Options.Model);
        var ready = await session.BeginFirmwareAsync(begin, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DockLinkException>(() => session.PushFirmwareAsync(0, image.Length, ready.MaxChunk, From(image), null, CancellationToken.None)
            .WaitAsync(Limit));
        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
        Assert.Contains("not of this", error.Message, StringComparison.Ordinal);
    }
}
