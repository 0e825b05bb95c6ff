using System.IO.Ports;
using Dock.DeviceProtocol.Errors;

namespace Dock.DeviceProtocol.Transport;

/// <summary>
/// CDC-ACM serial (System.IO.Ports). The baud rate matters only for real UARTs; USB CDC-ACM and
/// ptys ignore it. DockLink's own framing and CRC replace any serial-level error checking.
/// </summary>
public static class SerialTransport
{
    public static IDockLinkTransport Open(string portName, int baudRate = 115200)
    {
        var port = new SerialPort(portName, baudRate, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            ReadTimeout = SerialPort.InfiniteTimeout,
            WriteTimeout = SerialPort.InfiniteTimeout,
            ReadBufferSize = 1024 * 1024,
            WriteBufferSize = 1024 * 1024,
        };
        try
        {
            port.Open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            throw DockLinkErrors.ConnectionLost($"cannot open serial port {portName} ({ex.Message})", ex);
        }
        return new StreamTransport(port.BaseStream, $"serial://{portName}", new PortOwner(port));
    }

    private sealed class PortOwner(SerialPort port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            try
            {
                port.Dispose();
            }
            catch (IOException)
            {
                // The device vanished (cable pulled): there is nothing left to close.
            }
            return ValueTask.CompletedTask;
        }
    }
}
