using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dock.DeviceProtocol.Transport;
using Dock.Service.Cli;
using Dock.Simulator.Links;
using Dock.Simulator.Recorders;

namespace Dock.Tools.Bench;

/// <summary>
/// `dock bench links`: one clip over links of very different speeds (a 115,200-baud line, 1 MB/s, USB 2.0), pulled by the
/// dock with its default settings (reads sized to the link, docklink-v1.md §10.1), against the line's own time for the same
/// bytes, measured in the same run over the same simulated line. A ratio near 1 means the dock keeps the line busy; a
/// fixed read size that outlasts the request timeout never finishes at all.
/// </summary>
public sealed class LinkBenchmark(string dataDirectory, IReadOnlyList<(double KBps, long ClipBytes)> links, TextWriter output)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        output.WriteLine($"dock bench links — data in {dataDirectory}, default Dock:Link settings (ReadChunkSize 256 KiB, ReadWindow 8, RequestTimeout 10 s)");
        var ingest = new IngestBenchmark(new IngestBenchmark.Settings(dataDirectory, 0, 0, 1, 0, 0, true, []), output);
        bool ok = true;
        foreach (var (kbps, bytes) in links)
        {
            double mbps = kbps / 1000;
            var line = await MeasureLineAsync(mbps, bytes, cancellationToken);
            output.WriteLine($"  reference  the simulated line at {kbps} KB/s carries {CliOptions.FormatBytes(bytes)} raw in {line.TotalSeconds:0.00} s");
            var result = await ingest.RunScenarioAsync($"one {CliOptions.FormatBytes(bytes)} clip at {kbps} KB/s", 1, 1, bytes, mbps, cancellationToken);
            var pull = TimeSpan.FromSeconds(bytes / 1e6 / result.IngestMBps);
            var whole = TimeSpan.FromSeconds(bytes / 1e6 / result.EndToEndMBps);
            double ratio = line / pull;
            output.WriteLine($"  link       {kbps,8} KB/s: clip pulled, hashed and stored in {pull.TotalSeconds:0.00} s; verified and released after " +
                $"{whole.TotalSeconds:0.00} s; line time / dock time = {ratio:0.00}");
            ok &= ratio >= 0.8;
        }
        output.WriteLine(ok ? "Every link kept at least 0.8 busy." : "A link was kept less than 0.8 busy (see above).");
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>The same simulated line (loopback TCP through the simulator's throttle), carrying the bytes with no protocol.</summary>
    private static async Task<TimeSpan> MeasureLineAsync(double mbps, long bytes, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var accepting = listener.AcceptAsync(cancellationToken).AsTask();
        await using var client = await TcpTransport.ConnectAsync(listener.LocalEndPoint!, cancellationToken);
        await using var server = new SimulatedLink(TcpTransport.FromSocket(await accepting), new RecorderFaults(), mbps, TimeProvider.System);
        var clock = Stopwatch.StartNew();
        var sending = Task.Run(async () =>
        {
            var block = new byte[Math.Clamp((int)(mbps * 1e6 / 20), 1024, 256 * 1024)]; // ~50 ms of the line per write
            for (long sent = 0; sent < bytes; sent += block.Length)
                await server.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, bytes - sent)), cancellationToken);
        }, cancellationToken);
        var buffer = new byte[256 * 1024];
        for (long received = 0; received < bytes;)
        {
            int n = await client.ReadAsync(buffer, cancellationToken);
            if (n == 0) throw new IOException("the simulated line closed early");
            received += n;
        }
        await sending;
        return clock.Elapsed;
    }
}
