using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Custody;

/// <summary>
/// The dock's append-only custody log (R3, hardware-specs/custody-log-v1.md): every entry is stored in
/// its exact bytes in the catalog (synchronous=FULL: an append that returned is on disk, so it is
/// durable before any recorder is told to release), forms an RFC 6962 Merkle tree, and is committed
/// to by checkpoints signed with the dock key as C2SP signed notes.
/// The tree is kept in memory (about two hashes per entry: ~13 MB per 100,000 events) so that each
/// checkpoint and proof costs O(log² n), not a rehash of the log.
/// Every entry and checkpoint is also appended to the <see cref="CustodyJournal"/> outside the catalog before the
/// append returns, so a catalog that loses committed transactions is caught at open instead of forking the log.
/// </summary>
public sealed class CustodyLog
{
    private readonly CatalogDatabase _db;
    private readonly CustodyJournal _journal;
    private readonly Ed25519Key _key;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly MerkleLevels _leaves;
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingAppend> _queue = new();

    private CustodyLog(CatalogDatabase db, CustodyJournal journal, Ed25519Key key, string dockId, TimeProvider time, MerkleLevels leaves)
    {
        _db = db;
        _journal = journal;
        _key = key;
        _time = time;
        _leaves = leaves;
        DockId = dockId;
        Origin = OriginFor(dockId);
    }

    public string DockId { get; }

    /// <summary>The checkpoint origin, also the note key name: "dock/DOCKID".</summary>
    public string Origin { get; }

    public long Size
    {
        get { lock (_leaves) return _leaves.Size; }
    }

    /// <summary>Why the last journal append failed (it is retried with the next append), or null.</summary>
    public string? JournalProblem { get; private set; }

    public static string OriginFor(string dockId) => Evidence.ClipIds.LogOrigin(dockId);

    /// <summary>
    /// Opens the log, after checking the catalog against the journal and the latest checkpoint kept outside it
    /// (custody-log-v1.md §4.1). A catalog behind either refuses to open (<see cref="CustodyLogBehindException"/>, whose
    /// message names `dock log recover`); a journal behind the catalog (a crash between the two writes, or a dock from
    /// before the journal) is brought up to date from the catalog. <paramref name="checkpointKeys"/> are the dock's
    /// current and retired public keys: the outside checkpoint must be signed by one of them.
    /// </summary>
    public static async Task<CustodyLog> OpenAsync(CatalogDatabase db, CustodyJournal journal, Ed25519Key key, string dockId,
        IReadOnlyList<byte[]> checkpointKeys, TimeProvider time, CancellationToken cancellationToken)
    {
        var leaves = new MerkleLevels();
        using (await journal.LockAsync(cancellationToken))
        {
            var journaled = journal.Refresh(fromStart: true).Where(r => r.IsEntry).ToList();
            await using var c = await db.OpenConnectionAsync(cancellationToken);
            foreach (var (index, leaf) in await QueryAsync(c, null, "SELECT idx, leaf_hash FROM custody_entries ORDER BY idx;",
                r => (r.GetInt64(0), (byte[])r.GetValue(1)), cancellationToken))
            {
                if (index != leaves.Size)
                    throw new StorageException($"The custody log in {db.Path} has a gap at index {leaves.Size}: it was altered outside Dock.");
                if (leaves.Size < journaled.Count && !CustodyJournal.LeafHash(journaled[(int)leaves.Size]).AsSpan().SequenceEqual(leaf))
                    throw new StorageException($"Custody entry {leaves.Size} in the catalog {db.Path} differs from the same entry in {journal.JournalPath}: " +
                        "one of them was altered outside Dock. The dock will not start; keep both files for investigation.");
                leaves.Append(leaf);
            }
            var origin = OriginFor(dockId);
            var outside = LatestOutsideCheckpoint(journal, origin, checkpointKeys);
            bool signedBeyond = outside is { } o && o.Checkpoint.Size > leaves.Size;
            bool otherRoot = outside is { } p && !signedBeyond && !leaves.Root(p.Checkpoint.Size).AsSpan().SequenceEqual(p.Checkpoint.RootHash);
            if (journal.EntryCount > leaves.Size || signedBeyond || otherRoot)
                throw new CustodyLogBehindException(Behind(db, journal, leaves.Size, outside?.Checkpoint, otherRoot));
            if (journal.EntryCount < leaves.Size)
            {
                // The journal lags the catalog (a crash between the catalog commit and the journal write, or a dock from before
                // the journal): copy the missing entries over.
                journal.AppendEntries(await ReadEntryRangeAsync(c, journal.EntryCount, leaves.Size, cancellationToken));
            }
            await CatchUpClipIndexAsync(c, leaves.Size, cancellationToken);
            // Keep the catalog's and the journal's latest checkpoint in step: each may miss the last one after a crash.
            var inCatalog = await ReadCheckpointsAsync(c, cancellationToken);
            if (outside is { } kept && !inCatalog.Any(n => n.Note == kept.Note))
                await InsertCheckpointAsync(db, c, kept.Note, kept.Checkpoint.Size, kept.KeyId, cancellationToken);
            if (inCatalog.Count > 0 && (outside is null || inCatalog[^1].Size > outside.Value.Checkpoint.Size) && journal.LatestCheckpoint != inCatalog[^1].Note)
                journal.AppendCheckpoint(inCatalog[^1].Note);
        }
        return new CustodyLog(db, journal, key, dockId, time, leaves);
    }

