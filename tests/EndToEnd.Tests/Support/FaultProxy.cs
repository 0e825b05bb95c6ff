using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dock.EndToEnd.Tests.Support;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of an emulator that misbehaves on purpose, per connection: some get
/// an HTTP 503 instead of an answer, some are cut in the middle of the request body, the rest pass
/// untouched. What a flaky uplink or an overloaded store does to a dock.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;
    private int _served503;
    private int _cut;

    public FaultProxy(int upstreamPort, int every503 = 3, int everyCut = 5, int cutAfterBytes = 200_000)
    {
        _upstream = new IPEndPoint(IPAddress.Loopback, upstreamPort);
        Every503 = every503;
        EveryCut = everyCut;
        CutAfterBytes = cutAfterBytes;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Every503 { get; }
    public int EveryCut { get; }
    public int CutAfterBytes { get; }
    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
    public int Served503 => Volatile.Read(ref _served503);
    public int Cut => Volatile.Read(ref _cut);

    /// <summary>Stops injecting faults: every later connection passes.</summary>
    public bool Healthy { get; set; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            int n = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client, n));
        }
    }

    private async Task ServeAsync(TcpClient client, int n)
    {
        using (client)
        {
            var downstream = client.GetStream();
            try
            {
                if (!Healthy && n % Every503 == 0)
                {
                    // Read the request head, then refuse it like an overloaded store.
                    var buffer = new byte[8192];
                    _ = await downstream.ReadAsync(buffer, _stop.Token); // Some of the request: enough to answer it.
                    await downstream.WriteAsync(Encoding.ASCII.GetBytes(
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: 90\r\nConnection: close\r\n\r\n" +
                        "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>".PadRight(90)), _stop.Token);
                    Interlocked.Increment(ref _served503);
                    return;
                }
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(_upstream, _stop.Token);
                var server = upstream.GetStream();
                long limit = !Healthy && n % EveryCut == 0 ? CutAfterBytes : long.MaxValue;
                var up = PumpAsync(downstream, server, limit);
                var down = PumpAsync(server, downstream, long.MaxValue);
                await Task.WhenAny(up, down);
                if (up.IsCompletedSuccessfully && up.Result) Interlocked.Increment(ref _cut);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // A connection ending badly is this proxy's whole point.
            }
        }
    }

    /// <summary>Copies until EOF, or until <paramref name="limit"/> bytes (then returns true: cut).</summary>
    private async Task<bool> PumpAsync(Stream from, Stream to, long limit)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            int n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0) return false;
            if (total + n > limit)
            {
                await to.WriteAsync(buffer.AsMemory(0, (int)(limit - total)), _stop.Token);
                return true;
            }
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            total += n;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        _stop.Dispose();
    }
}
