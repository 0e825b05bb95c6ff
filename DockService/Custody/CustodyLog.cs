using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;

namespace Dock.Service.Custody;

/// <summary>
/// The dock's append-only custody log (R3, hardware-specs/custody-log-v1.md): every entry is stored in
/// its exact bytes in the catalog (synchronous=FULL: an append that returned is on disk, so it is
/// durable before any recorder is told to release), forms an RFC 6962 Merkle tree, and is committed
/// to by checkpoints signed with the dock key as C2SP signed notes.
/// The tree is kept in memory (about two hashes per entry: ~13 MB per 100,000 events) so that each
/// checkpoint and proof costs O(log² n), not a rehash of the log.
/// </summary>
public sealed class CustodyLog
{
    private readonly ClipCatalog _catalog;
    private readonly Ed25519Key _key;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly MerkleLevels _leaves;
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingAppend> _queue = new();

    private CustodyLog(ClipCatalog catalog, Ed25519Key key, string dockId, TimeProvider time, MerkleLevels leaves)
    {
        _catalog = catalog;
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

    public static string OriginFor(string dockId) => $"dock/{dockId}";

    public static async Task<CustodyLog> OpenAsync(ClipCatalog catalog, Ed25519Key key, string dockId, TimeProvider time, CancellationToken cancellationToken)
    {
        var leaves = new MerkleLevels();
        await using var c = await catalog.OpenConnectionAsync(cancellationToken);
        await using var command = ClipCatalog.Command(c, null, "SELECT idx, leaf_hash FROM custody_entries ORDER BY idx;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetInt64(0) != leaves.Size)
                throw new CatalogException($"The custody log in {catalog.Path} has a gap at index {leaves.Size}: it was altered outside Dock.");
            leaves.Append((byte[])reader.GetValue(1));
        }
        return new CustodyLog(catalog, key, dockId, time, leaves);
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

    /// <summary>Writes everything queued (up to <see cref="MaxBatch"/>) in one transaction. Called under the lock.</summary>
    private async Task CommitQueuedAsync()
    {
        var batch = new List<PendingAppend>();
        while (batch.Count < MaxBatch && _queue.TryDequeue(out var next))
            if (next.TryClaim()) batch.Add(next);
        if (batch.Count == 0) return;
        var written = new List<(PendingAppend Pending, CustodyEvent Entry, byte[] Leaf)>(batch.Count);
        try
        {
            await using var c = await _catalog.OpenConnectionAsync(CancellationToken.None);
            await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(CancellationToken.None);
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
                catch (ArgumentException ex)
                {
                    pending.Completion.TrySetException(ex); // This event is malformed; the others are not.
                    continue;
                }
                var leaf = MerkleTree.LeafHash(bytes);
                if (pending.Alongside is null)
                {
                    await ClipCatalog.ExecAsync(c, tx, "INSERT INTO custody_entries(idx, entry, leaf_hash) VALUES ($idx, $entry, $leaf);",
                        CancellationToken.None, ("$idx", index), ("$entry", bytes), ("$leaf", leaf));
                }
                else
                {
                    // A savepoint per entry with a catalog change: if the change fails, only that entry is undone.
                    await ClipCatalog.ExecAsync(c, tx, "SAVEPOINT entry;", CancellationToken.None);
                    try
                    {
                        await ClipCatalog.ExecAsync(c, tx, "INSERT INTO custody_entries(idx, entry, leaf_hash) VALUES ($idx, $entry, $leaf);",
                            CancellationToken.None, ("$idx", index), ("$entry", bytes), ("$leaf", leaf));
                        await pending.Alongside(c, tx, entry);
                        await ClipCatalog.ExecAsync(c, tx, "RELEASE entry;", CancellationToken.None);
                    }
                    catch (Exception ex) when (ex is CatalogException or SqliteException)
                    {
                        await ClipCatalog.ExecAsync(c, tx, "ROLLBACK TO entry; RELEASE entry;", CancellationToken.None);
                        pending.Completion.TrySetException(ex);
                        continue;
                    }
                }
                written.Add((pending, entry, leaf));
                index++;
            }
            await tx.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            foreach (var pending in batch) pending.Completion.TrySetException(ex);
            return;
        }
        lock (_leaves)
            foreach (var (_, _, leaf) in written) _leaves.Append(leaf);
        foreach (var (pending, entry, _) in written) pending.Completion.TrySetResult(entry);
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
        await using var command = ClipCatalog.Command(c, tx, "SELECT idx, leaf_hash FROM custody_entries WHERE idx >= $from ORDER BY idx;", ("$from", Size));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lock (_leaves)
            {
                if (reader.GetInt64(0) != _leaves.Size)
                    throw new CatalogException($"The custody log in {_catalog.Path} has a gap at index {_leaves.Size}: it was altered outside Dock.");
                _leaves.Append((byte[])reader.GetValue(1));
            }
        }
    }

