using System.CommandLine;
using System.Text;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Identity;

namespace Dock.Service.Cli;

/// <summary>
/// <c>dock log export|verify|checkpoint</c>: the custody log for third parties. An export holds each
/// entry's exact bytes, every signed checkpoint and the dock's public key, so anyone can recompute
/// the tree with standard tools (custody-log-v1.md §5).
/// </summary>
public static class LogCommand
{
    private const long MaxEntryBytes = 64 * 1024;

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
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
                return ExitCodes.UsageError("log", $"{target} is not empty; export into a new or empty folder (an export is never merged into another).");
            try
            {
                using var folder = await DataFolder.OpenAsync(parse.GetValue(data), cancellationToken);
                // R5: a retrieval is itself recorded; the export then includes that record and a checkpoint over it.
                await folder.Log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Exported, at, folder.DockId, DataFolder.Actor,
                    Detail: $"custody log exported to {target}"), cancellationToken);
                await folder.Log.CheckpointAsync(cancellationToken);
                var (entries, notes) = await WriteExportAsync(folder, target, cancellationToken);
                Console.WriteLine($"Exported {entries} entries and {notes} checkpoint(s) to {target}");
                Console.WriteLine($"  verify: dock log verify {target} --trust {Path.Combine(target, "dock.pem")}  (better: a dock.pem you got from the agency)");
                return ExitCodes.Ok;
            }
            catch (Exception ex) when (ex is IdentityException or CatalogException or InvalidDataException or IOException or UnauthorizedAccessException)
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
            try
            {
                if (parse.GetValue(source) is { } exportDir)
                {
                    (entries, notes, var shipped) = await ReadExportAsync(exportDir, cancellationToken);
                    if (keys.Count == 0 && shipped is not null) keys.Add(shipped);
                }
                else
                {
                    using var folder = await DataFolder.OpenAsync(parse.GetValue(data2), cancellationToken);
                    entries = [];
                    await foreach (var (_, entry, _) in CustodyLog.ReadEntriesAsync(folder.Catalog, cancellationToken)) entries.Add(entry);
                    notes = [.. (await CustodyLog.ReadCheckpointsAsync(folder.Catalog, cancellationToken)).Select(c => c.Note)];
                    // The dock's own key file is what this operator trusts for their own dock.
                    keys.Add(folder.Key.PublicKey);
                    trusted = true;
                }
            }
            catch (Exception ex) when (ex is IdentityException or CatalogException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.UsageError("log", ex.Message);
            }
            var report = LogVerifier.Verify(entries, notes, keys, trusted);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    outcome = report.Outcome.ToString(), exitCode = (int)report.Outcome, report.Entries, report.Checkpoints, report.CommittedEntries, report.Steps,
                }, StatusCommand.Json));
            }
            else
            {
                foreach (var step in report.Steps) Console.WriteLine($"{(step.Ok ? "ok  " : "FAIL")}  {step.Name,-22} {step.Detail}");
                Console.WriteLine(report.Outcome == VerifyOutcome.Verified ? "VERIFIED" : $"NOT VERIFIED: {report.Outcome}");
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
            catch (Exception ex) when (ex is IdentityException or CatalogException or InvalidDataException)
            {
                return ExitCodes.UsageError("log", ex.Message);
            }
        });

        log.Subcommands.Add(export);
        log.Subcommands.Add(verify);
        log.Subcommands.Add(checkpoint);
        return log;
    }

    private static async Task<(long Entries, int Notes)> WriteExportAsync(DataFolder folder, string target, CancellationToken cancellationToken)
    {
        var entriesDir = Path.Combine(target, "entries");
        var checkpointsDir = Path.Combine(target, "checkpoints");
        Directory.CreateDirectory(entriesDir);
        Directory.CreateDirectory(checkpointsDir);
        long count = 0;
        await foreach (var (index, entry, _) in CustodyLog.ReadEntriesAsync(folder.Catalog, cancellationToken))
        {
            await File.WriteAllBytesAsync(Path.Combine(entriesDir, LogVerifier.EntryFileName(index)), entry, cancellationToken);
            count++;
        }
        var notes = await CustodyLog.ReadCheckpointsAsync(folder.Catalog, cancellationToken);
        for (int i = 0; i < notes.Count; i++)
            await File.WriteAllTextAsync(Path.Combine(checkpointsDir, $"{LogVerifier.EntryFileName(notes[i].Size)}-{i:D6}"), notes[i].Note, cancellationToken);
        if (notes.Count > 0) await File.WriteAllTextAsync(Path.Combine(target, "checkpoint"), notes[^1].Note, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(target, "dock.pem"), Ed25519Key.PublicKeyPem(folder.Key.PublicKey), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(target, "README.txt"), ReadMe(folder.DockId, count), Encoding.UTF8, cancellationToken);
        return (count, notes.Count);
    }

    private static async Task<(List<byte[]> Entries, List<string> Notes, byte[]? Key)> ReadExportAsync(string dir, CancellationToken cancellationToken)
    {
        var entriesDir = Path.Combine(dir, "entries");
        if (!Directory.Exists(entriesDir)) throw new InvalidDataException($"{dir} is not a custody log export: it has no entries/ folder.");
        var entries = new List<byte[]>();
        foreach (var file in Directory.GetFiles(entriesDir).Order(StringComparer.Ordinal))
        {
            if (new FileInfo(file).Length > MaxEntryBytes) throw new InvalidDataException($"{file} is larger than an entry can be ({MaxEntryBytes} bytes).");
            entries.Add(await File.ReadAllBytesAsync(file, cancellationToken));
        }
        var notes = new List<string>();
        var checkpointsDir = Path.Combine(dir, "checkpoints");
        var files = Directory.Exists(checkpointsDir) ? Directory.GetFiles(checkpointsDir).Order(StringComparer.Ordinal).ToList() : [];
        if (File.Exists(Path.Combine(dir, "checkpoint"))) files.Add(Path.Combine(dir, "checkpoint"));
        foreach (var file in files)
        {
            if (new FileInfo(file).Length > MaxEntryBytes) throw new InvalidDataException($"{file} is larger than a checkpoint can be.");
            var note = await File.ReadAllTextAsync(file, cancellationToken);
            if (!notes.Contains(note)) notes.Add(note);
        }
        byte[]? key = null;
        var pem = Path.Combine(dir, "dock.pem");
        if (File.Exists(pem) && new FileInfo(pem).Length <= 4096 && ClipVerifier.TryReadPublicKeyPem(await File.ReadAllTextAsync(pem, cancellationToken), out var k)) key = k;
        return (entries, notes, key);
    }

    private static string ReadMe(string dockId, long entries) => $"""
        Custody log of dock {dockId}: {entries} entries (hardware-specs/custody-log-v1.md).

        entries/NNNNNNNNNNNN   each entry's exact bytes, by index from 0
        checkpoints/SIZE-N     every checkpoint the dock signed (C2SP tlog-checkpoint in a C2SP signed-note)
        checkpoint             the latest checkpoint
        dock.pem               the dock's Ed25519 public key (check it against the one your agency holds)

        Check it:  dock log verify THIS-FOLDER --trust AGENCY-COPY-OF-dock.pem
        Or by hand: leaf hash = SHA-256(0x00 || entry bytes); node hash = SHA-256(0x01 || left || right)
        (RFC 6962 §2.1); the root of the first SIZE leaves must equal the base64 root on line 3 of a checkpoint,
        and the signature line verifies with Ed25519 over lines 1-3.

        """;

}
