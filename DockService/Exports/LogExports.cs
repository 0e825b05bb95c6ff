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
/// snapshot. `dock log export` writes a folder; the HTTP API's <c>GET /api/v1/custody/export</c> the same layout as one ZIP.
/// </summary>
public sealed class LogExports(CatalogDatabase catalog, CustodyLog log, byte[] dockPublicKey)
{
    /// <summary>Exports into <paramref name="target"/>, which must be new or empty (an export is never merged into another).</summary>
    public async Task<(long Entries, int Checkpoints)> ExportAsync(string target, string actor, CancellationToken cancellationToken)
    {
        target = Path.GetFullPath(target);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new ExportException($"{target} is not empty; export into a new or empty folder (an export is never merged into another).");
        await RecordAsync(actor, $"custody log exported to {target}", cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.Combine(target, "entries"));
        Directory.CreateDirectory(Path.Combine(target, "checkpoints"));
        return await WriteAsync((name, bytes, ct) => File.WriteAllBytesAsync(Path.Combine(target, name), bytes, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same export as one ZIP written to <paramref name="output"/> (the HTTP API's download); unzipped, it is the folder
    /// `dock log verify` and `dock-verify log` check.</summary>
    public async Task<(long Entries, int Checkpoints)> ExportZipAsync(Stream output, string actor, CancellationToken cancellationToken)
    {
        await RecordAsync(actor, "custody log exported as a download", cancellationToken).ConfigureAwait(false);
        using var zip = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true);
        return await WriteAsync(async (name, bytes, ct) =>
        {
            await using var entry = await zip.CreateEntry(name, System.IO.Compression.CompressionLevel.Fastest).OpenAsync(ct).ConfigureAwait(false);
            await entry.WriteAsync(bytes, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>R5: a retrieval is itself recorded; the export then includes that record and a checkpoint over it.</summary>
    private async Task RecordAsync(string actor, string detail, CancellationToken cancellationToken)
    {
        await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Exported, at, log.DockId, actor, Detail: detail), cancellationToken)
            .ConfigureAwait(false);
        await log.CheckpointAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<(long Entries, int Notes)> WriteAsync(Func<string, byte[], CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        // One snapshot: a running dock appends meanwhile, and a checkpoint read later could cover entries read earlier's future.
        var (entries, notes) = await CustodyLog.ReadSnapshotAsync(catalog, cancellationToken).ConfigureAwait(false);
        long count = 0;
        foreach (var entry in entries)
        {
            await write($"entries/{LogVerifier.EntryFileName(count)}", entry, cancellationToken).ConfigureAwait(false);
            count++;
        }
        for (int i = 0; i < notes.Count; i++)
            await write($"checkpoints/{LogVerifier.EntryFileName(notes[i].Size)}-{i:D6}", Encoding.UTF8.GetBytes(notes[i].Note), cancellationToken).ConfigureAwait(false);
        if (notes.Count > 0) await write("checkpoint", Encoding.UTF8.GetBytes(notes[^1].Note), cancellationToken).ConfigureAwait(false);
        await write("dock.pem", Encoding.UTF8.GetBytes(Ed25519Key.PublicKeyPem(dockPublicKey)), cancellationToken).ConfigureAwait(false);
        await write("README.txt", Encoding.UTF8.GetBytes(ReadMe(log.DockId, count)), cancellationToken).ConfigureAwait(false);
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
