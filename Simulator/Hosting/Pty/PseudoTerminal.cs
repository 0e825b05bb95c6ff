using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;

namespace Dock.Simulator.Hosting.Pty;

/// <summary>
/// A Linux pseudo-terminal pair: the recorder owns the master, the dock opens the slave path
/// (/dev/pts/N) with System.IO.Ports exactly as it would a CDC-ACM /dev/ttyACM0. The slave is put in
/// raw mode and kept open here, so the dock closing and reopening its port does not hang up the line.
/// </summary>
public sealed unsafe class PseudoTerminal : IDisposable
{
    private int _master;
    private int _keeper;

    private PseudoTerminal(int master, int keeper, string slavePath)
    {
        _master = master;
        _keeper = keeper;
        SlavePath = slavePath;
    }

    public string SlavePath { get; }

    internal int MasterFd => Volatile.Read(ref _master);

    public static PseudoTerminal Open()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Pseudo-terminal recorders need Linux.");
        int master = Check(Libc.posix_openpt(Libc.O_RDWR | Libc.O_NOCTTY), "posix_openpt");
        try
        {
            Check(Libc.grantpt(master), "grantpt");
            Check(Libc.unlockpt(master), "unlockpt");
            var name = stackalloc byte[256];
            Check(Libc.ptsname_r(master, name, 256), "ptsname_r");
            string path = Encoding.ASCII.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0));
            int keeper = Check(Libc.open(path, Libc.O_RDWR | Libc.O_NOCTTY), $"open {path}");
            var termios = stackalloc byte[256];
            Check(Libc.tcgetattr(keeper, termios), "tcgetattr");
            Libc.cfmakeraw(termios); // No echo, no line editing, no CR/LF translation: a byte pipe.
            Check(Libc.tcsetattr(keeper, Libc.TCSANOW, termios), "tcsetattr");
            int flags = Check(Libc.fcntl(master, Libc.F_GETFL, 0), "fcntl");
            Check(Libc.fcntl(master, Libc.F_SETFL, flags | Libc.O_NONBLOCK), "fcntl");
            return new PseudoTerminal(master, keeper, path);
        }
        catch
        {
            Libc.close(master);
            throw;
        }
    }

    /// <summary>Reads what the dock wrote; waits up to <paramref name="pollMs"/>. 0 when nothing came.</summary>
    internal int Read(Span<byte> buffer, int pollMs)
    {
        int fd = MasterFd;
        if (fd < 0) throw new ObjectDisposedException(nameof(PseudoTerminal));
        var pfd = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
        int ready = Libc.poll(&pfd, 1, pollMs);
        if (ready <= 0) return 0;
        fixed (byte* p = buffer)
        {
            nint n = Libc.read(fd, p, buffer.Length);
            if (n >= 0) return (int)n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EAGAIN or Libc.EINTR) return 0;
            throw new IOException($"pty read failed: {new Win32Exception(errno).Message}");
        }
    }

    /// <summary>Writes as much as the line takes within <paramref name="pollMs"/>; returns the count.</summary>
    internal int Write(ReadOnlySpan<byte> data, int pollMs)
    {
        int fd = MasterFd;
        if (fd < 0) throw new ObjectDisposedException(nameof(PseudoTerminal));
        var pfd = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
        if (Libc.poll(&pfd, 1, pollMs) <= 0) return 0;
        fixed (byte* p = data)
        {
            nint n = Libc.write(fd, p, data.Length);
            if (n >= 0) return (int)n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno is Libc.EAGAIN or Libc.EINTR) return 0;
            throw new IOException($"pty write failed: {new Win32Exception(errno).Message}");
        }
    }

    /// <summary>Closing the master hangs up the line: the dock's port sees the device vanish.</summary>
    public void Dispose()
    {
        int master = Interlocked.Exchange(ref _master, -1);
        if (master >= 0) Libc.close(master);
        int keeper = Interlocked.Exchange(ref _keeper, -1);
        if (keeper >= 0) Libc.close(keeper);
    }

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new IOException($"{call} failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
}
