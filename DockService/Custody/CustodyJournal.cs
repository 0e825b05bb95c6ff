using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Dock.Crypto.Custody;
using Dock.Crypto.Transparency;
using Dock.Service.Hosting;
using Dock.Service.Vault;

namespace Dock.Service.Custody;

/// <summary>
/// The custody log's copy outside the catalog (custody-log-v1.md §4.1): DATA/custody/journal holds every entry's exact
/// bytes and every checkpoint the dock signed, appended and fsynced as they are made, and DATA/custody/checkpoint holds
/// the latest signed checkpoint. A catalog that lost committed transactions (its write-ahead log deleted or truncated,
/// an old backup put back) is then seen at start, because it is behind its own journal and checkpoint, and the lost
/// entries can be put back from here (`dock log recover`) instead of the dock signing a second, different root for a
/// size it already published.
/// </summary>
/// <remarks>
/// Record format, after the 24-byte header "dock-custody-journal/v1\n": kind (1 byte, 'E' entry or 'C' checkpoint note),
/// length (u32 big-endian, at most 64 KiB), the bytes, then CRC-32 (u32 big-endian) of kind, length and bytes. A record
/// cut short by a crash is dropped at the next open. Every process that appends to the custody log (the service, a
/// `dock recorders` command beside it) holds DATA/custody/journal.lock from its SQLite commit to its journal fsync, so
/// the journal is written in index order and never runs ahead of the catalog's committed entries.
/// </remarks>
public sealed class CustodyJournal
{
    public const string FolderName = "custody";
    private const int MaxRecord = 64 * 1024;
    private const byte EntryKind = (byte)'E';
    private const byte CheckpointKind = (byte)'C';
    private static readonly byte[] Header = "dock-custody-journal/v1\n"u8.ToArray();
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    private long _length;

