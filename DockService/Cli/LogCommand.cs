using System.CommandLine;
using System.Text.Json;
using Dock.Crypto.Keys;
using Dock.Evidence;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Exports;
using Dock.Service.Hosting;
using Dock.Service.Identity;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock log export|verify|checkpoint</c>: the custody log for third parties. An export holds each
/// entry's exact bytes, every signed checkpoint and the dock's public key, so anyone can recompute
/// the tree with standard tools (custody-log-v1.md §5).
/// </summary>
public static class LogCommand
{

    public static Command Create()
    {
        var log = new Command("log", "The custody log: export it for an auditor, verify it, sign a checkpoint now.");

        var data = CliOptions.Data();
        var dir = new Argument<string>("dir") { Description = "An empty or new folder to write the export to." };
        var export = new Command("export", "Write every entry (one file each, named by zero-padded index), every signed checkpoint, " +
            "the latest checkpoint and the dock's public key (PEM). Recorded in the log as an export.") { data, dir };
        export.SetAction(async (parse, cancellationToken) =>
        {
            var target = Path.GetFullPath(parse.GetValue(dir)!);
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                var (entries, notes) = await new LogExports(folder.Catalog.Database, folder.Log, folder.Key.PublicKey).ExportAsync(target, DataFolder.Actor,
                    cancellationToken);
                Console.WriteLine($"Exported {entries} entries and {notes} checkpoint(s) to {target}");
                Console.WriteLine($"  verify: dock log verify {target} --trust {Path.Combine(target, "dock.pem")}  (better: a dock.pem you got from the agency)");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is ExportException or IdentityException or StorageException or InvalidDataException or IOException
                or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("log", ex.Message);
            }
        });

