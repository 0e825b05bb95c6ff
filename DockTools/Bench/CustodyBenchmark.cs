using Dock.Evidence;
using System.Diagnostics;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Service.Catalog;
using Dock.Service.Cli;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Enrolment;
using Dock.Service.Identity;
using Dock.Service.Vault;
using Microsoft.Data.Sqlite;

namespace Dock.Tools.Bench;

/// <summary>
/// `dock bench custody`: what the chain of custody costs, on the real code paths and a real catalog:
/// durable appends per second (one writer, and many at once through group commit) against a bare
/// SQLite durable commit measured in the same run; the time to verify a 100,000-event log; and the
/// per-clip signing and verification work as a share of ingesting a 200 MB clip, measured in this run.
/// </summary>
public sealed class CustodyBenchmark(string dataDirectory, int events, long clipSize, TextWriter output)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        output.WriteLine($"dock bench custody — data in {dataDirectory}, {Environment.ProcessorCount} cores");
        var paths = DockPaths.From(new DockOptions { DataDirectory = Path.Combine(dataDirectory, "dock") });
        DemoAgency.EndorseDock(paths);
        using var identity = DockIdentity.Load(paths, null);
        var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken);
        var log = await CustodyLog.OpenAsync(catalog.Database, CustodyJournal.For(paths), identity.SigningKey, identity.DockId,
            DockKey.OwnPublicKeys(paths, identity.PublicKey.Span), TimeProvider.System, cancellationToken);

        // 1. Appends.
        double bare = await BareCommitsPerSecondAsync(Path.Combine(dataDirectory, "bare.db"), 500, cancellationToken);
        output.WriteLine($"  reference  bare SQLite durable commit (one row, synchronous=FULL): {bare,9:0} /s");
        double sequential = await AppendRateAsync(log, writers: 1, perWriter: 500, cancellationToken);
        output.WriteLine($"  append     one writer, each event durable before it returns:       {sequential,9:0} events/s  ({sequential / bare:0.00} × bare)");
        double grouped = await AppendRateAsync(log, writers: 32, perWriter: 300, cancellationToken);
        output.WriteLine($"  append     32 writers at once (group commit, one fsync per batch): {grouped,9:0} events/s  ({grouped / bare:0.0} × bare)");

        // 2. Verify a log of `events` entries (checkpoints every 1,000 entries, as a busy dock makes them).
        await log.CheckpointAsync(cancellationToken);
        while (log.Size < events)
        {
            int batch = (int)Math.Min(1000 - log.Size % 1000, events - log.Size);
            await Task.WhenAll(Enumerable.Range(0, batch).Select(i => log.AppendAsync(Filler(log, i), cancellationToken)));
            await log.CheckpointAsync(cancellationToken);
        }
        var clock = Stopwatch.StartNew();
        var entries = new List<byte[]>();
        await foreach (var (_, entry, _) in CustodyLog.ReadEntriesAsync(catalog.Database, cancellationToken)) entries.Add(entry);
        var notes = (await CustodyLog.ReadCheckpointsAsync(catalog.Database, cancellationToken)).Select(n => n.Note).ToList();
        var read = clock.Elapsed;
        var report = LogVerifier.Verify(entries, notes, [identity.PublicKey.ToArray()], keysTrusted: true);
        var verify = clock.Elapsed - read;
        output.WriteLine($"  verify     {entries.Count:N0} events, {notes.Count} checkpoints: {verify.TotalSeconds:0.00} s " +
            $"(+ {read.TotalSeconds:0.00} s reading them), {report.Outcome}");

        // 3. Per-clip custody work vs ingesting a 200 MB clip.
        var perClip = await PerClipCustodyAsync(catalog, log, identity, paths, cancellationToken);
        var ingest = await new IngestBenchmark(new IngestBenchmark.Settings(Path.Combine(dataDirectory, "ingest"), clipSize, clipSize, 1, clipSize, 40, true, []),
            TextWriter.Null).RunScenarioAsync("one clip", 1, 1, clipSize, null, cancellationToken);
        double ingestSeconds = ingest.Bytes / 1e6 / ingest.IngestMBps;
        double share = perClip.TotalSeconds / ingestSeconds;
        output.WriteLine($"  per clip   signature checks, 4 durable custody events (2 commits), checkpoint, proof, signed manifest: {perClip.TotalMilliseconds:0.0} ms");
        output.WriteLine($"             ingest of a {CliOptions.FormatBytes(clipSize)} clip in this run: {ingestSeconds * 1000:0} ms → custody share {share:P2}   (target < 1 %)");
        bool ok = report.Outcome == VerifyOutcome.Verified && share < 0.01;
        output.WriteLine(ok ? "Targets met." : "A target was missed (see above).");
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static Func<long, DateTimeOffset, CustodyEvent> Filler(CustodyLog log, int i) =>
        (index, at) => new CustodyEvent(index, CustodyEventKind.Viewed, at, log.DockId, "bench", "DSJ-BENCH-0001", $"clip-{i:D6}.mp4",
            new string('a', 64), 200_000_000, -1234, "benchmark filler event");

    private static async Task<double> AppendRateAsync(CustodyLog log, int writers, int perWriter, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < perWriter; i++) await log.AppendAsync(Filler(log, i), cancellationToken);
        }, cancellationToken)));
        return writers * perWriter / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> BareCommitsPerSecondAsync(string path, int count, CancellationToken cancellationToken)
    {
        await using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        await c.OpenAsync(cancellationToken);
        await using (var setup = c.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB);";
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }
        var row = new byte[300];
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await using var insert = c.CreateCommand();
            insert.CommandText = "INSERT INTO t(v) VALUES ($v);";
            insert.Parameters.AddWithValue("$v", row);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Exactly the custody work ingest does for one clip, on a catalogued clip, averaged over 20 clips.</summary>
    private async Task<TimeSpan> PerClipCustodyAsync(CatalogStores catalog, CustodyLog log, DockIdentity identity, DockPaths paths,
        CancellationToken cancellationToken)
    {
        using var recorderKey = Dock.Crypto.Keys.Ed25519Key.Generate();
        var vault = new ClipVault(paths.DataDirectory);
        var trail = new CustodyTrail(log, identity, vault, catalog.Clips);
        var info = new Info("DSJ-BENCH-0001", "M", "1", "P1", 1, 1, 1, 0);
        await catalog.Recorders.UpsertRecorderAsync(info, recorderKey.PublicKey, cancellationToken);
        var context = new DockingContext("1", "M", "1", recorderKey.PublicKey, TimeSpan.Zero, RecorderTrust.Enrolled, SignsClips: true);
        const int Clips = 20;
        var total = TimeSpan.Zero;
        for (int i = 0; i < Clips; i++)
        {
            var sha = Sha256.Hash(BitConverter.GetBytes(i));
            var summary = new ClipSummary($"bench-{i:D4}.mp4", (ulong)clipSize, 1_700_000_000_000 + i, 1_700_000_600_000 + i, ClipFlags.None, sha);
            var signature = recorderKey.Sign(ClipSignature.Message(info.Serial, summary));
            var clip = (await catalog.Lifecycle.AnnounceAsync(info.Serial, summary, info.OfficerId, cancellationToken)).Row;
            Directory.CreateDirectory(Path.GetDirectoryName(vault.FinalPath(info.Serial, clip.ClipId))!);
            var hex = Sha256.ToHex(sha);

            var clock = Stopwatch.StartNew();
            if (!ClipSignature.Verify(recorderKey.PublicKey, info.Serial, summary, signature)) throw new InvalidOperationException("signature");
            await trail.RecordAllAsync(clip, context, hex,
                [(CustodyEventKind.Acquired, "bench"), (CustodyEventKind.HashVerified, "bench"), (CustodyEventKind.SignatureVerified, "bench")], cancellationToken);
            var stored = await trail.RecordAsync(CustodyEventKind.Stored, clip, context, hex, "bench", cancellationToken);
            await trail.WriteManifestAsync(clip with { RecorderSignature = Convert.ToHexStringLower(signature) }, context, stored, cancellationToken);
            total += clock.Elapsed;
        }
        return total / Clips;
    }
}
