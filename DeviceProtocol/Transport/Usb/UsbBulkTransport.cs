using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Transport.Usb;

/// <summary>The two bulk endpoints of a vendor interface: what the transport needs from USB.</summary>
public interface IBulkPipe : IDisposable
{
    string Endpoint { get; }

    /// <summary>One bulk IN transfer of up to <paramref name="buffer"/>.Length bytes; 0 bytes on timeout.</summary>
    int Read(Span<byte> buffer, TimeSpan timeout);

    /// <summary>Bulk OUT of all of <paramref name="data"/>.</summary>
    void Write(ReadOnlySpan<byte> data, TimeSpan timeout);
}

/// <summary>A claimed libusb interface. Transfers are synchronous with timeouts; the transport runs them off the caller's thread.</summary>
public sealed class UsbBulkPipe : IBulkPipe
{
    private readonly IntPtr _handle;
    private readonly int _interface;
    private readonly byte _in;
    private readonly byte _out;
    private int _disposed;

    internal UsbBulkPipe(IntPtr handle, int interfaceNumber, byte inEndpoint, byte outEndpoint, string endpoint)
    {
        _handle = handle;
        _interface = interfaceNumber;
        _in = inEndpoint;
        _out = outEndpoint;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public unsafe int Read(Span<byte> buffer, TimeSpan timeout)
    {
        fixed (byte* p = buffer)
        {
            int rc = LibUsb.BulkTransfer(_handle, _in, p, buffer.Length, out int transferred, (uint)timeout.TotalMilliseconds);
            if (rc == (int)UsbError.Timeout) return transferred;
            if (rc < 0) throw UsbException.FromCode(rc, $"bulk IN on {Endpoint}");
            return transferred;
        }
    }

    public unsafe void Write(ReadOnlySpan<byte> data, TimeSpan timeout)
    {
        while (!data.IsEmpty)
        {
            fixed (byte* p = data)
            {
                int rc = LibUsb.BulkTransfer(_handle, _out, p, data.Length, out int transferred, (uint)timeout.TotalMilliseconds);
                if (rc < 0) throw UsbException.FromCode(rc, $"bulk OUT on {Endpoint}");
                data = data[transferred..];
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        LibUsb.ReleaseInterface(_handle, _interface);
        LibUsb.Close(_handle);
    }
}

/// <summary>
/// DockLink over USB bulk endpoints. libusb transfers block, so one dedicated reader thread per link polls
/// bulk IN (with a short timeout, so it notices a closed link) into a small bounded queue; pool threads
/// never sit in libusb. A vanished device (hot-unplug: NO_DEVICE, IO, PIPE) ends the session as
/// ConnectionLost, and re-docking resumes like any other transport.
/// </summary>
public sealed class UsbBulkTransport : IDockLinkTransport
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);
    private const int ReadSize = 64 * 1024;
    private readonly IBulkPipe _pipe;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly System.Threading.Channels.Channel<byte[]> _received =
        System.Threading.Channels.Channel.CreateBounded<byte[]>(new System.Threading.Channels.BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly Thread _reader;
    private byte[] _current = [];
    private int _offset;

    public UsbBulkTransport(IBulkPipe pipe)
    {
        _pipe = pipe;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"usb-in {pipe.Endpoint}" };
        _reader.Start();
    }

    public string Endpoint => _pipe.Endpoint;

    private void ReadLoop()
    {
        var buffer = new byte[ReadSize];
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                int n = _pipe.Read(buffer, Poll);
                if (n == 0) continue;
                // Blocks (briefly) when the session reads slower than the device sends: bounded memory.
                _received.Writer.WriteAsync(buffer.AsSpan(0, n).ToArray(), _closing.Token).AsTask().GetAwaiter().GetResult();
            }
            _received.Writer.TryComplete();
        }
        catch (OperationCanceledException)
        {
            _received.Writer.TryComplete();
        }
        catch (Exception ex) when (ex is UsbException or ObjectDisposedException or InvalidOperationException)
        {
            _received.Writer.TryComplete(DockLinkErrors.ConnectionLost($"reading {Endpoint} failed: {ex.Message}", ex));
        }
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_offset == _current.Length)
        {
            try
            {
                _current = await _received.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                _offset = 0;
            }
            catch (System.Threading.Channels.ChannelClosedException ex) when (ex.InnerException is DockLinkException link)
            {
                throw link;
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                return 0; // Closed by us: end of stream.
            }
        }
        int n = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Run(() =>
            {
                try
                {
                    _pipe.Write(data.Span, WriteTimeout);
                }
                catch (UsbException ex) when (ex.DeviceGone || ex.Error == UsbError.Timeout)
                {
                    throw DockLinkErrors.ConnectionLost($"writing {Endpoint} failed: {ex.Message}", ex);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _reader.Join(TimeSpan.FromSeconds(2)); // At most one poll interval.
        _pipe.Dispose();
        _writing.Dispose();
        _closing.Dispose();
        return ValueTask.CompletedTask;
    }
}