        var data2 = CliOptions.Data();
        var source = new Argument<string?>("dir") { Description = "An export folder (from `dock log export`). Without it: the log in --data.", Arity = ArgumentArity.ZeroOrOne };
        var trust = new Option<string[]>("--trust") { Description = "Trusted dock public key(s), PEM. Repeat for a dock whose key was rotated.", AllowMultipleArgumentsPerToken = false };
        var json = CliOptions.Json();
        var verify = new Command("verify", "Recompute the tree from the entries; check every checkpoint's signature, its root, and the consistency " +
            "of consecutive checkpoints. Exit codes: 0 verified, 11 bad signature, 12 unknown key, 13 tree or proof mismatch, 14 malformed, 2 usage.")
        {
            data2, source, trust, json,
        };
        verify.SetAction(async (parse, cancellationToken) =>
        {
            var keys = new List<byte[]>();
            foreach (var pem in parse.GetValue(trust) ?? [])
            {
                if (!File.Exists(pem) || new FileInfo(pem).Length > 4096 || !ClipVerifier.TryReadPublicKeyPem(await File.ReadAllTextAsync(pem, cancellationToken), out var key))
                    return ExitCodes.UsageError("log", $"--trust {pem} is not an Ed25519 public key in PEM form.");
                keys.Add(key);
            }
            List<byte[]> entries;
            List<string> notes;
            bool trusted = keys.Count > 0;
            var precheck = new List<VerifyStep>();
            VerifyOutcome? failure = null;
            try
            {
                if (parse.GetValue(source) is { } exportDir)
                {
                    (entries, notes, var shipped) = await LogExport.ReadAsync(exportDir, cancellationToken);
                    if (keys.Count == 0 && shipped is not null) keys.Add(shipped);
                }
                else
                {
                    // The dock's own log: the catalog is checked first (SQLite integrity_check), then its entries and checkpoints
                    // are read from one snapshot, and the checkpoints kept outside it (journal, checkpoint file) are checked too,
                    // so a damaged or rolled-back catalog does not pass.
                    var paths = DataFolder.PathsFor(parse.GetValue(data2));
                    if (!File.Exists(paths.Catalog)) return ExitCodes.UsageError("log", $"No catalog at {paths.Catalog}: pass --data with a dock's data folder.");
                    using var key = DockKey.Load(paths, create: false);
                    CatalogStores? catalog = null;
                    IReadOnlyList<string> damage;
                    try
                    {
                        catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken);
                        damage = await catalog.Database.CheckIntegrityAsync(full: true, cancellationToken);
                    }
                    catch (StorageException ex) when (ex.Kind == StorageFailure.Damaged)
                    {
                        damage = [ex.Message];
                    }
                    precheck.Add(new VerifyStep("catalog integrity", damage.Count == 0, damage.Count == 0
                        ? $"SQLite integrity_check of {paths.Catalog}: ok"
                        : $"SQLite integrity_check of {paths.Catalog}: {string.Join("; ", damage.Take(3))}"));
                    if (damage.Count > 0) failure = VerifyOutcome.Malformed;
                    entries = [];
                    notes = [];
                    if (damage.Count == 0)
                    {
                        var (logEntries, checkpoints) = await CustodyLog.ReadSnapshotAsync(catalog!.Database, cancellationToken);
                        entries = [.. logEntries];
                        notes = [.. checkpoints.Select(c => c.Note)];
                        var journal = CustodyJournal.For(paths);
                        foreach (var kept in new[] { File.Exists(journal.JournalPath) ? await OutsideCheckpointAsync(journal, cancellationToken) : null,
                            journal.ReadCheckpointFile() })
                        {
                            if (kept is null || notes.Contains(kept)) continue;
                            notes.Add(kept);
                            precheck.Add(new VerifyStep("outside checkpoint", true, $"the checkpoint kept in {journal.Directory} is checked too (the catalog lacks it)"));
                        }
                    }
                    // The dock's own key files are what this operator trusts for their own dock.
                    keys.AddRange(DockKey.OwnPublicKeys(paths, key.PublicKey));
                    trusted = true;
                }
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("log", ex.Message);
            }
            var verified = LogVerifier.Verify(entries, notes, keys, trusted);
            var report = verified with
            {
                Outcome = failure ?? verified.Outcome,
                Steps = [.. precheck, .. (failure is null ? verified.Steps : [])],
            };
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    outcome = report.Outcome.ToString(), exitCode = (int)report.Outcome, report.Entries, report.Checkpoints, report.CommittedEntries, report.Steps,
                }, StatusCommand.Json));
            }
            else
            {
                ReportText.Write(report, Console.Out);
            }
            return (int)report.Outcome;
        });

        var data3 = CliOptions.Data();
        var checkpoint = new Command("checkpoint", "Sign a checkpoint of the log as it is now, and print it (a C2SP signed note).") { data3 };
        checkpoint.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data3), cancellationToken);
                var (_, note) = await folder.Log.CheckpointAsync(cancellationToken);
                Console.Write(note);
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or InvalidDataException)
            {
                return ExitCodes.UsageError("log", ex.Message);
            }
        });

        var data4 = CliOptions.Data();
        var recover = new Command("recover", "After the catalog lost changes it had committed (the dock refuses to start and says so): put back " +
            "the custody entries and checkpoints from the custody journal, checked against every checkpoint this dock signed, and bring the " +
            "clip records forward to what they say. Run with the dock stopped.") { data4 };
        recover.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var paths = DataFolder.PathsFor(parse.GetValue(data4));
                if (!File.Exists(paths.Catalog) && !File.Exists(CustodyJournal.For(paths).JournalPath))
                    return ExitCodes.UsageError("log", $"No catalog and no custody journal in {paths.DataDirectory}: pass --data with a dock's data folder.");
                using var running = RunLock.Acquire(paths, "dock log recover");
                using var key = DockKey.Load(paths, create: false);
                var dockId = DockEndorsement.PeekDockId(paths.EndorsementFile) ?? DockIdentity.DockIdFor(paths, key.PublicKey);
                var catalog = await CatalogStores.OpenAsync(paths.Catalog, TimeProvider.System, cancellationToken, check: true);
                var report = await CustodyRecovery.RecoverAsync(catalog, CustodyJournal.For(paths), new Vault.ClipVault(paths.DataDirectory),
                    CustodyLog.OriginFor(dockId), DockKey.OwnPublicKeys(paths, key.PublicKey), cancellationToken);
                Console.WriteLine(report.EntriesRestored == 0 && report.CheckpointsRestored == 0
                    ? $"Nothing to recover: the catalog holds all {report.EntriesNow} custody entries, and every checkpoint kept outside it matches them."
                    : $"Recovered: {report.EntriesRestored} custody entries (the catalog had {report.EntriesBefore}, now {report.EntriesNow}) and " +
                      $"{report.CheckpointsRestored} checkpoint(s) from the custody journal; every checkpoint this dock signed (up to {report.LatestCheckpointSize} entries) matches.");
                foreach (var change in report.ClipChanges) Console.WriteLine($"  {change}");
                if (report.EntriesRestored > 0)
                    Console.WriteLine("Other records the catalog lost (battery samples, docking sessions, upload progress) are not in the custody log; the dock " +
                        "rebuilds what it needs as recorders dock and uploads resume. Vault files the catalog does not know are listed as an alert at start.");
                return ExitCodes.Ok;
            }
            catch (UnrecoverableLogException ex)
            {
                await Console.Error.WriteLineAsync($"dock log recover: {ex.Message}");
                return ExitCodes.Failed;
            }
            catch (Exception ex) when (ex is IdentityException or StorageException or InvalidDataException or IOException or UnauthorizedAccessException
                or DataFolderInUseException)
            {
                return ExitCodes.UsageError("log", ex.Message);
            }
        });

        log.Subcommands.Add(export);
        log.Subcommands.Add(verify);
        log.Subcommands.Add(checkpoint);
        log.Subcommands.Add(recover);
        return log;
    }

    /// <summary>The latest checkpoint note in the custody journal. Under the journal's lock: a running dock appends to it, and a
    /// record it is writing must not be read (or cut off) as one a crash tore.</summary>
    private static async Task<string?> OutsideCheckpointAsync(CustodyJournal journal, CancellationToken cancellationToken)
    {
        try
        {
            using var held = await journal.LockAsync(cancellationToken);
            journal.Refresh(fromStart: true);
            return journal.LatestCheckpoint;
        }
        catch (Exception ex) when (ex is CustodyJournalException or IOException)
        {
            return null;
        }
    }


}