    private static string Behind(CatalogDatabase db, CustodyJournal journal, long inCatalog, Checkpoint? signed, bool otherRoot)
    {
        var data = Path.GetDirectoryName(journal.Directory)!;
        var facts = string.Join("; ", new[]
        {
            journal.EntryCount > inCatalog ? $"the journal {journal.JournalPath} holds {journal.EntryCount}" : "",
            signed is { } s && s.Size > inCatalog ? $"this dock signed a checkpoint of {s.Size} entries" : "",
            otherRoot ? $"this dock signed a checkpoint of its first {signed!.Size} entries whose root they no longer have" : "",
        }.Where(f => f.Length > 0));
        return $"The catalog {db.Path} is behind the dock's own custody record: it holds {inCatalog} custody entries, but {facts}. " +
            "The catalog lost changes it had committed (its write-ahead log catalog.db-wal was deleted or cut short, or an older copy was put back). " +
            "The dock will not run on it: it would sign a second, different root for a log it already published. " +
            $"Keep the dock stopped and run: dock log recover --data {data}";
    }

    /// <summary>The newest checkpoint kept outside the catalog (journal or checkpoint file) that this dock signed.</summary>
    private static (Checkpoint Checkpoint, string Note, string KeyId)? LatestOutsideCheckpoint(CustodyJournal journal, string origin,
        IReadOnlyList<byte[]> keys)
    {
        (Checkpoint, string, string)? best = null;
        foreach (var note in new[] { journal.LatestCheckpoint, journal.ReadCheckpointFile() })
        {
            if (note is null) continue;
            if (!note.StartsWith(origin + "\n", StringComparison.Ordinal))
                throw new StorageException($"The checkpoint kept in {journal.Directory} is for '{note.Split('\n')[0]}', not this dock's '{origin}': " +
                    "this data folder belongs to another dock id (was Dock:DockId changed?). Put the old id back, or use a new data folder.");
            var signer = keys.FirstOrDefault(k => SignedNote.TryOpen(note, origin, k, out _, out _));
            if (signer is null || !SignedNote.TryOpen(note, origin, signer, out var text, out _) || !Checkpoint.TryParse(text, out var checkpoint, out _))
                throw new StorageException($"The checkpoint kept in {journal.Directory} is not signed by this dock's key (nor a retired one in keys/retired/): " +
                    "was the key file replaced? The dock will not start until the key matches its custody record.");
            if (best is null || checkpoint.Size > best.Value.Item1.Size) best = (checkpoint, note, Ed25519Key.Fingerprint(signer));
        }
        return best;
    }

    /// <summary>
    /// Appends one event; <paramref name="make"/> receives the index and the dock's time. It returns once
    /// the entry is durable (synchronous=FULL commit). Appends that arrive while a commit is running are
    /// written together in the next one (group commit): every bay can log at once for one fsync.
    /// Another process (a `dock recorders` command beside the running service) may append too: the
    /// write transaction serialises them, and each first catches up with what the other wrote.
    /// </summary>
    /// <remarks><paramref name="alongside"/>, when given, is a catalog change committed in the same transaction as the
    /// entry (e.g. a clip's state): the log and the catalog then never disagree after a crash. If it fails, its entry is
    /// not written (and the others of the batch are).</remarks>
    public async Task<CustodyEvent> AppendAsync(Func<long, DateTimeOffset, CustodyEvent> make, CancellationToken cancellationToken,
        CatalogChange? alongside = null)
    {
        var pending = new PendingAppend(make, alongside);
        _queue.Enqueue(pending);
        try
        {
            await _lock.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Withdraw it unless a leader already took it into a commit (then it is, or will be, in the log).
            if (pending.TryWithdraw()) throw;
            return await pending.Completion.Task;
        }
        try
        {
            if (!pending.Completion.Task.IsCompleted) await CommitQueuedAsync();
        }
        finally
        {
            _lock.Release();
        }
        return await pending.Completion.Task;
    }

