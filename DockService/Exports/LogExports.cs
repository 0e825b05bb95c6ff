using System.Text;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Evidence;
using Dock.Service.Catalog;
using Dock.Service.Custody;

namespace Dock.Service.Exports;

/// <summary>
/// A custody log export for an auditor (custody-log-v1.md §5): the retrieval is itself recorded (`exported`, naming who), then a
/// checkpoint over it, then every entry's exact bytes, every signed checkpoint and the dock's public key are written from one
/// snapshot. `dock log export` calls it.
/// </summary>
public sealed class LogExports(ClipCatalog catalog, CustodyLog log, byte[] dockPublicKey)
{
    /// <summary>Exports into <paramref name="target"/>, which must be new or empty (an export is never merged into another).</summary>
    public async Task<(long Entries, int Checkpoints)> ExportAsync(string target, string actor, CancellationToken cancellationToken)
    {
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new ExportException($"{target} is not empty; export into a new or empty folder (an export is never merged into another).");
        // R5: a retrieval is itself recorded; the export then includes that record and a checkpoint over it.
        await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Exported, at, log.DockId, actor,
            Detail: $"custody log exported to {target}"), cancellationToken).ConfigureAwait(false);
        await log.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        return await WriteAsync(target, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(long Entries, int Notes)> WriteAsync(string target, CancellationToken cancellationToken)
    {
        var entriesDir = Path.Combine(target, "entries");
        var checkpointsDir = Path.Combine(target, "checkpoints");
        Directory.CreateDirectory(entriesDir);
        Directory.CreateDirectory(checkpointsDir);
        // One snapshot: a running dock appends meanwhile, and a checkpoint read later could cover entries read earlier's future.
        var (entries, notes) = await CustodyLog.ReadSnapshotAsync(catalog, cancellationToken).ConfigureAwait(false);
        long count = 0;
        foreach (var entry in entries)
        {
            await File.WriteAllBytesAsync(Path.Combine(entriesDir, LogVerifier.EntryFileName(count)), entry, cancellationToken).ConfigureAwait(false);
            count++;
        }
        for (int i = 0; i < notes.Count; i++)
            await File.WriteAllTextAsync(Path.Combine(checkpointsDir, $"{LogVerifier.EntryFileName(notes[i].Size)}-{i:D6}"), notes[i].Note, cancellationToken).ConfigureAwait(false);
        if (notes.Count > 0) await File.WriteAllTextAsync(Path.Combine(target, "checkpoint"), notes[^1].Note, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(target, "dock.pem"), Ed25519Key.PublicKeyPem(dockPublicKey), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(target, "README.txt"), ReadMe(log.DockId, count), Encoding.UTF8, cancellationToken).ConfigureAwait(false);
        return (count, notes.Count);
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