    /// <summary>Signs a checkpoint of the whole log now (or returns the existing one for this size).</summary>
    public async Task<(Checkpoint Checkpoint, string Note)> CheckpointAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await using var c = await _catalog.OpenConnectionAsync(cancellationToken);
            await CatchUpAsync(c, null, cancellationToken);
            long size = Size;
            var keyId = Ed25519Key.Fingerprint(_key.PublicKey);
            if (await ClipCatalog.ScalarAsync(c, null, "SELECT note FROM custody_checkpoints WHERE size = $size AND key_id = $key;", cancellationToken,
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
            await ClipCatalog.ExecAsync(c, null, "INSERT INTO custody_checkpoints(size, key_id, note, at) VALUES ($size, $key, $note, $at);", cancellationToken,
                ("$size", checkpoint.Size), ("$key", keyId), ("$note", note), ("$at", _catalog.Now()));
            return (checkpoint, note);
        }
        finally
        {
            _lock.Release();
        }
    }

    public IReadOnlyList<byte[]> InclusionProof(long index, long size)
    {
        lock (_leaves) return _leaves.InclusionProof(index, size);
    }

    public IReadOnlyList<byte[]> ConsistencyProof(long first, long size)
    {
        lock (_leaves) return _leaves.ConsistencyProof(first, size);
    }

    /// <summary>Every entry's exact bytes, in order (for export and verification).</summary>
    public static async IAsyncEnumerable<(long Index, byte[] Entry, byte[] LeafHash)> ReadEntriesAsync(ClipCatalog catalog,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var c = await catalog.OpenConnectionAsync(cancellationToken);
        await using var command = ClipCatalog.Command(c, null, "SELECT idx, entry, leaf_hash FROM custody_entries ORDER BY idx;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return (reader.GetInt64(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2));
    }

    public async Task<CustodyEvent> ReadEntryAsync(long index, CancellationToken cancellationToken)
    {
        await using var c = await _catalog.OpenConnectionAsync(cancellationToken);
        var bytes = await ClipCatalog.ScalarAsync(c, null, "SELECT entry FROM custody_entries WHERE idx = $idx;", cancellationToken, ("$idx", index)) as byte[]
            ?? throw new CatalogException($"Custody entry {index} does not exist.");
        return CustodyEvent.TryParse(bytes, out var entry, out var error)
            ? entry
            : throw new CatalogException($"Custody entry {index} is corrupt: {error}.");
    }

    public static async Task<IReadOnlyList<(long Size, string Note)>> ReadCheckpointsAsync(ClipCatalog catalog, CancellationToken cancellationToken)
    {
        await using var c = await catalog.OpenConnectionAsync(cancellationToken);
        await using var command = ClipCatalog.Command(c, null, "SELECT size, note FROM custody_checkpoints ORDER BY size, id;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<(long, string)>();
        while (await reader.ReadAsync(cancellationToken)) list.Add((reader.GetInt64(0), reader.GetString(1)));
        return list;
    }
}
