using System.Reflection;
using System.Runtime.InteropServices;

namespace Dock.DeviceProtocol.Transport.Usb;

/// <summary>
/// libusb-1.0 through P/Invoke (LibUsbDotNet is not available here, and this is all Dock needs):
/// context, device list, port path, descriptor, open/claim, bulk transfers with timeouts.
/// The library is resolved with <see cref="NativeLibrary"/> under its usual names on Linux, Windows and macOS.
/// </summary>
internal static partial class LibUsb
{
    public const string Library = "libusb-1.0";
    private static readonly string[] Candidates = ["libusb-1.0.so.0", "libusb-1.0.so", "libusb-1.0.dll", "libusb-1.0.0.dylib", "libusb-1.0.dylib"];

    static LibUsb() => NativeLibrary.SetDllImportResolver(typeof(LibUsb).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        foreach (var candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle)) return handle;
        return IntPtr.Zero; // The caller sees DllNotFoundException, which UsbException turns into a clear message.
    }

    /// <summary>Forces the resolver to run (static constructor) before the first call.</summary>
    public static void EnsureResolver() { }

    [StructLayout(LayoutKind.Sequential)]
    public struct DeviceDescriptor
    {
        public byte bLength, bDescriptorType;
        public ushort bcdUSB;
        public byte bDeviceClass, bDeviceSubClass, bDeviceProtocol, bMaxPacketSize0;
        public ushort idVendor, idProduct, bcdDevice;
        public byte iManufacturer, iProduct, iSerialNumber, bNumConfigurations;
    }

    [LibraryImport(Library, EntryPoint = "libusb_init")]
    public static partial int Init(out IntPtr context);

    [LibraryImport(Library, EntryPoint = "libusb_exit")]
    public static partial void Exit(IntPtr context);

    [LibraryImport(Library, EntryPoint = "libusb_get_device_list")]
    public static partial nint GetDeviceList(IntPtr context, out IntPtr list);

    [LibraryImport(Library, EntryPoint = "libusb_free_device_list")]
    public static partial void FreeDeviceList(IntPtr list, int unrefDevices);

    [LibraryImport(Library, EntryPoint = "libusb_get_bus_number")]
    public static partial byte GetBusNumber(IntPtr device);

    [LibraryImport(Library, EntryPoint = "libusb_get_port_numbers")]
    public static partial int GetPortNumbers(IntPtr device, [Out] byte[] ports, int length);

    [LibraryImport(Library, EntryPoint = "libusb_get_device_descriptor")]
    public static partial int GetDeviceDescriptor(IntPtr device, out DeviceDescriptor descriptor);

    [LibraryImport(Library, EntryPoint = "libusb_open")]
    public static partial int Open(IntPtr device, out IntPtr handle);

    [LibraryImport(Library, EntryPoint = "libusb_close")]
    public static partial void Close(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "libusb_claim_interface")]
    public static partial int ClaimInterface(IntPtr handle, int interfaceNumber);

    [LibraryImport(Library, EntryPoint = "libusb_release_interface")]
    public static partial int ReleaseInterface(IntPtr handle, int interfaceNumber);

    [LibraryImport(Library, EntryPoint = "libusb_set_auto_detach_kernel_driver")]
    public static partial int SetAutoDetachKernelDriver(IntPtr handle, int enable);

    [LibraryImport(Library, EntryPoint = "libusb_bulk_transfer")]
    public static unsafe partial int BulkTransfer(IntPtr handle, byte endpoint, byte* data, int length, out int transferred, uint timeoutMs);
}