    /// <summary>
    /// Appends several events in this order, in one commit (and one journal write): a clip's acquired, hash-verified and
    /// signature-verified are facts established together, and each commit is two fsyncs (catalog and journal).
    /// </summary>
    /// <remarks><paramref name="alongside"/>, when given, holds each entry's catalog change (or null), committed with it as in
    /// <see cref="AppendAsync"/>.</remarks>
    public async Task<IReadOnlyList<CustodyEvent>> AppendAllAsync(IReadOnlyList<Func<long, DateTimeOffset, CustodyEvent>> makes,
        CancellationToken cancellationToken, IReadOnlyList<CatalogChange?>? alongside = null)
    {
        if (alongside is not null && alongside.Count != makes.Count) throw new ArgumentException("one catalog change (or null) per entry", nameof(alongside));
        // Queued together before anything is awaited, so one commit takes them all, in order.
        var pendings = makes.Select((m, i) => new PendingAppend(m, alongside?[i])).ToArray();
        foreach (var pending in pendings) _queue.Enqueue(pending);
        try
        {
            await _lock.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Those a leader already took are (or will be) in the log; the rest are withdrawn.
            foreach (var pending in pendings) pending.TryWithdraw();
            throw;
        }
        try
        {
            while (pendings.Any(p => !p.Completion.Task.IsCompleted)) await CommitQueuedAsync();
        }
        finally
        {
            _lock.Release();
        }
        return await Task.WhenAll(pendings.Select(p => p.Completion.Task));
    }

    /// <summary>The most entries <see cref="AppendAtomicallyAsync"/> takes at once (a roster of a few thousand officers fits).</summary>
    public const int MaxAtomic = 40_000;

    /// <summary>
    /// Appends several events as one: all of them with their catalog changes in one transaction, or none (a roster import must never be
    /// half-applied, even by a crash). Entries appended before it go first; none are interleaved with it. If any entry is malformed or
    /// any catalog change fails, nothing is written and the error is thrown.
    /// </summary>
    public async Task<IReadOnlyList<CustodyEvent>> AppendAtomicallyAsync(IReadOnlyList<Func<long, DateTimeOffset, CustodyEvent>> makes,
        IReadOnlyList<CatalogChange?> alongside, CancellationToken cancellationToken)
    {
        if (alongside.Count != makes.Count) throw new ArgumentException("one catalog change (or null) per entry", nameof(alongside));
        if (makes.Count > MaxAtomic) throw new ArgumentException($"at most {MaxAtomic} entries at once", nameof(makes));
        if (makes.Count == 0) return [];
        var pendings = makes.Select((m, i) => new PendingAppend(m, alongside[i])).ToList();
        foreach (var pending in pendings) pending.TryClaim(); // never queued: no other commit can take them
        await _lock.WaitAsync(cancellationToken);
        try
        {
            while (!_queue.IsEmpty) await CommitQueuedAsync();
            await CommitBatchAsync(pendings, atomic: true);
        }
        finally
        {
            _lock.Release();
        }
        return await Task.WhenAll(pendings.Select(p => p.Completion.Task));
    }

    /// <summary>Writes everything queued (up to <see cref="MaxBatch"/>) in one transaction, then to the journal. Called under the lock.</summary>
    private async Task CommitQueuedAsync()
    {
        var batch = new List<PendingAppend>();
        while (batch.Count < MaxBatch && _queue.TryDequeue(out var next))
            if (next.TryClaim()) batch.Add(next);
        if (batch.Count == 0) return;
        await CommitBatchAsync(batch, atomic: false);
    }

