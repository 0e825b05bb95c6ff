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
/// DockLink over USB bulk endpoints. Bulk IN reads poll with a short timeout so cancellation is honoured;
/// a vanished device (hot-unplug: NO_DEVICE, IO, PIPE) ends the session as ConnectionLost, and re-docking
/// resumes like any other transport.
/// </summary>
public sealed class UsbBulkTransport(IBulkPipe pipe) : IDockLinkTransport
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _writing = new(1, 1);

    public string Endpoint => pipe.Endpoint;

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = await Task.Run(() => Map(() => pipe.Read(buffer.Span, Poll), "reading"), cancellationToken).ConfigureAwait(false);
            if (n > 0) return n;
        }
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Task.Run(() => Map(() => { pipe.Write(data.Span, WriteTimeout); return 0; }, "writing"), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    private int Map(Func<int> transfer, string what)
    {
        try
        {
            return transfer();
        }
        catch (UsbException ex) when (ex.DeviceGone || ex.Error == UsbError.Timeout)
        {
            throw DockLinkErrors.ConnectionLost($"{what} {Endpoint} failed: {ex.Message}", ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw DockLinkErrors.ConnectionLost($"{what} {Endpoint}: the link is closed", ex);
        }
    }

    public ValueTask DisposeAsync()
    {
        pipe.Dispose();
        _writing.Dispose();
        return ValueTask.CompletedTask;
    }
}
