using System.Collections.Concurrent;
using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Tests.Support;
using Dock.DeviceProtocol.Transport.Usb;

namespace Dock.DeviceProtocol.Tests;

/// <summary>
/// USB bulk: the real libusb library here (it loads; this sandbox's bus has no devices), its error
/// mapping, and DockLink framing over a fake bulk endpoint pair behind the same interface as the libusb pipe.
/// </summary>
public sealed class UsbTransportTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public void LibUsb_LoadsAndListsTheBus_WithoutARecorderOnIt()
    {
        using var bus = UsbBus.Open(); // libusb-1.0 is installed by test.sh (Debian libusb-1.0-0)
        var devices = bus.List();
        Assert.All(devices, d => Assert.Matches(@"^(usb\d+|\d+-\d+(\.\d+)*)$", d.PortPath));
        var missing = Assert.Throws<UsbException>(() => bus.OpenBulk("1-9.9", 0x2e8a, 0x000a, 0, 0x81, 0x01));
        Assert.Equal(UsbError.NotFound, missing.Error);
        Assert.Contains("no 2e8a:000a device at USB port 1-9.9", missing.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-3, UsbError.Access, "udev rule")]
    [InlineData(-4, UsbError.NoDevice, "unplugged")]
    [InlineData(-6, UsbError.Busy, "kernel driver")]
    [InlineData(-7, UsbError.Timeout, "did not answer")]
    [InlineData(-42, UsbError.Other, "libusb error")]
    public void ErrorCodes_MapToAdvice(int code, UsbError error, string advice)
    {
        var ex = UsbException.FromCode(code, "opening 2e8a:000a at 1-1.3");
        Assert.Equal(error, ex.Error);
        Assert.Contains(advice, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("opening 2e8a:000a at 1-1.3: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DockLinkOverBulkEndpoints_PullsAClipExactly()
    {
        using var recorder = await _keys.RecorderAsync(clips: 1, size: 300_001);
        var (host, device) = FakeBulkPipe.CreatePair();
        var serving = new DeviceSession(new UsbBulkTransport(device), recorder).RunAsync(CancellationToken.None);
        await using var session = await HostSession.OpenAsync(new UsbBulkTransport(host), _keys.Dock).WaitAsync(Limit);
        var clip = (await session.ListClipsAsync(CancellationToken.None)).Clips[0];
        using var hash = Sha256.CreateIncremental();
        long received = 0;
        await session.PullAsync(clip.ClipId, 0, (long)clip.Size, (chunk, _) =>
        {
            hash.AppendData(chunk.Data.Span);
            received += chunk.Data.Length;
            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(Limit);
        Assert.Equal((long)clip.Size, received);
        Assert.Equal(clip.Sha256, hash.GetHashAndReset());
        await session.ByeAsync(CancellationToken.None);
        await serving.WaitAsync(Limit);
    }

    [Fact]
    public async Task HotUnplugMidTransfer_EndsTheSessionAsConnectionLost()
    {
        using var recorder = await _keys.RecorderAsync(clips: 1, size: 2_000_000);
        var (host, device) = FakeBulkPipe.CreatePair();
        _ = new DeviceSession(new UsbBulkTransport(device), recorder).RunAsync(CancellationToken.None);
        await using var session = await HostSession.OpenAsync(new UsbBulkTransport(host), _keys.Dock).WaitAsync(Limit);
        var clip = (await session.ListClipsAsync(CancellationToken.None)).Clips[0];
        long received = 0;
        var pull = session.PullAsync(clip.ClipId, 0, (long)clip.Size, (chunk, _) =>
        {
            if ((received += chunk.Data.Length) > 500_000) host.Unplug();
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        var error = await Assert.ThrowsAsync<DockLinkException>(() => pull.WaitAsync(Limit));
        Assert.Equal(DockLinkFailure.ConnectionLost, error.Failure);
        Assert.True(received < (long)clip.Size);
    }

    /// <summary>Two bulk endpoints joined back to back, in packets of at most 512 bytes (USB 2.0 high-speed bulk).</summary>
    private sealed class FakeBulkPipe(BlockingCollection<byte[]> incoming, BlockingCollection<byte[]> outgoing, string endpoint) : IBulkPipe
    {
        private byte[] _pending = [];
        private int _offset;
        private volatile bool _unplugged;

        public string Endpoint => endpoint;

        public static (FakeBulkPipe Host, FakeBulkPipe Device) CreatePair()
        {
            var toDevice = new BlockingCollection<byte[]>();
            var toHost = new BlockingCollection<byte[]>();
            return (new FakeBulkPipe(toHost, toDevice, "usb://fake/host"), new FakeBulkPipe(toDevice, toHost, "usb://fake/device"));
        }

        public void Unplug()
        {
            _unplugged = true;
            incoming.CompleteAdding();
            outgoing.CompleteAdding();
        }

        public int Read(Span<byte> buffer, TimeSpan timeout)
        {
            if (_unplugged) throw UsbException.FromCode(-4, $"bulk IN on {endpoint}");
            if (_offset == _pending.Length)
            {
                if (!incoming.TryTake(out var packet, timeout)) return incoming.IsCompleted ? throw UsbException.FromCode(-4, "bulk IN") : 0;
                (_pending, _offset) = (packet, 0);
            }
            int n = Math.Min(buffer.Length, _pending.Length - _offset);
            _pending.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public void Write(ReadOnlySpan<byte> data, TimeSpan timeout)
        {
            if (_unplugged || outgoing.IsAddingCompleted) throw UsbException.FromCode(-4, $"bulk OUT on {endpoint}");
            for (int i = 0; i < data.Length; i += 512)
                outgoing.Add(data.Slice(i, Math.Min(512, data.Length - i)).ToArray());
        }

        public void Dispose() => Unplug();
    }
}
