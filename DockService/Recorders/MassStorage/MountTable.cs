namespace Dock.Service.Recorders.MassStorage;

/// <summary>Where a block device is mounted, from the kernel's mount table (/proc/self/mounts format).</summary>
public static class MountTable
{
    private const long MaxBytes = 1024 * 1024;

    /// <summary>The mount point of /dev/<paramref name="blockDevice"/> or of its first mounted partition; null if none.</summary>
    public static string? FindMountPoint(string mountsFile, string blockDevice)
    {
        string[] lines;
        try
        {
            if (!File.Exists(mountsFile) || new FileInfo(mountsFile).Length > MaxBytes) return null;
            lines = File.ReadAllLines(mountsFile);
        }
        catch (IOException)
        {
            return null;
        }
        var whole = "/dev/" + blockDevice;
        string? partition = null;
        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            if (fields.Length < 2) continue;
            var device = fields[0];
            if (device == whole) return Unescape(fields[1]);
            // sdb1, sdb2 …, or mmcblk0p1 / nvme0n1p1 style partitions.
            if (partition is null && device.StartsWith(whole, StringComparison.Ordinal)
                && device[whole.Length..].TrimStart('p') is { Length: > 0 } rest && rest.All(char.IsAsciiDigit))
                partition = Unescape(fields[1]);
        }
        return partition;
    }

    /// <summary>The kernel writes space, tab, newline and backslash in mount points as \040, \011, \012, \134.</summary>
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
