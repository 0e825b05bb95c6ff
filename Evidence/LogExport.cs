namespace Dock.Evidence;

/// <summary>A custody log export (`dock log export`): entries/, checkpoints/, checkpoint and dock.pem, read back bounded.</summary>
public static class LogExport
{
    /// <summary>No entry or checkpoint is larger (custody-log-v1.md bounds a detail to 1,024 bytes).</summary>
    public const long MaxEntryBytes = 64 * 1024;

    public static async Task<(List<byte[]> Entries, List<string> Notes, byte[]? Key)> ReadAsync(string dir, CancellationToken cancellationToken)
    {
        var entriesDir = Path.Combine(dir, "entries");
        if (!Directory.Exists(entriesDir)) throw new InvalidDataException($"{dir} is not a custody log export: it has no entries/ folder.");
        var entries = new List<byte[]>();
        foreach (var file in Directory.GetFiles(entriesDir).Order(StringComparer.Ordinal))
        {
            if (new FileInfo(file).Length > LogExport.MaxEntryBytes) throw new InvalidDataException($"{file} is larger than an entry can be ({LogExport.MaxEntryBytes} bytes).");
            entries.Add(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false));
        }
        var notes = new List<string>();
        var checkpointsDir = Path.Combine(dir, "checkpoints");
        var files = Directory.Exists(checkpointsDir) ? Directory.GetFiles(checkpointsDir).Order(StringComparer.Ordinal).ToList() : [];
        if (File.Exists(Path.Combine(dir, "checkpoint"))) files.Add(Path.Combine(dir, "checkpoint"));
        foreach (var file in files)
        {
            if (new FileInfo(file).Length > LogExport.MaxEntryBytes) throw new InvalidDataException($"{file} is larger than a checkpoint can be.");
            var note = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            if (!notes.Contains(note)) notes.Add(note);
        }
        byte[]? key = null;
        var pem = Path.Combine(dir, "dock.pem");
        if (File.Exists(pem) && new FileInfo(pem).Length <= 4096 && ClipVerifier.TryReadPublicKeyPem(await File.ReadAllTextAsync(pem, cancellationToken).ConfigureAwait(false), out var k)) key = k;
        return (entries, notes, key);
    }

}
