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

        var catalog = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);

        var notes = await Dock.Service.Custody.CustodyLog.ReadCheckpointsAsync(catalog, CancellationToken.None);
        Assert.Equal(7, Assert.Single(notes).Size);
        Assert.Empty(await catalog.ListRecorderKeysAsync(CancellationToken.None));
    }

    [Fact]
    public async Task OpenAsync_TwiceOnSameFile_MigratesOnceAndUsesWal()
    {
        await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);

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

        var error = await Assert.ThrowsAsync<CatalogDamagedException>(() => ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None));

        Assert.Contains(DbPath, error.Message, StringComparison.Ordinal);
        Assert.Contains("dock log recover", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnnounceAsync_SameClipTwice_OneRow_OtherBytesUnderTheId_CorrectedWhileUnproven_ThenANewGeneration()
    {
        var catalog = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);

        var first = await catalog.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None);
        var again = await catalog.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None);
        Assert.Equal((first.Row.Id, AnnounceChange.None), (again.Row.Id, again.Change));
        Assert.Equal(ClipState.Announced, first.Row.State);
        Assert.Equal(ClipFlags.Mandatory, first.Row.Flags);

        // No copy verified yet: the recorder's newer word replaces its earlier one (a corrupted entry is not kept for good).
        var corrected = await catalog.AnnounceAsync("R1", Clip("c1", fill: 2), "P1", CancellationToken.None);
        Assert.Equal((first.Row.Id, AnnounceChange.HashCorrected), (corrected.Row.Id, corrected.Change));
        Assert.StartsWith("0202", corrected.Row.DeviceSha256, StringComparison.Ordinal);

        // Verified: other bytes under the id are kept apart as a new generation, and called a conflict while the clip is on the recorder.
        await catalog.SetStoredAsync(first.Row.Id, "vault/clips/R1/c1", corrected.Row.DeviceSha256, 0, CancellationToken.None);
        var conflict = await catalog.AnnounceAsync("R1", Clip("c1", fill: 3), "P1", CancellationToken.None);
        Assert.Equal(("c1~2", "c1", AnnounceChange.Conflict), (conflict.Row.ClipId, conflict.Row.DeviceClipId, conflict.Change));
        Assert.Equal(first.Row.Id, conflict.Previous!.Id);
        Assert.Equal(2, (await catalog.ListClipsAsync(null, CancellationToken.None)).Count);
        // Listed again with the same bytes: the same generation.
        Assert.Equal(conflict.Row.Id, (await catalog.AnnounceAsync("R1", Clip("c1", fill: 3), "P1", CancellationToken.None)).Row.Id);
    }

    [Fact]
    public async Task AnnounceWithoutHash_ReferenceSetOnce_ThenListingsCompareSizeAndTheReference()
    {
        var catalog = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.UpsertRecorderAsync(Recorder("R1"), [], CancellationToken.None);
        var unhashed = Clip("c1") with { Sha256 = [] };

        var row = (await catalog.AnnounceAsync("R1", unhashed, "P1", CancellationToken.None)).Row;
        Assert.Equal("", row.DeviceSha256);
        var reference = new string('a', 64);
        Assert.True(await catalog.SetReferenceHashAsync(row.Id, reference, "first read", CancellationToken.None));
        Assert.False(await catalog.SetReferenceHashAsync(row.Id, new string('b', 64), "again", CancellationToken.None)); // set once

        Assert.Equal(reference, (await catalog.AnnounceAsync("R1", unhashed, "P1", CancellationToken.None)).Row.DeviceSha256);
        // The file changed before it was pulled: the dock's reference is dropped, to be read again (and alerted by the docking).
        var changed = await catalog.AnnounceAsync("R1", unhashed with { Size = 999 }, "P1", CancellationToken.None);
        Assert.Equal((row.Id, AnnounceChange.HashCorrected, ""), (changed.Row.Id, changed.Change, changed.Row.DeviceSha256));
        Assert.Contains(await catalog.ClipHistoryAsync(row.Id, CancellationToken.None), e => e.Detail is { } d && d.Contains(reference, StringComparison.Ordinal));
    }

    [Fact]
    public async Task QuarantineAsync_RetriesUntilMaxAttemptsThenStaysQuarantined()
    {
        var catalog = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);
        var clip = (await catalog.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None)).Row;
        await catalog.SetPullingAsync(clip.Id, 0, CancellationToken.None);
        await catalog.SetPullingAsync(clip.Id, 500, CancellationToken.None);

        Assert.Equal(ClipState.Announced, await catalog.QuarantineAsync(clip.Id, "q/1", "aa", "bad", 2, CancellationToken.None));
        var afterFirst = await catalog.GetClipAsync(clip.Id, CancellationToken.None);
        Assert.Equal(0, afterFirst!.PulledBytes);
        Assert.Equal(ClipState.Quarantined, await catalog.QuarantineAsync(clip.Id, "q/2", "bb", "bad again", 2, CancellationToken.None));

        var history = await catalog.ClipHistoryAsync(clip.Id, CancellationToken.None);
        Assert.Equal([ClipState.Announced, ClipState.Pulling, ClipState.Announced, ClipState.Quarantined], history.Select(h => h.State));
    }

    [Fact]
    public async Task Transitions_AreDurableAcrossReopen()
    {
        var catalog = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);
        var clip = (await catalog.AnnounceAsync("R1", Clip("c1"), "P1", CancellationToken.None)).Row;
        // Bay "1" is not registered yet: the foreign key keeps the history consistent.
        await Assert.ThrowsAsync<SqliteException>(() => catalog.StartSessionAsync("1", "R1", CancellationToken.None));
        await catalog.UpsertBayAsync("1", "tcp://127.0.0.1:1", CancellationToken.None);
        long session = await catalog.StartSessionAsync("1", "R1", CancellationToken.None);
        await catalog.SetPullingAsync(clip.Id, 400, CancellationToken.None);
        await catalog.SetStoredAsync(clip.Id, "vault/clips/R1/c1", new string('1', 64), 0, CancellationToken.None);

        var reopened = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await reopened.EndOrphanSessionsAsync(CancellationToken.None);
        var row = await reopened.GetClipAsync(clip.Id, CancellationToken.None);
        Assert.Equal(ClipState.Stored, row!.State);
        Assert.Equal(1000, row.PulledBytes);
        Assert.Equal("vault/clips/R1/c1", row.VaultPath);
        var s = Assert.Single(await reopened.ListSessionsAsync(CancellationToken.None));
        Assert.Equal("dock restarted", s.EndReason);
        Assert.Equal(session, s.Id);
    }

    [Fact]
    public async Task UploadQueue_R11First_ThenImportant_ThenOldest_AndRetriesWait()
    {
        var catalog = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.UpsertRecorderAsync(Recorder("DSJ-1"), new byte[32], CancellationToken.None);
        var flags = new[] { ClipFlags.None, ClipFlags.Important, ClipFlags.Mandatory, ClipFlags.None };
        for (int i = 0; i < flags.Length; i++)
        {
            var row = (await catalog.AnnounceAsync("DSJ-1", Clip($"c{i}", (byte)(i + 1)) with { Flags = flags[i] }, "P1", CancellationToken.None)).Row;
            await catalog.SetStoredAsync(row.Id, $"vault/clips/DSJ-1/c{i}", row.DeviceSha256, i, CancellationToken.None);
            await catalog.SetManifestAsync(row.Id, i, $"vault/clips/DSJ-1/c{i}.manifest.json", CancellationToken.None);
            await catalog.SetVerifiedAsync(row.Id, CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(1));
        }
        var queued = await catalog.EnqueueVerifiedAsync("file:cloud", c => "k/" + c.ClipId, CancellationToken.None);
        Assert.Equal(4, queued.Count);
        Assert.Empty(await catalog.EnqueueVerifiedAsync("file:cloud", c => "k/" + c.ClipId, CancellationToken.None)); // once only

        var order = new List<string>();
        var busy = new List<long>();
        while (await catalog.NextDueUploadAsync(_time.GetUtcNow(), busy, CancellationToken.None) is { } next)
        {
            order.Add(next.ObjectKey);
            busy.Add(next.Id);
        }
        Assert.Equal(["k/c2", "k/c1", "k/c0", "k/c3"], order);

        // A failed attempt waits for its retry time; the others are still due.
        var first = (await catalog.ListUploadsAsync(CancellationToken.None)).Single(u => u.ObjectKey == "k/c2");
        await catalog.ScheduleUploadRetryAsync(first.Id, "store down", _time.GetUtcNow().AddMinutes(5), CancellationToken.None);
        Assert.Equal("k/c1", (await catalog.NextDueUploadAsync(_time.GetUtcNow(), [], CancellationToken.None))!.ObjectKey);
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("k/c2", (await catalog.NextDueUploadAsync(_time.GetUtcNow(), [], CancellationToken.None))!.ObjectKey);
    }

    [Fact]
    public async Task FlappingRecorder_RejoinsItsDocking_AndWritesAtMostOneBatterySamplePerInterval()
    {
        var catalog = await ClipCatalog.OpenAsync(DbPath, _time, CancellationToken.None);
        await catalog.UpsertRecorderAsync(Recorder("R1"), new byte[32], CancellationToken.None);
        await catalog.UpsertBayAsync("1", "tcp://127.0.0.1:1", CancellationToken.None);
        var power = new Power(80, 4000, ChargeState.Charging, 250, 10, 95);
        var window = TimeSpan.FromMinutes(2);
        long first = await catalog.StartSessionAsync("1", "R1", CancellationToken.None, window);
        int samples = await catalog.AddBatterySampleAsync(first, "R1", power, CancellationToken.None, TimeSpan.FromSeconds(30)) ? 1 : 0;
        for (int i = 0; i < 20; i++) // 20 reconnects, 2 s apart
        {
            await catalog.EndSessionAsync(first, "ended by error: DockLink connection lost", CancellationToken.None);
            _time.Advance(TimeSpan.FromSeconds(2));
            Assert.Equal(first, await catalog.StartSessionAsync("1", "R1", CancellationToken.None, window));
            if (await catalog.AddBatterySampleAsync(first, "R1", power, CancellationToken.None, TimeSpan.FromSeconds(30))) samples++;
        }
        Assert.Equal(2, samples); // at 0 s and at 32 s
        // Taken out properly, then docked again: a new docking.
        await catalog.EndSessionAsync(first, "recorder removed", CancellationToken.None);
        Assert.NotEqual(first, await catalog.StartSessionAsync("1", "R1", CancellationToken.None, window));
        var sessions = await catalog.ListSessionsAsync(CancellationToken.None);
        Assert.Equal(2, sessions.Count);
        Assert.StartsWith("recorder removed (rejoined after: ended by error", sessions.Single(s => s.Id == first).EndReason, StringComparison.Ordinal);
    }
}