    public CustodyJournal(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    public static CustodyJournal For(Configuration.DockPaths paths) => new(Path.Combine(paths.DataDirectory, FolderName));

    public string Directory { get; }
    public string JournalPath => Path.Combine(Directory, "journal");
    public string LockPath => Path.Combine(Directory, "journal.lock");
    public string CheckpointPath => Path.Combine(Directory, "checkpoint");

    /// <summary>Entries in the journal, as of the last <see cref="Refresh"/> or append by this process.</summary>
    public long EntryCount { get; private set; }

    /// <summary>The last checkpoint note in the journal, as of the last <see cref="Refresh"/>.</summary>
    public string? LatestCheckpoint { get; private set; }

    /// <summary>Takes the cross-process journal lock (the file lock on journal.lock).</summary>
    public async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        return await FileLock.AcquireAsync(LockPath, LockTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A record read from the journal.</summary>
    public sealed record Record(bool IsEntry, byte[] Bytes);

    /// <summary>
    /// Reads what was appended since this process last looked (by any process), creating the journal if there is none.
    /// Call under <see cref="LockAsync"/>. A record cut short at the end (a crash during an append) is cut off; damage
    /// anywhere else is a <see cref="CustodyJournalException"/>. With <paramref name="fromStart"/> it re-reads the whole
    /// journal and returns every record (open and recovery compare them with the catalog).
    /// </summary>
    public IReadOnlyList<Record> Refresh(bool fromStart = false)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (!File.Exists(JournalPath))
        {
            using (var created = new FileStream(JournalPath, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite))
            {
                created.Write(Header);
                created.Flush(flushToDisk: true);
            }
            ClipVault.FsyncDirectory(Directory);
            _length = Header.Length;
            EntryCount = 0;
            LatestCheckpoint = null;
            return [];
        }
        if (fromStart)
        {
            _length = 0;
            EntryCount = 0;
            LatestCheckpoint = null;
        }
        var records = new List<Record>();
        using var file = new FileStream(JournalPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1 << 16);
        if (_length == 0)
        {
            var header = new byte[Header.Length];
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) != header.Length || !header.AsSpan().SequenceEqual(Header))
                throw new CustodyJournalException($"{JournalPath} is not a custody journal (its header is wrong). Move it aside; the dock writes a new one from the catalog.");
            _length = Header.Length;
        }
        file.Position = _length;
        var head = new byte[5];
        while (true)
        {
            long at = file.Position;
            int got = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (got == 0) break;
            int length = got == head.Length ? (int)BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(1)) : -1;
            byte[]? body = null;
            bool whole = got == head.Length && head[0] is EntryKind or CheckpointKind && length is >= 0 and <= MaxRecord;
            if (whole)
            {
                body = new byte[length + 4];
                whole = file.ReadAtLeast(body, body.Length, throwOnEndOfStream: false) == body.Length
                    && BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(length)) == Crc(head, body.AsSpan(0, length));
            }
            if (!whole)
            {
                // A crash during an append leaves at most one record cut short at the end: drop it. Anything longer is damage.
                if (file.Length - at > 5 + MaxRecord + 4)
                    throw new CustodyJournalException($"{JournalPath} is damaged at byte {at} of {file.Length}: not a record cut short by a crash. " +
                        "Keep it for investigation and move it aside; the dock then writes a new one from the catalog.");
                file.SetLength(at);
                file.Flush(flushToDisk: true);
                break;
            }
            var bytes = body!.AsSpan(0, length).ToArray();
            if (head[0] == EntryKind)
            {
                if (!CustodyEvent.TryParse(bytes, out var entry, out var error) || entry.Index != EntryCount)
                    throw new CustodyJournalException($"{JournalPath}: record at byte {at} is not custody entry {EntryCount} ({(error.Length > 0 ? error : $"it is entry {entry.Index}")}).");
                EntryCount++;
            }
            else
            {
                LatestCheckpoint = Encoding.UTF8.GetString(bytes);
            }
            if (fromStart) records.Add(new Record(head[0] == EntryKind, bytes));
            _length = file.Position;
        }
        return records;
    }

    /// <summary>Appends entries (which must continue at <see cref="EntryCount"/>) and fsyncs. Call under the lock, after <see cref="Refresh"/>.</summary>
    public void AppendEntries(IEnumerable<(long Index, byte[] Bytes)> entries)
    {
        var buffer = new MemoryStream();
        long next = EntryCount;
        foreach (var (index, bytes) in entries)
        {
            if (index != next) throw new InvalidOperationException($"Journal append out of order: entry {index}, expected {next}.");
            WriteRecord(buffer, EntryKind, bytes);
            next++;
        }
        if (buffer.Length == 0) return;
        Append(buffer);
        EntryCount = next;
    }

    /// <summary>Appends a signed checkpoint note and fsyncs, then replaces DATA/custody/checkpoint with it. Call under the lock.</summary>
    public void AppendCheckpoint(string note)
    {
        var buffer = new MemoryStream();
        WriteRecord(buffer, CheckpointKind, Encoding.UTF8.GetBytes(note));
        Append(buffer);
        LatestCheckpoint = note;
        WriteCheckpointFile(note);
    }

    /// <summary>The note in DATA/custody/checkpoint, or null when there is none (or it is not readable text of a sane size).</summary>
    public string? ReadCheckpointFile()
    {
        try
        {
            return File.Exists(CheckpointPath) && new FileInfo(CheckpointPath).Length <= MaxRecord ? File.ReadAllText(CheckpointPath) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private void WriteCheckpointFile(string note)
    {
        var temporary = CheckpointPath + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encoding.UTF8.GetBytes(note));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, CheckpointPath, overwrite: true);
        ClipVault.FsyncDirectory(Directory);
    }

    private void Append(MemoryStream records)
    {
        using var file = new FileStream(JournalPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.Position = _length;
        records.Position = 0;
        records.CopyTo(file);
        file.SetLength(file.Position);
        file.Flush(flushToDisk: true);
        _length = file.Position;
    }

    private static void WriteRecord(MemoryStream buffer, byte kind, byte[] bytes)
    {
        if (bytes.Length > MaxRecord) throw new ArgumentException($"A journal record is at most {MaxRecord} bytes.", nameof(bytes));
        Span<byte> head = stackalloc byte[5];
        head[0] = kind;
        BinaryPrimitives.WriteUInt32BigEndian(head[1..], (uint)bytes.Length);
        buffer.Write(head);
        buffer.Write(bytes);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc(head, bytes));
        buffer.Write(crc);
    }

    private static uint Crc(ReadOnlySpan<byte> head, ReadOnlySpan<byte> bytes)
    {
        var crc = new Crc32();
        crc.Append(head);
        crc.Append(bytes);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>The leaf hash of an entry record (RFC 6962).</summary>
    public static byte[] LeafHash(Record record) => MerkleTree.LeafHash(record.Bytes);
}

/// <summary>The custody journal is unreadable or disagrees with itself.</summary>
public sealed class CustodyJournalException(string message) : Catalog.StorageException(message);
