using Dock.Evidence;
using System.Text;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.Service.Catalog;
using Dock.Service.Vault;
using Microsoft.Data.Sqlite;

namespace Dock.Service.Custody;

/// <summary>What `dock log recover` did.</summary>
public sealed record RecoveryReport(long EntriesBefore, long EntriesRestored, int CheckpointsRestored, long EntriesNow, long LatestCheckpointSize,
    IReadOnlyList<string> ClipChanges);

/// <summary>
/// `dock log recover` (custody-log-v1.md §4.1): a catalog that lost committed changes gets its custody entries and
/// checkpoints back from the journal, each checked (canonical entry, its own index, the journal's records agreeing with
/// what the catalog still holds, every checkpoint's root recomputed), and the clip rows are brought forward to what the
/// restored entries say. Nothing is made up: when no copy of a lost entry exists, it refuses and says what is lost.
/// </summary>
public static class CustodyRecovery
{
    public static async Task<RecoveryReport> RecoverAsync(CatalogStores catalog, CustodyJournal journal, ClipVault vault, string origin,
        IReadOnlyList<byte[]> keys, CancellationToken cancellationToken)
    {
        using var journalLock = await journal.LockAsync(cancellationToken);
        var records = journal.Refresh(fromStart: true);
        var journaled = records.Where(r => r.IsEntry).Select(r => r.Bytes).ToList();
        await using var c = await catalog.Database.OpenConnectionAsync(cancellationToken);
        var inCatalog = await CustodyLog.ReadAllEntriesAsync(catalog.Database, c, null, cancellationToken);
        for (int i = 0; i < Math.Min(inCatalog.Count, journaled.Count); i++)
            if (!inCatalog[i].AsSpan().SequenceEqual(journaled[i]))
                throw new StorageException($"Custody entry {i} differs between the catalog and {journal.JournalPath}: one was altered outside Dock. " +
                    "Not recovering; keep both files for investigation.");
        var all = new List<byte[]>(inCatalog);
        all.AddRange(journaled.Skip(inCatalog.Count));
        var tree = new MerkleLevels();
        foreach (var entry in all) tree.Append(MerkleTree.LeafHash(entry));

        // Every checkpoint this dock signed that is kept anywhere here must match the recovered tree.
        var notes = records.Where(r => !r.IsEntry).Select(r => Encoding.UTF8.GetString(r.Bytes)).ToList();
        if (journal.ReadCheckpointFile() is { } file) notes.Add(file);
        var known = (await CustodyLog.ReadCheckpointsAsync(catalog.Database, cancellationToken)).Select(n => n.Note).ToHashSet(StringComparer.Ordinal);
        var toInsert = new List<(long Size, string KeyId, string Note)>();
        long latest = 0;
        foreach (var note in notes.Distinct(StringComparer.Ordinal))
        {
            var signer = keys.FirstOrDefault(k => SignedNote.TryOpen(note, origin, k, out _, out _));
            if (signer is null || !SignedNote.TryOpen(note, origin, signer, out var text, out _) || !Checkpoint.TryParse(text, out var checkpoint, out _))
                throw new StorageException($"A checkpoint kept in {journal.Directory} is not signed by this dock's key (or a retired one); not recovering.");
            if (checkpoint.Size > all.Count)
                throw new UnrecoverableLogException($"This dock signed a checkpoint of {checkpoint.Size} custody entries, but only {all.Count} exist here " +
                    $"(the catalog holds {inCatalog.Count}, the journal {journaled.Count}): entries {all.Count}..{checkpoint.Size - 1} are in no copy on this dock. " +
                    "The log cannot go on without contradicting that checkpoint. Restore catalog.db (or DATA/custody/journal) from a backup that holds them; " +
                    "or keep this data folder as evidence, read-only, and set the dock up afresh in a new data folder (a new key, a new log).");
            if (!tree.Root(checkpoint.Size).AsSpan().SequenceEqual(checkpoint.RootHash))
                throw new StorageException($"The checkpoint of {checkpoint.Size} entries kept in {journal.Directory} does not match the entries: not recovering.");
            latest = Math.Max(latest, checkpoint.Size);
            if (!known.Contains(note)) toInsert.Add((checkpoint.Size, Ed25519Key.Fingerprint(signer), note));
        }

        var restored = new List<CustodyEvent>();
        for (int i = inCatalog.Count; i < all.Count; i++)
        {
            if (!CustodyEvent.TryParse(all[i], out var entry, out var error) || entry.Index != i)
                throw new StorageException($"Journal entry {i} is not a canonical custody entry with its own index ({error}); not recovering.");
            restored.Add(entry);
        }
        IReadOnlyList<string> changes = [];
        await using (var tx = await CatalogDatabase.BeginAsync(c, cancellationToken))
        {
            foreach (var entry in restored)
                await CatalogDatabase.ExecAsync(c, tx, "INSERT INTO custody_entries(idx, entry, leaf_hash) VALUES ($idx, $entry, $leaf);", cancellationToken,
                    ("$idx", entry.Index), ("$entry", all[(int)entry.Index]), ("$leaf", MerkleTree.LeafHash(all[(int)entry.Index])));
            foreach (var (size, keyId, note) in toInsert)
                await CatalogDatabase.ExecAsync(c, tx, "INSERT OR IGNORE INTO custody_checkpoints(size, key_id, note, at) VALUES ($size, $key, $note, $at);",
                    cancellationToken, ("$size", size), ("$key", keyId), ("$note", note), ("$at", catalog.Database.Now()));
            changes = await new CustodyReplay(catalog.Database).ReplayCustodyAsync(c, tx, restored, (serial, clipId) => ReadManifest(vault, serial, clipId, keys), cancellationToken);
            await CatalogDatabase.CommitAsync(tx, cancellationToken);
        }
        return new RecoveryReport(inCatalog.Count, restored.Count, toInsert.Count, all.Count, latest, changes);
    }

    /// <summary>The clip's manifest in the vault, if it is there and signed by this dock (a catalog row is rebuilt only from that).</summary>
    private static ClipManifest? ReadManifest(ClipVault vault, string serial, string clipId, IReadOnlyList<byte[]> keys)
    {
        var path = vault.ManifestPath(serial, clipId);
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > ClipManifest.MaxBytes || !File.Exists(path + ".sig")) return null;
            var bytes = File.ReadAllBytes(path);
            var signature = File.ReadAllBytes(path + ".sig");
            if (!keys.Any(k => Ed25519Key.Verify(k, bytes, signature))) return null;
            var manifest = JsonSerializer.Deserialize(bytes, ClipManifest.TypeInfo);
            return manifest?.Clip.RecorderSerial == serial && manifest.Clip.ClipId == clipId ? manifest : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            return null;
        }
    }
}

/// <summary>No copy of some signed custody entries exists on this dock: the log cannot be recovered here.</summary>
public sealed class UnrecoverableLogException(string message) : StorageException(message);
