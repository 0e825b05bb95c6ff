using Dock.Evidence;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.Service.Catalog;
using Dock.Service.Custody;

namespace Dock.Service.Tests;

/// <summary>The custody log on a real SQLite file: group commit, gap-free indexes, a second writer, reopening.</summary>
public sealed class CustodyLogTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-custody-").FullName;
    private readonly Ed25519Key _key = Ed25519Key.Generate();
    private CatalogStores _catalog = null!;

    public async Task InitializeAsync() => _catalog = await CatalogStores.OpenAsync(Path.Combine(_dir, "catalog.db"), TimeProvider.System, CancellationToken.None);

    public Task DisposeAsync()
    {
        _key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private CustodyJournal Journal => new(Path.Combine(_dir, "custody"));

    private Task<CustodyLog> OpenLogAsync(CatalogStores catalog) =>
        CustodyLog.OpenAsync(catalog.Database, Journal, _key, "dock-test", [_key.PublicKey], TimeProvider.System, CancellationToken.None);

    private static Func<long, DateTimeOffset, CustodyEvent> Event(CustodyLog log, string detail) =>
        (index, at) => new CustodyEvent(index, CustodyEventKind.Viewed, at, log.DockId, "tester", Detail: detail);

    [Fact]
    public async Task ConcurrentAppends_GetEveryIndexOnce_AndTheTreeMatchesTheStoredEntries()
    {
        var log = await OpenLogAsync(_catalog);
        var appended = await Task.WhenAll(Enumerable.Range(0, 16).Select(t => Task.Run(async () =>
        {
            var mine = new List<CustodyEvent>();
            for (int i = 0; i < 40; i++) mine.Add(await log.AppendAsync(Event(log, $"writer {t} event {i}"), CancellationToken.None));
            return mine;
        })));

        var all = appended.SelectMany(x => x).ToList();
        Assert.Equal(Enumerable.Range(0, 640).Select(i => (long)i), all.Select(e => e.Index).Order());
        // Each writer's events are in the order it appended them.
        Assert.All(appended, mine => Assert.Equal(mine.Select(e => e.Index).Order(), mine.Select(e => e.Index)));
        var leaves = new List<byte[]>();
        await foreach (var (index, bytes, leaf) in CustodyLog.ReadEntriesAsync(_catalog.Database, CancellationToken.None))
        {
            Assert.Equal(leaves.Count, index);
            Assert.Equal(MerkleTree.LeafHash(bytes), leaf);
            leaves.Add(leaf);
        }
        var (checkpoint, _) = await log.CheckpointAsync(CancellationToken.None);
        Assert.Equal(640, checkpoint.Size);
        Assert.Equal(MerkleTree.Root(leaves, 640), checkpoint.RootHash);
    }

    [Fact]
    public async Task AppendAll_KeepsItsOrder_AndIsNotInterleavedWithOtherWriters()
    {
        var log = await OpenLogAsync(_catalog);
        var others = Enumerable.Range(0, 8).Select(i => Task.Run(() => log.AppendAsync(Event(log, $"other {i}"), CancellationToken.None))).ToList();
        var batch = await log.AppendAllAsync([Event(log, "first"), Event(log, "second"), Event(log, "third")], CancellationToken.None);
        await Task.WhenAll(others);

        Assert.Equal(["first", "second", "third"], batch.Select(e => e.Detail));
        Assert.Equal([batch[0].Index, batch[0].Index + 1, batch[0].Index + 2], batch.Select(e => e.Index)); // Consecutive: one commit.
        Assert.Equal(11, log.Size);
    }

    [Fact]
    public async Task MalformedEvent_FailsAlone_WithoutAGap()
    {
        var log = await OpenLogAsync(_catalog);
        await log.AppendAsync(Event(log, "first"), CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => log.AppendAsync(Event(log, "line\nbreak"), CancellationToken.None));
        var next = await log.AppendAsync(Event(log, "second"), CancellationToken.None);
        Assert.Equal(1, next.Index);
    }

    [Fact]
    public async Task CatalogChangeAlongside_CommitsWithItsEntry_OrUndoesOnlyThatEntry()
    {
        var log = await OpenLogAsync(_catalog);
        await using (var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None))
            await CatalogDatabase.ExecAsync(c, null, "CREATE TABLE marks (idx INTEGER PRIMARY KEY);", CancellationToken.None);
        CustodyLog.CatalogChange mark = (c, tx, e) => CatalogDatabase.ExecAsync(c, tx, "INSERT INTO marks(idx) VALUES ($i);", CancellationToken.None, ("$i", e.Index));
        CustodyLog.CatalogChange failing = (_, _, _) => throw new StorageException("the change cannot be made");

        static async Task<CustodyEvent?> OrNull(Task<CustodyEvent> append)
        {
            try
            {
                return await append;
            }
            catch (StorageException)
            {
                return null;
            }
        }
        var results = await Task.WhenAll(
            OrNull(log.AppendAsync(Event(log, "a"), CancellationToken.None, mark)),
            OrNull(log.AppendAsync(Event(log, "b"), CancellationToken.None, failing)),
            OrNull(log.AppendAsync(Event(log, "c"), CancellationToken.None, mark)));

        Assert.Null(results[1]); // Its entry was not written ...
        Assert.Equal([0L, 1L], results.Where(r => r is not null).Select(r => r!.Index).Order()); // ... and left no gap.
        var marks = new List<long>();
        await using (var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None))
        await using (var command = CatalogDatabase.Command(c, null, "SELECT idx FROM marks ORDER BY idx;"))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) marks.Add(reader.GetInt64(0));
        Assert.Equal([0L, 1L], marks); // Each written entry's change is there, and only theirs.
        long entries = 0;
        await foreach (var _ in CustodyLog.ReadEntriesAsync(_catalog.Database, CancellationToken.None)) entries++;
        Assert.Equal(2, entries);
    }

    private async Task ExecAsync(string sql)
    {
        await using var c = await _catalog.Database.OpenConnectionAsync(CancellationToken.None);
        await CatalogDatabase.ExecAsync(c, null, sql, CancellationToken.None);
    }

    [Fact]
    public async Task CatalogLosesCommittedEntries_OpenRefusesNamingRecover_RecoverPutsThemBack_SameRootAsPublished()
    {
        var log = await OpenLogAsync(_catalog);
        for (int i = 0; i < 6; i++) await log.AppendAsync(Event(log, $"event {i}"), CancellationToken.None);
        var (published, _) = await log.CheckpointAsync(CancellationToken.None);
        await log.AppendAsync(Event(log, "after the checkpoint"), CancellationToken.None);

        // What a lost write-ahead log does: the last committed transactions are gone from the catalog.
        await ExecAsync("DELETE FROM custody_entries WHERE idx >= 3; DELETE FROM custody_checkpoints;");
        var refused = await Assert.ThrowsAsync<CustodyLogBehindException>(() => OpenLogAsync(_catalog));
        Assert.Contains("holds 3 custody entries", refused.Message, StringComparison.Ordinal);
        Assert.Contains("dock log recover --data", refused.Message, StringComparison.Ordinal);

        var report = await CustodyRecovery.RecoverAsync(_catalog, Journal, new Vault.ClipVault(_dir), CustodyLog.OriginFor("dock-test"), [_key.PublicKey],
            CancellationToken.None);
        Assert.Equal(4, report.EntriesRestored);
        Assert.Equal(7, report.EntriesNow);
        var reopened = await OpenLogAsync(_catalog);
        Assert.Equal(7, reopened.Size);
        var (now, _) = await reopened.CheckpointAsync(CancellationToken.None);
        Assert.True(MerkleTree.VerifyConsistency(published.Size, now.Size, published.RootHash, now.RootHash,
            reopened.ConsistencyProof(published.Size, now.Size))); // No fork: the new checkpoint extends the published one.
    }

    [Fact]
    public async Task CatalogRolledBackBelowItsCheckpoint_WithTheJournalGone_RecoverRefusesAndSaysWhatIsLost()
    {
        var log = await OpenLogAsync(_catalog);
        for (int i = 0; i < 5; i++) await log.AppendAsync(Event(log, $"event {i}"), CancellationToken.None);
        await log.CheckpointAsync(CancellationToken.None);
        await ExecAsync("DELETE FROM custody_entries WHERE idx >= 2; DELETE FROM custody_checkpoints;");
        File.Delete(Journal.JournalPath); // Only DATA/custody/checkpoint is left.

        var refused = await Assert.ThrowsAsync<CustodyLogBehindException>(() => OpenLogAsync(_catalog));
        Assert.Contains("signed a checkpoint of 5 entries", refused.Message, StringComparison.Ordinal);
        var lost = await Assert.ThrowsAsync<UnrecoverableLogException>(() => CustodyRecovery.RecoverAsync(_catalog, Journal, new Vault.ClipVault(_dir),
            CustodyLog.OriginFor("dock-test"), [_key.PublicKey], CancellationToken.None));
        Assert.Contains("entries 2..4 are in no copy", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JournalCutShortByACrash_IsRepairedFromTheCatalogAtOpen()
    {
        var log = await OpenLogAsync(_catalog);
        for (int i = 0; i < 4; i++) await log.AppendAsync(Event(log, $"event {i}"), CancellationToken.None);
        await using (var journal = new FileStream(Journal.JournalPath, FileMode.Open, FileAccess.ReadWrite))
            journal.SetLength(journal.Length - 7); // The last record torn mid-write.

        var reopened = await OpenLogAsync(_catalog);
        Assert.Equal(4, reopened.Size);
        var check = Journal;
        using (await check.LockAsync(CancellationToken.None))
        {
            var records = check.Refresh(fromStart: true);
            Assert.Equal(4, records.Count(r => r.IsEntry));
        }
    }

    [Fact]
    public async Task Snapshot_BesideConcurrentAppendsAndCheckpoints_EveryExportVerifies()
    {
        var writer = await OpenLogAsync(await CatalogStores.OpenAsync(_catalog.Database.Path, TimeProvider.System, CancellationToken.None));
        using var stop = new CancellationTokenSource();
        var busy = Task.Run(async () =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                await writer.AppendAsync(Event(writer, $"busy {i}"), CancellationToken.None);
                if (i % 3 == 0) await writer.CheckpointAsync(CancellationToken.None);
            }
        });
        for (int export = 0; export < 40; export++)
        {
            var (entries, checkpoints) = await CustodyLog.ReadSnapshotAsync(_catalog.Database, CancellationToken.None);
            var report = LogVerifier.Verify(entries, [.. checkpoints.Select(c => c.Note)], [_key.PublicKey], keysTrusted: true);
            Assert.True(report.Outcome is VerifyOutcome.Verified || checkpoints.Count == 0, string.Join("; ", report.Steps.Select(s => $"{s.Name}: {s.Detail}")));
        }
        await stop.CancelAsync();
        await busy;
    }

    [Fact]
    public async Task SecondWriter_OnTheSameCatalog_IsCaughtUp_AndReopeningRebuildsTheTree()
    {
        var service = await OpenLogAsync(_catalog);
        var tool = await OpenLogAsync(await CatalogStores.OpenAsync(_catalog.Database.Path, TimeProvider.System, CancellationToken.None));
        await service.AppendAsync(Event(service, "by the service"), CancellationToken.None);
        var byTool = await tool.AppendAsync(Event(tool, "by a command"), CancellationToken.None);
        var byService = await service.AppendAsync(Event(service, "by the service again"), CancellationToken.None);
        Assert.Equal(1, byTool.Index);
        Assert.Equal(2, byService.Index);
        var (fromService, _) = await service.CheckpointAsync(CancellationToken.None);
        var reopened = await OpenLogAsync(_catalog);
        var (fromReopened, _) = await reopened.CheckpointAsync(CancellationToken.None);
        Assert.Equal(3, fromService.Size);
        Assert.Equal(fromService.RootHash, fromReopened.RootHash);
    }

    [Fact]
    public async Task UploadOutbox_VerifiedAndQueuedCommitTogetherWithTheQueuedEntry_OrNotAtAll()
    {
        var log = await OpenLogAsync(_catalog);
        await _catalog.Recorders.UpsertRecorderAsync(new DeviceProtocol.Messages.Info("R1", "M", "1.0", "P1", 1, 1, 0, 0), new byte[32], CancellationToken.None);
        var clip = (await _catalog.Lifecycle.AnnounceAsync("R1", new DeviceProtocol.Messages.ClipSummary("c1.mp4", 1000, 1_700_000_000_000, 1_700_000_600_000,
            DeviceProtocol.Messages.ClipFlags.Mandatory, new byte[32]), "P1", CancellationToken.None)).Row;
        // Verified comes after stored (ClipLifecycle.Allowed).
        await _catalog.Lifecycle.SetPullingAsync(clip.Id, 0, CancellationToken.None);
        await _catalog.Lifecycle.SetStoredAsync(clip.Id, "vault/R1/c1.mp4", new string('0', 64), 0, CancellationToken.None);
        var outbox = new Upload.UploadOutbox(Upload.CloudTargetUri.TryParse("file:cloud", out var target, out _) ? target : null);
        var intent = outbox.IntentFor(clip)!;
        Assert.Equal(2, intent.Priority); // an R11 recording goes first

        // A change that fails inside the transaction: neither the entry nor the state nor the queue row is kept.
        var size = log.Size;
        await Assert.ThrowsAsync<StorageException>(() => log.AppendAsync(Event(log, "queued"), CancellationToken.None,
            (c, tx, _) => _catalog.Lifecycle.MarkVerifiedAndQueuedAsync(c, tx, clip.Id + 1000, intent)));
        Assert.Equal(size, log.Size);
        Assert.Equal(ClipState.Stored, (await _catalog.Clips.GetClipAsync(clip.Id, CancellationToken.None))!.State);
        Assert.Empty(await _catalog.Uploads.ListUploadsAsync(CancellationToken.None));

        var next = outbox.Next;
        var entry = await log.AppendAsync(Event(log, "queued"), CancellationToken.None,
            (c, tx, _) => _catalog.Lifecycle.MarkVerifiedAndQueuedAsync(c, tx, clip.Id, intent));
        Assert.Equal(size, entry.Index);
        Assert.Equal(ClipState.Verified, (await _catalog.Clips.GetClipAsync(clip.Id, CancellationToken.None))!.State);
        var upload = Assert.Single(await _catalog.Uploads.ListUploadsAsync(CancellationToken.None));
        Assert.Equal((clip.Id, intent.ObjectKey, 2), (upload.ClipRow, upload.ObjectKey, upload.Priority));
        Assert.False(next.IsCompleted); // the catalog does not wake the uploader: the ingest pipeline does, once its transaction is in
        outbox.Queued();
        Assert.True(next.IsCompleted);
    }

    [Fact]
    public async Task ClipEntries_FoundByClip_AlsoForEntriesAppendedBeforeTheIndexExisted()
    {
        var log = await OpenLogAsync(_catalog);
        Func<long, DateTimeOffset, CustodyEvent> About(string serial, string clip, string detail) =>
            (index, at) => new CustodyEvent(index, CustodyEventKind.Viewed, at, log.DockId, "tester", serial, clip, Detail: detail);
        for (int i = 0; i < 5; i++)
        {
            await log.AppendAsync(About("R1", "c1", $"one {i}"), CancellationToken.None);
            await log.AppendAsync(About("R1", "c2", $"two {i}"), CancellationToken.None);
            await log.AppendAsync(Event(log, $"no clip {i}"), CancellationToken.None);
        }
        var c1 = await log.ReadClipEntriesAsync("R1", "c1", CancellationToken.None);
        Assert.Equal([0L, 3, 6, 9, 12], c1.Select(e => e.Index));
        Assert.All(c1, e => Assert.Contains("clip: c1\n", System.Text.Encoding.UTF8.GetString(e.Entry), StringComparison.Ordinal));
        Assert.Empty(await log.ReadClipEntriesAsync("R1", "c3", CancellationToken.None));

        // A catalog from before the index (migration 8 starts it empty at 0): the next open indexes what is there.
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_catalog.Path}"))
        {
            await c.OpenAsync();
            await using var wipe = c.CreateCommand();
            wipe.CommandText = "DELETE FROM custody_clip_entries; UPDATE custody_clip_index SET indexed_to = 0;";
            await wipe.ExecuteNonQueryAsync();
        }
        var reopened = await OpenLogAsync(await CatalogStores.OpenAsync(_catalog.Path, TimeProvider.System, CancellationToken.None));
        Assert.Equal([1L, 4, 7, 10, 13], (await reopened.ReadClipEntriesAsync("R1", "c2", CancellationToken.None)).Select(e => e.Index));
        await reopened.AppendAsync(About("R1", "c2", "after"), CancellationToken.None);
        Assert.Equal(15, (await reopened.ReadClipEntriesAsync("R1", "c2", CancellationToken.None))[^1].Index);
    }
}
