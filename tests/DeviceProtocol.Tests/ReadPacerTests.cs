using System.Net;
using System.Net.Sockets;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Dock.DeviceProtocol.Tests;

/// <summary>Reads sized to the link (docklink-v1.md §10.1), and connects that give up.</summary>
public sealed class ReadPacerTests
{
    /// <summary>Feeds the pacer answers at <paramref name="bytesPerSecond"/> for a few seconds of fake time.</summary>
    private static ReadPacer Settle(double bytesPerSecond, int maxChunk = 256 * 1024, int maxWindow = 8)
    {
        var time = new FakeTimeProvider();
        var pacer = new ReadPacer(maxChunk, maxWindow, TimeSpan.FromSeconds(10), time);
        pacer.Start();
        var start = time.GetUtcNow();
        while (time.GetUtcNow() - start < TimeSpan.FromSeconds(5))
        {
            int chunk = pacer.Chunk;
            time.Advance(TimeSpan.FromSeconds(chunk / bytesPerSecond));
            pacer.Delivered(chunk);
        }
        return pacer;
    }

    [Fact]
    public void SerialLineAt115200Baud_SmallReads_WholeWindowWellInsideTheTimeout()
    {
        var pacer = Settle(11_520);
        Assert.Equal(ReadPacer.MinChunk, pacer.Chunk);
        double windowSeconds = pacer.Window * pacer.Chunk / 11_520.0;
        Assert.InRange(windowSeconds, 0.5, 3); // The last read in flight is answered well inside the 10 s request timeout.
        Assert.InRange(pacer.BytesPerSecond, 11_000, 12_000);
    }

    [Theory]
    [InlineData(40_000_000)] // USB 2.0
    [InlineData(400_000_000)] // a TCP recorder on loopback
    public void FastLinks_ReachTheConfiguredMaximum(double bytesPerSecond)
    {
        var pacer = Settle(bytesPerSecond);
        Assert.Equal(256 * 1024, pacer.Chunk);
        Assert.Equal(8, pacer.Window);
    }

    [Fact]
    public void OneMegabytePerSecond_ReadsOfAboutAQuarterSecond_WindowOfAboutTwoSeconds()
    {
        var pacer = Settle(1_000_000);
        Assert.Equal(128 * 1024, pacer.Chunk); // 0.13 s a read: the power of two below 250 ms of the link
        Assert.InRange(pacer.Window * pacer.Chunk / 1_000_000.0, 1, 2.5);
    }

    [Fact]
    public void Timeout_HalvesReadAndWindow()
    {
        var pacer = Settle(40_000_000);
        pacer.TimedOut();
        Assert.Equal(128 * 1024, pacer.Chunk);
        Assert.Equal(4, pacer.Window);
    }

    [Fact]
    public void ConfiguredMaximumsAreNeverExceeded()
    {
        var pacer = Settle(400_000_000, maxChunk: 64 * 1024, maxWindow: 1);
        Assert.Equal(64 * 1024, pacer.Chunk);
        Assert.Equal(1, pacer.Window);
    }

    [Fact]
    public async Task Connect_ToAListenerThatNeverAccepts_GivesUpAfterTheTimeout()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (IPEndPoint)listener.LocalEndPoint!;
        // Fill the accept queue; with nobody accepting, the kernel drops the next SYNs and a connect would wait ~2 minutes.
        var fillers = new List<Socket>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var quick = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(endpoint, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // The queue is full.
                }
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<DockLinkException>(() => TcpTransport.ConnectAsync(endpoint, TimeSpan.FromSeconds(1), CancellationToken.None));
            Assert.Equal(DockLinkFailure.ConnectionLost, error.Failure);
            Assert.Contains("within 1 s", error.Message, StringComparison.Ordinal);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        }
        finally
        {
            foreach (var filler in fillers) filler.Dispose();
        }
    }

    [Fact]
    public async Task Connect_ByHostName_Connects()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accepting = listener.AcceptAsync();
        // A name has no address family until it resolves; a socket made for "unspecified" failed with "protocol not supported".
        await using var transport = await TcpTransport.ConnectAsync(new DnsEndPoint("localhost", ((IPEndPoint)listener.LocalEndPoint!).Port),
            TimeSpan.FromSeconds(5), CancellationToken.None);
        using var accepted = await accepting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(accepted.Connected);
    }

    [Fact]
    public async Task Connect_HostNameThatDoesNotResolve_ClearErrorNotASocketException()
    {
        var error = await Assert.ThrowsAsync<DockLinkException>(() =>
            TcpTransport.ConnectAsync(new DnsEndPoint("no-such-recorder.invalid", 7001), TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Equal(DockLinkFailure.InvalidState, error.Failure);
        Assert.Contains("does not resolve", error.Message, StringComparison.Ordinal);
    }
}
