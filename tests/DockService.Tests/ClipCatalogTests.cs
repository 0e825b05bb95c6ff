using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Dock.Service.Tests;

/// <summary>Against a real SQLite file in a temp folder.</summary>
public sealed class ClipCatalogTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("dock-catalog-");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    private string DbPath => Path.Combine(_dir.FullName, "catalog.db");

    private static ClipSummary Clip(string id, byte fill = 1) =>
        new(id, 1000, 1_700_000_000_000, 1_700_000_600_000, ClipFlags.Mandatory, Enumerable.Repeat(fill, 32).ToArray());

    private static Info Recorder(string serial) => new(serial, "M", "1.0", "P1", 1, 1, 0, 0);

    [Fact]
    public async Task OpenAsync_CatalogFromTheVersionBefore_UpgradesKeepingItsCheckpoints()
    {
        await using (var old = new SqliteConnection($"Data Source={DbPath}"))
        {
            await old.OpenAsync();
            await using var cmd = old.CreateCommand();
            cmd.CommandText = Migrations.All[0] + Migrations.All[1] +
                "INSERT INTO custody_checkpoints(size, note, at) VALUES (7, 'dock/x\n7\nAAAA\n\n— dock/x sig\n', '2026-01-01T00:00:00Z'); PRAGMA user_version = 2;";
            await cmd.ExecuteNonQueryAsync();
        }
        SqliteConnection.ClearAllPools();

        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);

        var notes = await Dock.Service.Custody.CustodyLog.ReadCheckpointsAsync(catalog.Database, CancellationToken.None);
        Assert.Equal(7, Assert.Single(notes).Size);
        Assert.Empty(await catalog.Recorders.ListRecorderKeysAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OpenAsync_TwiceOnSameFile_MigratesOnceAndUsesWal()
    {
        await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);

        await using var c = new SqliteConnection($"Data Source={DbPath}");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version; ";
        Assert.Equal((long)Migrations.All.Length, await cmd.ExecuteScalarAsync());
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task OpenAsync_NotASqliteFile_DamagedNamingThePathAndTheWayOut()
    {
        await File.WriteAllTextAsync(DbPath, new string('x', 4096));

        var error = await Assert.ThrowsAsync<StorageException>(() => CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None));

        Assert.Equal(StorageFailure.Damaged, error.Kind);
        Assert.Contains(DbPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("dock log recover", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnounceAsync_SameClipTwice_OneRow_OtherBytesUnderTheId_CorrectedWhileUnproven_ThenANewGeneration()
    {
        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.Recorders.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);

        var first = await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None);
        var again = await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None);
        Assert.Equal((first.Row.Id, AnnounceChange.None), (again.Row.Id, again.Change));
        Assert.Equal(ClipState.Announced, first.Row.State);
        Assert.Equal(ClipFlags.Mandatory, first.Row.Flags);

        // No copy verified yet: the recorder's newer word replaces its earlier one (a corrupted entry is not kept for good).
        var corrected = await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1", fill: 2), "P1", CancellationToken.None);
        Assert.Equal((first.Row.Id, AnnounceChange.HashCorrected), (corrected.Row.Id, corrected.Change));
        Assert.StartsWith("0202", corrected.Row.DeviceSha256, StringComparison.Ordinal);

        // Verified: other bytes under the id are kept apart as a new generation, and called a conflict while the clip is on the recorder.
        await catalog.Lifecycle.SetStoredAsync(first.Row.Id, "vault/clips/R1/c1", corrected.Row.DeviceSha256, 0, CancellationToken.None);
        var conflict = await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1", fill: 3), "P1", CancellationToken.None);
        Assert.Equal(("c1~2", "c1", AnnounceChange.Conflict), (conflict.Row.ClipId, conflict.Row.DeviceClipId, conflict.Change));
        Assert.Equal(first.Row.Id, conflict.Previous!.Id);
        Assert.Equal(2, (await catalog.Clips.ListClipsAsync(null, CancellationToken.None)).Count);
        // Listed again with the same bytes: the same generation.
        Assert.Equal(conflict.Row.Id, (await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1", fill: 3), "P1", CancellationToken.None)).Row.Id);
    }

    [Fact]
    public async Task AnnounceWithoutHash_ReferenceSetOnce_ThenListingsCompareSizeAndTheReference()
    {
        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.Recorders.UpsertRecorderAsync(Recorder("R1"), [], CancellationToken.None);
        var unhashed = Clip("c1") with { Sha256 = [] };

        var row = (await catalog.Lifecycle.AnnounceAsync("R1", unhashed, "P1", CancellationToken.None)).Row;
        Assert.Equal("", row.DeviceSha256);
        var reference = new string('a', 64);
        Assert.Equal(reference, (await catalog.Lifecycle.SetReferenceHashAsync(row.Id, reference, "first read", CancellationToken.None)).DeviceSha256);
        // Set once: a second reference changes nothing, and the record returned says so.
        Assert.Equal(reference, (await catalog.Lifecycle.SetReferenceHashAsync(row.Id, new string('b', 64), "again", CancellationToken.None)).DeviceSha256);

        Assert.Equal(reference, (await catalog.Lifecycle.AnnounceAsync("R1", unhashed, "P1", CancellationToken.None)).Row.DeviceSha256);
        // The file changed before it was pulled: the dock's reference is dropped, to be read again (and alerted by the docking).
        var changed = await catalog.Lifecycle.AnnounceAsync("R1", unhashed with { Size = 999 }, "P1", CancellationToken.None);
        Assert.Equal((row.Id, AnnounceChange.HashCorrected, ""), (changed.Row.Id, changed.Change, changed.Row.DeviceSha256));
        Assert.Contains(await catalog.Clips.ClipHistoryAsync(row.Id, CancellationToken.None), e => e.Detail is { } d && d.Contains(reference, StringComparison.Ordinal));
    }

    [Fact]
    public async Task QuarantineAsync_RetriesUntilMaxAttemptsThenStaysQuarantined()
    {
        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.Recorders.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);
        var clip = (await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None)).Row;
        await catalog.Lifecycle.SetPullingAsync(clip.Id, 0, CancellationToken.None);
        await catalog.Lifecycle.SetPullingAsync(clip.Id, 500, CancellationToken.None);

        // Each transition returns the record as it now is, the same as a fresh read.
        var afterFirst = await catalog.Lifecycle.QuarantineAsync(clip.Id, "q/1", "aa", "bad", 2, CancellationToken.None);
        Assert.Equal((ClipState.Announced, 0L, 1), (afterFirst.State, afterFirst.PulledBytes, afterFirst.Attempts));
        Assert.Equal(afterFirst, await catalog.Clips.GetClipAsync(clip.Id, CancellationToken.None));
        Assert.Equal(ClipState.Quarantined, (await catalog.Lifecycle.QuarantineAsync(clip.Id, "q/2", "bb", "bad again", 2, CancellationToken.None)).State);

        var history = await catalog.Clips.ClipHistoryAsync(clip.Id, CancellationToken.None);
        Assert.Equal([ClipState.Announced, ClipState.Pulling, ClipState.Announced, ClipState.Quarantined], history.Select(h => h.State));
    }

    [Fact]
    public async Task Lifecycle_RefusesAMoveItsTableDoesNotAllow_AndChangesNothing()
    {
        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.Recorders.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);
        var clip = (await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None)).Row;

        // Announced straight to verified, and a release settled for a clip the vault never verified, are not moves a clip makes.
        var skipped = await Assert.ThrowsAsync<StorageException>(() => catalog.Lifecycle.SetVerifiedAsync(clip.Id, CancellationToken.None));
        Assert.Equal(StorageFailure.InvalidTransition, skipped.Kind);
        Assert.Contains("announced", skipped.Message, StringComparison.Ordinal);
        var kept = await Assert.ThrowsAsync<StorageException>(() => catalog.Lifecycle.RecordReleaseKeptAsync(clip.Id, "kept", CancellationToken.None));
        Assert.Equal(StorageFailure.InvalidTransition, kept.Kind);
        var after = await catalog.Clips.GetClipAsync(clip.Id, CancellationToken.None);
        Assert.Equal((ClipState.Announced, clip.UpdatedAt), (after!.State, after.UpdatedAt));
        Assert.Single(await catalog.Clips.ClipHistoryAsync(clip.Id, CancellationToken.None));

        // The forward path is allowed, each step returning what the clip became.
        Assert.Equal(ClipState.Pulling, (await catalog.Lifecycle.SetPullingAsync(clip.Id, 0, CancellationToken.None)).State);
        var stored = await catalog.Lifecycle.SetStoredAsync(clip.Id, "vault/R1/c1", new string('a', 64), 3, CancellationToken.None);
        Assert.Equal((ClipState.Stored, "vault/R1/c1", 3L), (stored.State, stored.VaultPath, stored.CustodyIndex));
        Assert.Equal(ClipState.Verified, (await catalog.Lifecycle.SetVerifiedAsync(clip.Id, CancellationToken.None)).State);
        var missing = await Assert.ThrowsAsync<StorageException>(() => catalog.Lifecycle.SetPullingAsync(long.MaxValue, 0, CancellationToken.None));
        Assert.Equal(StorageFailure.NotFound, missing.Kind);
        foreach (var (to, from) in ClipLifecycle.Allowed)
            Assert.DoesNotContain(ClipState.Released, to == ClipState.Verified || to == ClipState.Released ? [] : from);
    }

    [Fact]
    public async Task Transitions_AreDurableAcrossReopen()
    {
        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.Recorders.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);
        var clip = (await catalog.Lifecycle.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None)).Row;
        // Bay "1" is not registered yet: the foreign key keeps the history consistent.
        // SQLite's error does not leave the store: it is the one storage error, with its kind.
        var refused = await Assert.ThrowsAsync<StorageException>(() => catalog.Docking.StartSessionAsync("1", "R1", CancellationToken.None));
        Assert.Equal(StorageFailure.Constraint, refused.Kind);
        Assert.IsType<SqliteException>(refused.InnerException);
        await catalog.Docking.UpsertBayAsync("1", "tcp://127.0.0.1:1", CancellationToken.None);
        long session = await catalog.Docking.StartSessionAsync("1", "R1", CancellationToken.None);
        await catalog.Lifecycle.SetPullingAsync(clip.Id, 400, CancellationToken.None);
        await catalog.Lifecycle.SetStoredAsync(clip.Id, "vault/clips/R1/c1", new string('1', 64), 0, CancellationToken.None);

        var reopened = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await reopened.Docking.EndOrphanSessionsAsync(CancellationToken.None);
        var row = await reopened.Clips.GetClipAsync(clip.Id, CancellationToken.None);
        Assert.Equal(ClipState.Stored, row!.State);
        Assert.Equal(1000, row.PulledBytes);
        Assert.Equal("vault/clips/R1/c1", row.VaultPath);
        var s = Assert.Single(await reopened.Docking.ListSessionsAsync(CancellationToken.None));
        Assert.Equal("dock restarted", s.EndReason);
        Assert.Equal(session, s.Id);
    }

    [Fact]
    public async Task UploadQueue_R11First_ThenImportant_ThenOldest_AndRetriesWait()
    {
        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.Recorders.UpsertRecorderAsync(Recorder("DSJ-1"), new byte[32], CancellationToken.None);
        var flags = new[] { ClipFlags.None, ClipFlags.Important, ClipFlags.Mandatory, ClipFlags.None };
        for (int i = 0; i < flags.Length; i++)
        {
            var row = (await catalog.Lifecycle.AnnounceAsync("DSJ-1", Clip($"c{i}", (byte)(i + 1)) with { Flags = flags[i] }, "P1", CancellationToken.None)).Row;
            await catalog.Lifecycle.SetStoredAsync(row.Id, $"vault/clips/DSJ-1/c{i}", row.DeviceSha256, i, CancellationToken.None);
            await catalog.Clips.SetManifestAsync(row.Id, i, $"vault/clips/DSJ-1/c{i}.manifest.json", CancellationToken.None);
            await catalog.Lifecycle.SetVerifiedAsync(row.Id, CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        var queued = await catalog.Uploads.EnqueueVerifiedAsync("file:cloud", c => "k/" + c.ClipId, CancellationToken.None);
        Assert.Equal(4, queued.Count);
        Assert.Empty(await catalog.Uploads.EnqueueVerifiedAsync("file:cloud", c => "k/" + c.ClipId, CancellationToken.None)); // once only

        var order = new List<string>();
        var busy = new List<long>();
        while (await catalog.Uploads.NextDueUploadAsync(_time.GetUtcNow(), busy, CancellationToken.None) is { } next)
        {
            order.Add(next.ObjectKey);
            busy.Add(next.Id);
        }
        Assert.Equal(["k/c2", "k/c1", "k/c0", "k/c3"], order);

        // A failed attempt waits for its retry time; the others are still due.
        var first = (await catalog.Uploads.ListUploadsAsync(CancellationToken.None)).Single(u => u.ObjectKey == "k/c2");
        await catalog.Uploads.ScheduleUploadRetryAsync(first.Id, "store down", _time.GetUtcNow().AddMinutes(5), CancellationToken.None);
        Assert.Equal("k/c1", (await catalog.Uploads.NextDueUploadAsync(_time.GetUtcNow(), [], CancellationToken.None))!.ObjectKey);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("k/c2", (await catalog.Uploads.NextDueUploadAsync(_time.GetUtcNow(), [], CancellationToken.None))!.ObjectKey);
    }

    [Fact]
    public async Task FlappingRecorder_RejoinsItsDocking_AndWritesAtMostOneBatterySamplePerInterval()
    {
        var catalog = await CatalogStores.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.Recorders.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);
        await catalog.Docking.UpsertBayAsync("1", "tcp://127.0.0.1:1", CancellationToken.None);
        var power = new Power(80, 4000, ChargeState.Charging, 250, 10, 95);
        var window = TimeSpan.FromMinutes(2);
        long first = await catalog.Docking.StartSessionAsync("1", "R1", CancellationToken.None, window);
        int samples = await catalog.Docking.AddBatterySampleAsync(first, "R1", power, CancellationToken.None, TimeSpan.FromSeconds(30)) ? 1 : 0;
        for (int i = 0; i < 20; i++) // 20 reconnects, 2 s apart
        {
            await catalog.Docking.EndSessionAsync(first, "ended by error: DockLink connection lost", CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(first, await catalog.Docking.StartSessionAsync("1", "R1", CancellationToken.None, window));
            if (await catalog.Docking.AddBatterySampleAsync(first, "R1", power, CancellationToken.None, TimeSpan.FromSeconds(30))) samples++;
        }
        Assert.Equal(2, samples); // at 0 s and at 32 s
        // Taken out properly, then docked again: a new docking.
        await catalog.Docking.EndSessionAsync(first, "recorder removed", CancellationToken.None);
        Assert.NotEqual(first, await catalog.Docking.StartSessionAsync("1", "R1", CancellationToken.None, window));
        var sessions = await catalog.Docking.ListSessionsAsync(CancellationToken.None);
        Assert.Equal(2, sessions.Count);
        Assert.StartsWith("recorder removed (rejoined after: ended by error", sessions.Single(s => s.Id == first).EndReason, StringComparison.Ordinal);
    }
}
