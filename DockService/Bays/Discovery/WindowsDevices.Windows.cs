using System.IO.Ports;
using System.Runtime.Versioning;

namespace Dock.Service.Bays.Discovery;

/// <summary>
/// Windows: what a dock PC can see without sysfs — COM ports (CDC-ACM recorders appear as COMn) and
/// removable volumes (mass-storage recorders). Built on every platform, used on Windows. There are no
/// USB port paths here: bays bind to COM port names (serial://COM7) or volume labels. Compiled and unit
/// tested for the parts that run anywhere; not run on Windows in this sandbox (none exists here).
/// </summary>
[SupportedOSPlatform("windows")]
public static class WindowsDevices
{
    /// <summary>COM port names, e.g. "COM3", sorted.</summary>
    public static IReadOnlyList<string> SerialPorts() => [.. SerialPort.GetPortNames().Order(StringComparer.OrdinalIgnoreCase)];

    /// <summary>Mounted removable volumes: root (e.g. "E:\"), label and size.</summary>
    public static IReadOnlyList<(string Root, string Label, long Size)> RemovableVolumes() =>
        [.. DriveInfo.GetDrives().Where(d => d.DriveType == DriveType.Removable && d.IsReady).Select(d => (d.RootDirectory.FullName, d.VolumeLabel, d.TotalSize))];
}
