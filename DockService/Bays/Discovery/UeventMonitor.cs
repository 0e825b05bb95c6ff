using System.Runtime.InteropServices;
using System.Text;

namespace Dock.Service.Bays.Discovery;

/// <summary>One kernel uevent: "add@/devices/…" with its KEY=VALUE pairs (ACTION, DEVPATH, SUBSYSTEM, DEVNAME…).</summary>
public sealed record Uevent(string Action, string DevPath, IReadOnlyDictionary<string, string> Properties)
{
    public string? Subsystem => Properties.GetValueOrDefault("SUBSYSTEM");

    /// <summary>Parses a kernel uevent datagram; null for anything else (udevd's "libudev" messages, garbage).</summary>
    public static Uevent? Parse(ReadOnlySpan<byte> datagram)
    {
        var text = Encoding.UTF8.GetString(datagram);
        var parts = text.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) return null;
        int at = parts[0].IndexOf('@', StringComparison.Ordinal);
        if (at <= 0) return null;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) properties[part[..eq]] = part[(eq + 1)..];
        }
        return new Uevent(parts[0][..at], parts[0][(at + 1)..], properties);
    }
}

/// <summary>
/// Hotplug on Linux: the kernel's uevents on a NETLINK_KOBJECT_UEVENT socket (what udev listens to),
/// so a docked or pulled camera is noticed at once instead of at the next sysfs poll. The socket is read
/// on a dedicated thread (recv blocks; a receive timeout lets it stop). Where netlink is not available
/// (Windows, a sandbox without it) <see cref="TryOpen"/> returns null and the bays keep polling sysfs.
/// </summary>
public sealed partial class UeventMonitor : IDisposable
{
    private const int AfNetlink = 16;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;
    private const int NetlinkKobjectUevent = 15;
    private const int SolSocket = 1;
    private const int SoRcvtimeo = 20;
    private const int MaxDatagram = 8192;

    private readonly int _fd;
    private readonly HashSet<string> _subsystems;
    private readonly Thread _reader;
    private volatile bool _stopping;
    private TaskCompletionSource<Uevent> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UeventMonitor(int fd, IEnumerable<string> subsystems)
    {
        _fd = fd;
        _subsystems = new HashSet<string>(subsystems, StringComparer.Ordinal);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "uevent monitor" };
        _reader.Start();
    }

    /// <summary>Events seen so far that matched the subsystems (diagnostics, tests).</summary>
    public long Received => Interlocked.Read(ref _received);
    private long _received;

    /// <summary>Completes with the next matching uevent. Take it before looking at sysfs, so a change in between still wakes the caller.</summary>
    public Task<Uevent> Next => Volatile.Read(ref _next).Task;

    /// <summary>Listens for uevents of these subsystems (e.g. usb, tty, net, block); null if netlink is unavailable, with why.</summary>
    public static UeventMonitor? TryOpen(IEnumerable<string> subsystems, out string? why)
    {
        why = null;
        if (!OperatingSystem.IsLinux())
        {
            why = "netlink uevents exist on Linux only";
            return null;
        }
        int fd = Socket(AfNetlink, SockDgram | SockCloexec, NetlinkKobjectUevent);
        if (fd < 0)
        {
            why = $"socket(AF_NETLINK) failed: errno {Marshal.GetLastPInvokeError()}";
            return null;
        }
        // sockaddr_nl: family u16, pad u16, pid u32 (0: the kernel picks), groups u32 (1: kernel uevents).
        var address = new byte[12];
        BitConverter.TryWriteBytes(address.AsSpan(0), (ushort)AfNetlink);
        BitConverter.TryWriteBytes(address.AsSpan(8), 1u);
        // struct timeval { long sec; long usec; }: recv returns every half second so the thread can stop.
        var timeout = new byte[16];
        BitConverter.TryWriteBytes(timeout.AsSpan(8), 500_000L);
        if (Bind(fd, address, address.Length) != 0 || SetSockOpt(fd, SolSocket, SoRcvtimeo, timeout, timeout.Length) != 0)
        {
            why = $"binding the uevent socket failed: errno {Marshal.GetLastPInvokeError()}";
            Close(fd);
            return null;
        }
        return new UeventMonitor(fd, subsystems);
    }

    private void ReadLoop()
    {
        var buffer = new byte[MaxDatagram];
        while (!_stopping)
        {
            nint n = Recv(_fd, buffer, buffer.Length, 0);
            if (n <= 0) continue; // Timeout (EAGAIN), an interrupted call, or closing.
            if (Uevent.Parse(buffer.AsSpan(0, (int)n)) is not { } uevent || uevent.Subsystem is not { } subsystem || !_subsystems.Contains(subsystem))
                continue;
            Interlocked.Increment(ref _received);
            Interlocked.Exchange(ref _next, new TaskCompletionSource<Uevent>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(uevent);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _reader.Join();
        Close(_fd);
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte[] address, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int fd, int level, int name, byte[] value, int length);

    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static partial nint Recv(int fd, byte[] buffer, nint length, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