    /// <summary>One transaction for <paramref name="batch"/>, then the journal. Not <paramref name="atomic"/>: an entry that is malformed or
    /// whose catalog change fails is left out alone. Atomic: it fails the whole batch, and nothing is written.</summary>
    private async Task CommitBatchAsync(List<PendingAppend> batch, bool atomic)
    {
        var written = new List<(PendingAppend Pending, CustodyEvent Entry, byte[] Bytes, byte[] Leaf)>(batch.Count);
        IDisposable? journalLock = null;
        try
        {
            // The journal lock spans the catalog commit and the journal write, so every process journals in index order.
            journalLock = await _journal.LockAsync(CancellationToken.None);
            _journal.Refresh();
            await using var c = await _db.OpenConnectionAsync(CancellationToken.None);
            await using (var tx = await BeginAsync(c, CancellationToken.None))
            {
                await CatchUpAsync(c, tx, CancellationToken.None);
                long index = Size;
                var now = _time.GetUtcNow();
                foreach (var pending in batch)
                {
                    CustodyEvent entry;
                    byte[] bytes;
                    try
                    {
                        entry = pending.Make(index, now);
                        if (entry.Index != index || entry.DockId != DockId) throw new ArgumentException("A custody event must carry the next index and this dock's id.");
                        bytes = entry.ToBytes();
                    }
                    catch (ArgumentException ex) when (!atomic)
                    {
                        pending.Completion.TrySetException(ex); // This event is malformed; the others are not.
                        continue;
                    }
                    var leaf = MerkleTree.LeafHash(bytes);
                    if (pending.Alongside is null)
                    {
                        await InsertEntryAsync(c, tx, entry, bytes, leaf);
                    }
                    else
                    {
                        // A savepoint per entry with a catalog change: if the change fails, only that entry is undone.
                        await ExecAsync(c, tx, "SAVEPOINT entry;", CancellationToken.None);
                        try
                        {
                            await InsertEntryAsync(c, tx, entry, bytes, leaf);
                            await pending.Alongside(c, tx, entry);
                            await ExecAsync(c, tx, "RELEASE entry;", CancellationToken.None);
                        }
                        catch (StorageException ex) when (!atomic)
                        {
                            await ExecAsync(c, tx, "ROLLBACK TO entry; RELEASE entry;", CancellationToken.None);
                            pending.Completion.TrySetException(ex);
                            continue;
                        }
                    }
                    written.Add((pending, entry, bytes, leaf));
                    index++;
                }
                await CommitAsync(tx, CancellationToken.None);
            }
            lock (_leaves)
                foreach (var (_, _, _, leaf) in written) _leaves.Append(leaf);
            await SyncJournalAsync(c, [.. written.Select(w => (w.Entry.Index, w.Bytes))]);
        }
        catch (Exception ex)
        {
            foreach (var pending in batch) pending.Completion.TrySetException(ex);
            return;
        }
        finally
        {
            journalLock?.Dispose();
        }
        foreach (var (pending, entry, _, _) in written) pending.Completion.TrySetResult(entry);
    }

    private static async Task InsertEntryAsync(SqliteConnection c, SqliteTransaction tx, CustodyEvent entry, byte[] bytes, byte[] leaf)
    {
        await ExecAsync(c, tx, "INSERT INTO custody_entries(idx, entry, leaf_hash) VALUES ($idx, $entry, $leaf);",
            CancellationToken.None, ("$idx", entry.Index), ("$entry", bytes), ("$leaf", leaf));
        await IndexEntryAsync(c, tx, entry, CancellationToken.None);
        // The index is complete up to here only if it was up to this entry (OpenAsync brings it up to the log first).
        await ExecAsync(c, tx, "UPDATE custody_clip_index SET indexed_to = $next WHERE indexed_to = $idx;", CancellationToken.None,
            ("$idx", entry.Index), ("$next", entry.Index + 1));
    }

    private static async Task IndexEntryAsync(SqliteConnection c, SqliteTransaction? tx, CustodyEvent entry, CancellationToken cancellationToken)
    {
        if (entry.RecorderSerial is { } serial && entry.ClipId is { } clipId)
            await ExecAsync(c, tx, "INSERT OR IGNORE INTO custody_clip_entries(recorder_serial, clip_id, idx) VALUES ($s, $c, $idx);", cancellationToken,
                ("$s", serial), ("$c", clipId), ("$idx", entry.Index));
    }

