using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Transport;

namespace Dock.Simulator.Hosting.Pty;

/// <summary>The recorder's end of a pty as a DockLink transport. Reads poll in short slices so
/// cancellation and shutdown are prompt; the blocking work runs on the thread pool.</summary>
internal sealed class PtyTransport(PseudoTerminal pty) : IDockLinkTransport
{
    private const int PollMs = 50;

    public string Endpoint => $"serial://{pty.SlavePath}";

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = await Task.Run(() => Guard(() => pty.Read(buffer.Span, PollMs)), cancellationToken).ConfigureAwait(false);
            if (n > 0) return n;
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slice = data;
            int n = await Task.Run(() => Guard(() => pty.Write(slice.Span, PollMs)), cancellationToken).ConfigureAwait(false);
            data = data[n..];
        }
    }

    private int Guard(Func<int> io)
    {
        try
        {
            return io();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            throw DockLinkErrors.ConnectionLost($"{Endpoint}: {ex.Message}", ex);
        }
    }

    // The pty outlives one session: the endpoint owns it.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
