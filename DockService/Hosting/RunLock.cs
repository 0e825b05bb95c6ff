using System.Globalization;
using Dock.Service.Configuration;

namespace Dock.Service.Hosting;

/// <summary>
/// One dock per data folder: `dock run` (and the demo, and commands that need the dock stopped) hold an OS lock on
/// DATA/dock.lock for their whole life, so a second one exits at once, naming the first, instead of ingesting and
/// uploading beside it (two uploaders logged every clip twice). A crash releases the lock. Who holds it is written to
/// DATA/dock.lock.owner (the lock file itself cannot be read while locked).
/// </summary>
public sealed class RunLock : IDisposable
{
    private readonly FileStream _held;

    private RunLock(FileStream held) => _held = held;

    public static string LockPath(DockPaths paths) => Path.Combine(paths.DataDirectory, "dock.lock");

    public static string OwnerPath(DockPaths paths) => LockPath(paths) + ".owner";

    /// <summary>Takes the lock for <paramref name="what"/> (e.g. "dock run"), or throws <see cref="DataFolderInUseException"/>
    /// naming the process that holds it.</summary>
    public static RunLock Acquire(DockPaths paths, string what)
    {
        if (File.Exists(paths.DataDirectory))
            throw new IOException($"--data {paths.DataDirectory} is a file, not a folder: give the dock's data folder (it is created if missing).");
        var held = FileLock.TryAcquire(LockPath(paths));
        if (held is null)
        {
            string owner;
            try
            {
                owner = File.Exists(OwnerPath(paths)) && new FileInfo(OwnerPath(paths)).Length < 4096 ? File.ReadAllText(OwnerPath(paths)).Trim() : "";
            }
            catch (IOException)
            {
                owner = "";
            }
            throw new DataFolderInUseException($"Another dock is already using the data folder {paths.DataDirectory}" +
                (owner.Length > 0 ? $" ({owner})" : "") + ". One dock per data folder: stop that one first (e.g. `systemctl stop dock`), " +
                "or give this one another --data folder.");
        }
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{what}, pid {Environment.ProcessId} on {Environment.MachineName}, user {Environment.UserName}, since {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z");
        File.WriteAllText(OwnerPath(paths), text + "\n");
        return new RunLock(held);
    }

    public void Dispose()
    {
        _held.Dispose();
    }
}

/// <summary>Another dock process holds the data folder.</summary>
public sealed class DataFolderInUseException(string message) : Exception(message);
