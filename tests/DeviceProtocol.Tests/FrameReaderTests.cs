using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Tests.Support;

namespace Dock.DeviceProtocol.Tests;

public sealed class FrameReaderTests
{
    private static readonly byte[] PingFrame = Frames.Encode(new Ping(0x1122334455667788), 7);
    private static readonly byte[] PongFrame = Frames.Encode(new Pong(42), 8);

    [Fact]
    public async Task ReadAsync_GarbageBeforeFrame_SkipsGarbageAndReturnsFrame()
    {
        // Garbage that contains a lone sync byte and a false sync pair with a bad header CRC.
        byte[] garbage = [0x00, 0xD0, 0x17, 0xD0, 0xCC, 0x01, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF];
        var reader = await Frames.ReaderOverAsync([.. garbage, .. PingFrame]);

        var result = await reader.ReadAsync(CancellationToken.None);

        Assert.Equal(FrameReadStatus.Frame, result.Status);
        using var frame = result.Frame!;
        Assert.Equal(7u, frame.RequestId);
        Assert.Equal(new Ping(0x1122334455667788), MessageCodec.Decode(frame.Type, frame.Payload));
        Assert.Equal(garbage.Length, reader.Stats.GarbageBytes);
    }

    [Fact]
    public async Task ReadAsync_CorruptPayloadCrc_ReportsRequestIdThenFindsNextFrame()
    {
        var damaged = (byte[])PingFrame.Clone();
        damaged[FrameFormat.HeaderSize + 2] ^= 0x40;
        var reader = await Frames.ReaderOverAsync([.. damaged, .. PongFrame]);

        var first = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(FrameReadStatus.CorruptPayload, first.Status);
        Assert.Equal(7u, first.Header.RequestId);

        var second = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(FrameReadStatus.Frame, second.Status);
        Assert.Equal(8u, second.Frame!.RequestId);
        Assert.Equal(1, reader.Stats.CorruptPayloads);
    }

    [Fact]
    public async Task ReadAsync_ByteLostInsidePayload_ResynchronisesOnNextFrame()
    {
        var big = Frames.Encode(new ClipData(0, new byte[3000]), 5);
        var shortened = big.Where((_, i) => i != FrameFormat.HeaderSize + 100).ToArray();
        // The damaged frame claims 3008 payload bytes; the reader must look for the next frame inside them.
        var reader = await Frames.ReaderOverAsync([.. shortened, .. PongFrame, .. PingFrame]);

        var results = new List<FrameReadResult>();
        for (int i = 0; i < 3; i++) results.Add(await reader.ReadAsync(CancellationToken.None));

        Assert.Equal(FrameReadStatus.CorruptPayload, results[0].Status);
        Assert.Equal([8u, 7u], results.Skip(1).Select(r => r.Frame!.RequestId));
    }

    [Fact]
    public async Task ReadAsync_HostileLength_RejectedWithoutAllocatingIt()
    {
        // A header with a valid CRC announcing a 4 GiB payload.
        var hostile = new byte[FrameFormat.HeaderSize];
        FrameFormat.WriteHeader(hostile, (byte)MessageType.ClipData, 9, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(hostile.AsSpan(8), uint.MaxValue);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(hostile.AsSpan(12), FrameFormat.Crc(hostile.AsSpan(0, 12)));
        var reader = await Frames.ReaderOverAsync([.. hostile, .. PingFrame], maxPayload: 64 * 1024);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var first = await reader.ReadAsync(CancellationToken.None);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(FrameReadStatus.Oversize, first.Status);
        Assert.Equal(uint.MaxValue, first.Header.PayloadLength);
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes for a hostile header");
        var next = await reader.ReadAsync(CancellationToken.None);
        Assert.Equal(7u, next.Frame!.RequestId);
    }

    [Fact]
    public async Task ReadAsync_StreamEndsMidFrame_ThrowsConnectionLost()
    {
        var reader = await Frames.ReaderOverAsync(PingFrame[..^3]);

        var error = await Assert.ThrowsAsync<DockLinkException>(async () => await reader.ReadAsync(CancellationToken.None));

        Assert.Equal(DockLinkFailure.ConnectionLost, error.Failure);
    }

    [Fact]
    public async Task ReadAsync_RandomNoiseBetweenFrames_EveryFrameRecovered()
    {
        var random = new Random(1234);
        var stream = new List<byte>();
        for (uint id = 1; id <= 50; id++)
        {
            var noise = new byte[random.Next(0, 64)];
            random.NextBytes(noise);
            stream.AddRange(noise);
            stream.AddRange(Frames.Encode(new Ping(id), id));
        }
        var reader = await Frames.ReaderOverAsync([.. stream]);

        var ids = new List<uint>();
        for (int i = 0; i < 50; i++)
        {
            var result = await reader.ReadAsync(CancellationToken.None);
            if (result.Status == FrameReadStatus.Frame) ids.Add(result.Frame!.RequestId);
        }

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (uint)i), ids);
    }

    /// <summary>A CRC storm: a valid header every 16 bytes, each claiming about a megabyte. Unbounded, the reader checked a
    /// megabyte per 16 bytes received; now the framing budget drops the link after a bounded amount of work.</summary>
    [Fact]
    public async Task ReadAsync_HeaderEvery16BytesClaimingAMegabyte_DropsTheLinkAfterBoundedWork()
    {
        const int claimed = 1_000_000;
        var storm = new byte[4 * 1024 * 1024];
        for (int at = 0; at + FrameFormat.HeaderSize <= storm.Length; at += FrameFormat.HeaderSize)
            FrameFormat.WriteHeader(storm.AsSpan(at), (byte)MessageType.ClipData, (uint)at, claimed);
        var (near, far) = Transport.InMemoryTransport.CreatePair();
        _ = Task.Run(async () =>
        {
            try
            {
                await far.WriteAsync(storm, CancellationToken.None);
            }
            catch (IOException)
            {
                // The reader dropped the link: what a hostile peer sees.
            }
        });
        var reader = new FrameReader(near, 1024 * 1024 + 64);

        int damaged = 0;
        var error = await Assert.ThrowsAsync<DockLinkException>(async () =>
        {
            while (damaged < 1000)
            {
                var result = await reader.ReadAsync(CancellationToken.None);
                Assert.Equal(FrameReadStatus.CorruptPayload, result.Status);
                damaged++;
            }
        });
        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
        Assert.Contains("too many damaged frames", error.Message, StringComparison.Ordinal);
        Assert.InRange(damaged, 1, FrameReader.FramingErrorBudget);
        await near.DisposeAsync();
        await far.DisposeAsync();
    }

    /// <summary>A noisy but working line (one damaged frame in a hundred) is never dropped: good frames earn credit back.</summary>
    [Fact]
    public async Task ReadAsync_OccasionalDamageOverALongSession_KeepsTheLink()
    {
        var damaged = (byte[])PingFrame.Clone();
        damaged[FrameFormat.HeaderSize + 2] ^= 0x40;
        var stream = new List<byte>();
        for (int i = 0; i < 5000; i++) stream.AddRange(i % 100 == 50 ? damaged : PongFrame);
        var reader = await Frames.ReaderOverAsync([.. stream]);
        int frames = 0, corrupt = 0;
        for (int i = 0; i < 5000; i++)
        {
            var result = await reader.ReadAsync(CancellationToken.None);
            if (result.Status == FrameReadStatus.Frame) frames++;
            else corrupt++;
            result.Frame?.Dispose();
        }
        Assert.Equal((4950, 50), (frames, corrupt));
    }
}