    /// <summary>
    /// Indexes by clip the entries appended since the index was last complete (a catalog from before migration 8, or entries put
    /// back by `dock log recover`), a page at a time.
    /// </summary>
    private static async Task CatchUpClipIndexAsync(SqliteConnection c, long size, CancellationToken cancellationToken)
    {
        const int page = 4096;
        var from = (long)(await ScalarAsync(c, null, "SELECT indexed_to FROM custody_clip_index;", cancellationToken))!;
        while (from < size)
        {
            var to = Math.Min(size, from + page);
            var entries = await ReadEntryRangeAsync(c, from, to, cancellationToken);
            await using var tx = await BeginAsync(c, cancellationToken);
            foreach (var (index, bytes) in entries)
                if (CustodyEvent.TryParse(bytes, out var entry, out _) && entry.Index == index)
                    await IndexEntryAsync(c, tx, entry, cancellationToken);
            await ExecAsync(c, tx, "UPDATE custody_clip_index SET indexed_to = $to;", cancellationToken, ("$to", to));
            await CommitAsync(tx, cancellationToken);
            from = to;
        }
    }

    /// <summary>Every custody entry of one clip, in order (at most <paramref name="limit"/>).</summary>
    public async Task<IReadOnlyList<(long Index, byte[] Entry)>> ReadClipEntriesAsync(string serial, string clipId, CancellationToken cancellationToken,
        int limit = 1000)
    {
        await using var c = await _db.OpenConnectionAsync(cancellationToken);
        return await QueryAsync(c, null, """
            SELECT e.idx, e.entry FROM custody_clip_entries k JOIN custody_entries e ON e.idx = k.idx
            WHERE k.recorder_serial = $s AND k.clip_id = $c ORDER BY k.idx LIMIT $n;
            """, r => (r.GetInt64(0), (byte[])r.GetValue(1)), cancellationToken, ("$s", serial), ("$c", clipId), ("$n", limit));
    }

    /// <summary>
    /// Brings the journal up to the catalog's committed entries (under the journal lock, after the commit): this batch's
    /// entries, and any another process committed but did not journal (it crashed in between). A failed journal write
    /// does not undo the commit: the entries are durable in the catalog, and the next append or open retries the journal.
    /// </summary>
    private async Task SyncJournalAsync(SqliteConnection c, IReadOnlyList<(long Index, byte[] Bytes)> batch)
    {
        try
        {
            long from = _journal.EntryCount, to = Size;
            if (from >= to) return;
            long batchStart = batch.Count > 0 ? batch[0].Index : to;
            var entries = from < batchStart ? await ReadEntryRangeAsync(c, from, batchStart, CancellationToken.None) : [];
            entries.AddRange(batch.Where(b => b.Index >= from));
            _journal.AppendEntries(entries);
            JournalProblem = null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            JournalProblem = $"cannot write the custody journal {_journal.JournalPath}: {ex.Message}";
        }
    }

    private static async Task<List<(long Index, byte[] Bytes)>> ReadEntryRangeAsync(SqliteConnection c, long from, long to, CancellationToken cancellationToken)
    {
        return await QueryAsync(c, null, "SELECT idx, entry FROM custody_entries WHERE idx >= $from AND idx < $to ORDER BY idx;",
            r => (r.GetInt64(0), (byte[])r.GetValue(1)), cancellationToken, ("$from", from), ("$to", to));
    }

    private const int MaxBatch = 256;

    /// <summary>A catalog change made in the custody entry's own transaction (see <see cref="AppendAsync"/>).</summary>
    public delegate Task CatalogChange(SqliteConnection connection, SqliteTransaction transaction, CustodyEvent entry);

    private sealed class PendingAppend(Func<long, DateTimeOffset, CustodyEvent> make, CatalogChange? alongside)
    {
        private int _state; // 0 queued, 1 claimed by a commit, 2 withdrawn by its caller.
        public Func<long, DateTimeOffset, CustodyEvent> Make { get; } = make;
        public CatalogChange? Alongside { get; } = alongside;
        public TaskCompletionSource<CustodyEvent> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public bool TryClaim() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;
        public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;
    }

