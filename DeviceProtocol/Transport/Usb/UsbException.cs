namespace Dock.DeviceProtocol.Transport.Usb;

/// <summary>libusb's error codes (libusb.h, enum libusb_error).</summary>
public enum UsbError
{
    Success = 0,
    Io = -1,
    InvalidParam = -2,
    Access = -3,
    NoDevice = -4,
    NotFound = -5,
    Busy = -6,
    Timeout = -7,
    Overflow = -8,
    Pipe = -9,
    Interrupted = -10,
    NoMem = -11,
    NotSupported = -12,
    Other = -99,
}

/// <summary>A USB operation failed; the message says what to do (permissions, unplugged, missing library).</summary>
public sealed class UsbException(UsbError error, string message, Exception? inner = null) : Exception(message, inner)
{
    public UsbError Error { get; } = error;

    /// <summary>The device is gone (unplugged mid-transfer): the session ends; re-docking resumes.</summary>
    public bool DeviceGone => Error is UsbError.NoDevice or UsbError.Io or UsbError.Pipe;

    public static UsbException FromCode(int code, string what)
    {
        var error = Enum.IsDefined((UsbError)code) ? (UsbError)code : UsbError.Other;
        string advice = error switch
        {
            UsbError.Access => "permission denied: add a udev rule giving the dock's user access to this device (see packaging/README.md)",
            UsbError.NoDevice => "the device is gone (unplugged)",
            UsbError.Busy => "another program or a kernel driver holds the interface",
            UsbError.Timeout => "the device did not answer in time",
            UsbError.NotFound => "no such device, interface or endpoint",
            UsbError.Pipe => "the endpoint stalled",
            UsbError.Overflow => "the device sent more than was asked",
            UsbError.NotSupported => "not supported on this platform",
            _ => "libusb error",
        };
        return new UsbException(error, $"{what}: {advice} ({error}, {code})");
    }

    public static UsbException LibraryMissing(Exception inner) => new(UsbError.NotSupported,
        "libusb-1.0 is not installed (Debian: apt-get install libusb-1.0-0; Windows: libusb-1.0.dll beside dock.exe). " +
        "USB bulk recorders need it; serial, network and mass-storage recorders do not.", inner);
}
