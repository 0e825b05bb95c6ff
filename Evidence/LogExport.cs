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

    /// <summary>What a ZIP of an export may hold in all, uncompressed: a bound on the memory a hostile upload can make the reader use.</summary>
    public const long MaxZipBytes = 512L * 1024 * 1024;

    /// <summary>
    /// The same export as one ZIP (the HTTP API's download), read from a seekable stream. Only the export's own names are accepted
    /// (entries/NNNNNNNNNNNN, checkpoints/SIZE-N, checkpoint, dock.pem, README.txt), each within its bound, the whole within
    /// <see cref="MaxZipBytes"/>; anything else is <see cref="InvalidDataException"/> with what is wrong.
    /// </summary>
    public static async Task<(List<byte[]> Entries, List<string> Notes, byte[]? Key)> ReadZipAsync(Stream zip, CancellationToken cancellationToken)
    {
        System.IO.Compression.ZipArchive archive;
        try
        {
            archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Not a ZIP file: {ex.Message}", ex);
        }
        using (archive)
        {
            var entries = new SortedDictionary<long, byte[]>();
            var checkpoints = new SortedDictionary<string, string>(StringComparer.Ordinal);
            string? latest = null;
            byte[]? key = null;
            long total = 0;
            foreach (var item in archive.Entries)
            {
                var name = item.FullName;
                bool isEntry = name.StartsWith("entries/", StringComparison.Ordinal);
                bool isCheckpoint = name.StartsWith("checkpoints/", StringComparison.Ordinal);
                if (name.EndsWith('/')) continue; // a folder
                if (!(isEntry && IsDigits(name["entries/".Length..], 12)
                      || isCheckpoint && name.Length == "checkpoints/".Length + 19 && IsDigits(name.Substring("checkpoints/".Length, 12), 12)
                         && name["checkpoints/".Length..][12] == '-' && IsDigits(name[^6..], 6)
                      || name is "checkpoint" or "dock.pem" or "README.txt"))
                    throw new InvalidDataException($"'{name}' is not part of a custody log export (entries/, checkpoints/, checkpoint, dock.pem, README.txt).");
                long bound = name == "README.txt" ? 64 * 1024 : name == "dock.pem" ? 4096 : MaxEntryBytes;
                if (item.Length > bound) throw new InvalidDataException($"{name} is larger than it can be ({bound} bytes).");
                total += item.Length;
                if (total > MaxZipBytes) throw new InvalidDataException($"The export holds more than {MaxZipBytes / (1024 * 1024)} MiB; verify it with `dock log verify` instead.");
                var bytes = new byte[item.Length];
                var content = await item.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    try
                    {
                        // Exactly the size its header declares, never more: a lying header cannot make this read grow.
                        await content.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                    }
                    catch (EndOfStreamException)
                    {
                        throw new InvalidDataException($"{name} is shorter than the ZIP's directory says: the file is damaged.");
                    }
                }
                if (isEntry) entries[long.Parse(name["entries/".Length..], System.Globalization.CultureInfo.InvariantCulture)] = bytes;
                else if (isCheckpoint) checkpoints[name] = System.Text.Encoding.UTF8.GetString(bytes);
                else if (name == "checkpoint") latest = System.Text.Encoding.UTF8.GetString(bytes);
                else if (name == "dock.pem" && ClipVerifier.TryReadPublicKeyPem(System.Text.Encoding.UTF8.GetString(bytes), out var k)) key = k;
            }
            if (entries.Count == 0) throw new InvalidDataException("The ZIP holds no entries/: it is not a custody log export.");
            // In file-name order, as the folder reader does: a removed entry then shows in the verifier as an index out of place.
            var notes = checkpoints.Values.ToList();
            if (latest is not null && !notes.Contains(latest)) notes.Add(latest);
            return ([.. entries.Values], notes, key);
        }
    }

    private static bool IsDigits(string text, int length) => text.Length == length && text.All(char.IsAsciiDigit);
}