    private async Task CatchUpAsync(SqliteConnection c, SqliteTransaction? tx, CancellationToken cancellationToken)
    {
        var newer = await QueryAsync(c, tx, "SELECT idx, leaf_hash FROM custody_entries WHERE idx >= $from ORDER BY idx;",
            r => (Index: r.GetInt64(0), Leaf: (byte[])r.GetValue(1)), cancellationToken, ("$from", Size));
        lock (_leaves)
        {
            foreach (var (index, leaf) in newer)
            {
                if (index != _leaves.Size)
                    throw new StorageException($"The custody log in {_db.Path} has a gap at index {_leaves.Size}: it was altered outside Dock.");
                _leaves.Append(leaf);
            }
        }
    }

    /// <summary>
    /// Signs a checkpoint of the whole log now (or returns the existing one for this size). The note is in the journal
    /// and DATA/custody/checkpoint (fsynced) before it is stored in the catalog and returned, so no checkpoint is ever
    /// published that a catalog rollback could make the dock contradict.
    /// </summary>
    public async Task<(Checkpoint Checkpoint, string Note)> CheckpointAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var journalLock = await _journal.LockAsync(cancellationToken);
            _journal.Refresh();
            await using var c = await _db.OpenConnectionAsync(cancellationToken);
            await CatchUpAsync(c, null, cancellationToken);
            long size = Size;
            var keyId = Ed25519Key.Fingerprint(_key.PublicKey);
            if (await ScalarAsync(c, null, "SELECT note FROM custody_checkpoints WHERE size = $size AND key_id = $key;", cancellationToken,
                ("$size", size), ("$key", keyId)) is string existing)
            {
                SignedNote.TryOpen(existing, Origin, _key.PublicKey, out var text, out _);
                Checkpoint.TryParse(text, out var parsed, out _);
                return (parsed, existing);
            }
            byte[] root;
            lock (_leaves) root = _leaves.Root(size);
            var checkpoint = new Checkpoint(Origin, size, root);
            var note = SignedNote.Sign(checkpoint.ToText(), Origin, _key);
            // The journal must hold every entry the checkpoint covers before the checkpoint itself.
            await SyncJournalAsync(c, []);
            if (_journal.EntryCount < size) throw new IOException(JournalProblem ?? $"the custody journal lags the catalog ({_journal.EntryCount} of {size} entries)");
            _journal.AppendCheckpoint(note);
            await InsertCheckpointAsync(_db, c, note, size, keyId, cancellationToken);
            return (checkpoint, note);
        }
        finally
        {
            _lock.Release();
        }
    }

    private static Task InsertCheckpointAsync(CatalogDatabase db, SqliteConnection c, string note, long size, string keyId, CancellationToken cancellationToken) =>
        ExecAsync(c, null, "INSERT OR IGNORE INTO custody_checkpoints(size, key_id, note, at) VALUES ($size, $key, $note, $at);", cancellationToken,
            ("$size", size), ("$key", keyId), ("$note", note), ("$at", db.Now()));

    public IReadOnlyList<byte[]> InclusionProof(long index, long size)
    {
        lock (_leaves) return _leaves.InclusionProof(index, size);
    }

    public IReadOnlyList<byte[]> ConsistencyProof(long first, long size)
    {
        lock (_leaves) return _leaves.ConsistencyProof(first, size);
    }

    /// <summary>Every entry's exact bytes, in order (for export and verification).</summary>
    public static async IAsyncEnumerable<(long Index, byte[] Entry, byte[] LeafHash)> ReadEntriesAsync(CatalogDatabase db,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // In pages, so a long log is never held in memory whole.
        const int page = 4096;
        for (long from = 0; ; from += page)
        {
            await using var c = await db.OpenConnectionAsync(cancellationToken);
            var rows = await QueryAsync(c, null, "SELECT idx, entry, leaf_hash FROM custody_entries WHERE idx >= $from ORDER BY idx LIMIT $n;",
                r => (r.GetInt64(0), (byte[])r.GetValue(1), (byte[])r.GetValue(2)), cancellationToken, ("$from", from), ("$n", page));
            foreach (var row in rows) yield return row;
            if (rows.Count < page) yield break;
        }
    }

    /// <summary>
    /// Every entry and every checkpoint as of one moment: both are read in one read transaction, so no checkpoint in the
    /// result covers entries the result does not hold (a log export beside a running dock).
    /// </summary>
    public static async Task<(IReadOnlyList<byte[]> Entries, IReadOnlyList<(long Size, string Note)> Checkpoints)> ReadSnapshotAsync(CatalogDatabase db,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken);
        // Deferred: a read transaction (WAL snapshot) that does not hold the write lock, so the dock keeps appending meanwhile.
        await using var tx = BeginRead(c);
        var entries = await ReadAllEntriesAsync(db, c, tx, cancellationToken);
        var checkpoints = await ReadCheckpointsAsync(c, cancellationToken, tx);
        await CommitAsync(tx, cancellationToken);
        return (entries, checkpoints);
    }

    /// <summary>Every entry's exact bytes, in order, checked for gaps (an index missing means the log was altered outside Dock).</summary>
    internal static async Task<List<byte[]>> ReadAllEntriesAsync(CatalogDatabase db, SqliteConnection c, SqliteTransaction? tx, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync(c, tx, "SELECT idx, entry FROM custody_entries ORDER BY idx;", r => (Index: r.GetInt64(0), Entry: (byte[])r.GetValue(1)),
            cancellationToken);
        for (int i = 0; i < rows.Count; i++)
            if (rows[i].Index != i)
                throw new StorageException($"The custody log in {db.Path} has a gap at index {i}: it was altered outside Dock.");
        return [.. rows.Select(r => r.Entry)];
    }

    public async Task<CustodyEvent> ReadEntryAsync(long index, CancellationToken cancellationToken)
    {
        await using var c = await _db.OpenConnectionAsync(cancellationToken);
        var bytes = await ScalarAsync(c, null, "SELECT entry FROM custody_entries WHERE idx = $idx;", cancellationToken, ("$idx", index)) as byte[]
            ?? throw new StorageException($"Custody entry {index} does not exist.");
        return CustodyEvent.TryParse(bytes, out var entry, out var error)
            ? entry
            : throw new StorageException($"Custody entry {index} is corrupt: {error}.");
    }

    /// <summary>The newest signed checkpoint (the largest tree), or null before the first.</summary>
    public async Task<(long Size, string Note)?> LatestCheckpointAsync(CancellationToken cancellationToken)
    {
        await using var c = await _db.OpenConnectionAsync(cancellationToken);
        var latest = await QueryAsync(c, null, "SELECT size, note FROM custody_checkpoints ORDER BY size DESC, id DESC LIMIT 1;",
            r => (r.GetInt64(0), r.GetString(1)), cancellationToken);
        return latest.Count == 0 ? null : latest[0];
    }

    /// <summary>The newest <paramref name="count"/> signed checkpoints: the tree size each covers, when it was signed, and its note.</summary>
    public async Task<IReadOnlyList<(long Size, DateTimeOffset At, string Note)>> RecentCheckpointsAsync(int count, CancellationToken cancellationToken)
    {
        await using var c = await _db.OpenConnectionAsync(cancellationToken);
        return await QueryAsync(c, null, "SELECT size, at, note FROM custody_checkpoints ORDER BY size DESC, id DESC LIMIT $count;",
            r => (r.GetInt64(0), ParseTime(r.GetString(1)), r.GetString(2)), cancellationToken, ("$count", count));
    }

    /// <summary>Entries [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>) as their exact bytes.</summary>
    public async Task<IReadOnlyList<(long Index, byte[] Entry)>> ReadRangeAsync(long from, int count, CancellationToken cancellationToken)
    {
        await using var c = await _db.OpenConnectionAsync(cancellationToken);
        return await QueryAsync(c, null, "SELECT idx, entry FROM custody_entries WHERE idx >= $from ORDER BY idx LIMIT $count;",
            r => (r.GetInt64(0), (byte[])r.GetValue(1)), cancellationToken, ("$from", from), ("$count", count));
    }

    public static async Task<IReadOnlyList<(long Size, string Note)>> ReadCheckpointsAsync(CatalogDatabase db, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken);
        return await ReadCheckpointsAsync(c, cancellationToken);
    }

    private static async Task<List<(long Size, string Note)>> ReadCheckpointsAsync(SqliteConnection c, CancellationToken cancellationToken,
        SqliteTransaction? tx = null)
    {
        return await QueryAsync(c, tx, "SELECT size, note FROM custody_checkpoints ORDER BY size, id;", r => (r.GetInt64(0), r.GetString(1)),
            cancellationToken);
    }
}

/// <summary>The catalog holds fewer custody entries than the dock's journal or its last signed checkpoint: it lost committed
/// changes. The dock must not run on it (it would fork its own log); `dock log recover` puts the entries back.</summary>
public sealed class CustodyLogBehindException(string message) : StorageException(message);
