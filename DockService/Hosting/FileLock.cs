namespace Dock.Service.Hosting;

/// <summary>
/// An exclusive OS lock on a file, held while the returned stream is open and released by the OS when the process
/// dies (a crash never leaves it held). On Linux and macOS .NET takes it with flock(LOCK_EX) for FileShare.None; on
/// Windows it is the share mode. Advisory: only code that asks for the lock is kept out. Locks are per open file, so
/// two holders in one process exclude each other too.
/// </summary>
public static class FileLock
{
    /// <summary>The lock now, or null when someone else holds it.</summary>
    public static FileStream? TryAcquire(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (IOException ex) when (ex is not (DirectoryNotFoundException or FileNotFoundException or PathTooLongException) && File.Exists(path))
        {
            return null; // EWOULDBLOCK (Unix) or a sharing violation (Windows): held.
        }
    }

    /// <summary>Waits for the lock (polling: holders keep it for milliseconds), up to <paramref name="timeout"/>.</summary>
    public static async Task<FileStream> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            if (TryAcquire(path) is { } held) return held;
            if (TimeProvider.System.GetElapsedTime(started) > timeout)
                throw new IOException($"{path} stayed locked for {timeout.TotalSeconds:0} s: another dock process holds it and does not let go.");
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
            if (pause < TimeSpan.FromMilliseconds(20)) pause *= 2;
        }
    }
}
