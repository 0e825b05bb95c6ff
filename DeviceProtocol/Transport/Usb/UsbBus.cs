using System.Runtime.InteropServices;

namespace Dock.DeviceProtocol.Transport.Usb;

/// <summary>A USB device as libusb lists it: bus, physical port path ("1-1.3", as sysfs names it) and ids.</summary>
public sealed record UsbDeviceInfo(int Bus, string PortPath, ushort VendorId, ushort ProductId);

/// <summary>A libusb context: lists devices and opens one by VID/PID and port path for bulk transfers.</summary>
public sealed class UsbBus : IDisposable
{
    private readonly IntPtr _context;

    private UsbBus(IntPtr context) => _context = context;

    /// <summary>Initialises libusb; a clear <see cref="UsbException"/> when the library is missing.</summary>
    public static UsbBus Open()
    {
        LibUsb.EnsureResolver();
        try
        {
            int rc = LibUsb.Init(out var context);
            if (rc < 0) throw UsbException.FromCode(rc, "initialising libusb");
            return new UsbBus(context);
        }
        catch (DllNotFoundException ex)
        {
            throw UsbException.LibraryMissing(ex);
        }
    }

    public IReadOnlyList<UsbDeviceInfo> List()
    {
        var devices = new List<UsbDeviceInfo>();
        Visit((_, bus, path, d) =>
        {
            devices.Add(new UsbDeviceInfo(bus, path, d.idVendor, d.idProduct));
            return false;
        });
        return devices;
    }

    /// <summary>Opens the device at <paramref name="portPath"/> with these ids and claims <paramref name="interfaceNumber"/>.</summary>
    public UsbBulkPipe OpenBulk(string portPath, ushort vendorId, ushort productId, int interfaceNumber, byte inEndpoint, byte outEndpoint)
    {
        UsbBulkPipe? opened = null;
        Visit((device, _, path, d) =>
        {
            if (d.idVendor != vendorId || d.idProduct != productId || path != portPath) return false;
            int rc = LibUsb.Open(device, out var handle);
            if (rc < 0) throw UsbException.FromCode(rc, $"opening {vendorId:x4}:{productId:x4} at {portPath}");
            LibUsb.SetAutoDetachKernelDriver(handle, 1);
            rc = LibUsb.ClaimInterface(handle, interfaceNumber);
            if (rc < 0)
            {
                LibUsb.Close(handle);
                throw UsbException.FromCode(rc, $"claiming interface {interfaceNumber} of {portPath}");
            }
            opened = new UsbBulkPipe(handle, interfaceNumber, inEndpoint, outEndpoint, $"usb://{portPath}/{vendorId:x4}:{productId:x4}");
            return true;
        });
        return opened ?? throw new UsbException(UsbError.NotFound, $"no {vendorId:x4}:{productId:x4} device at USB port {portPath}");
    }

    /// <summary>Calls <paramref name="visit"/> with each device, its bus, its port path ("1-1.3", as sysfs names it;
    /// "usbN" for a root hub) and its descriptor, until it returns true. The list is freed afterwards.</summary>
    private void Visit(Func<IntPtr, int, string, LibUsb.DeviceDescriptor, bool> visit)
    {
        nint count = LibUsb.GetDeviceList(_context, out var list);
        if (count < 0) throw UsbException.FromCode((int)count, "listing USB devices");
        try
        {
            var ports = new byte[7];
            for (int i = 0; i < count; i++)
            {
                var device = Marshal.ReadIntPtr(list, i * IntPtr.Size);
                if (LibUsb.GetDeviceDescriptor(device, out var descriptor) < 0) continue;
                int depth = LibUsb.GetPortNumbers(device, ports, ports.Length);
                int bus = LibUsb.GetBusNumber(device);
                var path = depth <= 0 ? $"usb{bus}" : $"{bus}-{string.Join('.', ports.Take(depth))}";
                if (visit(device, bus, path, descriptor)) return;
            }
        }
        finally
        {
            LibUsb.FreeDeviceList(list, 1);
        }
    }

    public void Dispose() => LibUsb.Exit(_context);
}
