using System.Globalization;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;

namespace Dock.Evidence;

/// <summary>What <see cref="LogVerifier"/> found: the outcome (a `dock log verify` exit code), each check, and the sizes.</summary>
public sealed record LogVerifyReport(VerifyOutcome Outcome, IReadOnlyList<VerifyStep> Steps, long Entries, int Checkpoints, long CommittedEntries);

/// <summary>
/// Recomputes a custody log from its entries' exact bytes and checks it against every signed checkpoint
/// (custody-log-v1.md §5): each signature under a trusted dock key, each checkpoint's root against the
/// tree of that many entries, RFC 9162 consistency between consecutive checkpoints, and each entry's
/// own form and index. Needs nothing but the entries, the notes and the keys.
/// </summary>
public static class LogVerifier
{
    public static LogVerifyReport Verify(IReadOnlyList<byte[]> entries, IReadOnlyList<string> notes, IReadOnlyList<byte[]> trustedKeys, bool keysTrusted)
    {
        var steps = new List<VerifyStep>();
        var outcome = VerifyOutcome.Verified;
        void Step(string name, bool ok, string detail, VerifyOutcome failure)
        {
            steps.Add(new VerifyStep(name, ok, detail));
            if (!ok && outcome == VerifyOutcome.Verified) outcome = failure;
        }

        if (!keysTrusted)
            Step("dock key", false, "no --trust key given: the key shipped with the log was used, which proves nothing about who signed it", VerifyOutcome.UnknownKey);

        var tree = new MerkleLevels();
        foreach (var entry in entries) tree.Append(MerkleTree.LeafHash(entry));
        var keys = WithHandovers(entries, notes, tree, trustedKeys, out var handovers);
        if (handovers.Count > 0)
            Step("key rotation", true, string.Join("; ", handovers), VerifyOutcome.UnknownKey);

        // 1. Every checkpoint is signed by a trusted dock key.
        var checkpoints = new List<Checkpoint>();
        string? origin = null;
        int bad = 0;
        foreach (var note in notes)
        {
            var name = note.Split('\n', 2)[0];
            origin ??= name;
            if (name != origin)
            {
                Step("checkpoint origin", false, $"a checkpoint names '{name}', another '{origin}': not one log", VerifyOutcome.Malformed);
                bad++;
                continue;
            }
            Checkpoint? opened = null;
            foreach (var key in keys)
            {
                if (SignedNote.TryOpen(note, name, key, out var text, out _) && Checkpoint.TryParse(text, out var parsed, out _))
                {
                    opened = parsed;
                    break;
                }
            }
            if (opened is not null)
            {
                checkpoints.Add(opened);
                continue;
            }
            bad++;
            var known = keys.Select(k => SignedNote.KeyId(name, k)).ToHashSet();
            bool byKnownKey = SignedNote.SignatureKeys(note).Any(s => s.Name == name && known.Contains(s.KeyId));
            var size = note.Split('\n').ElementAtOrDefault(1);
            Step("checkpoint signature", false, byKnownKey
                ? $"the checkpoint of size {size} carries a signature by the trusted key that does not verify: forged or altered"
                : $"the checkpoint of size {size} is not signed by any trusted key", byKnownKey ? VerifyOutcome.BadSignature : VerifyOutcome.UnknownKey);
        }
        if (bad == 0)
            Step("checkpoint signatures", notes.Count > 0, notes.Count > 0
                ? $"{notes.Count} checkpoint(s) signed by trusted key(s) {string.Join(", ", keys.Select(k => Ed25519Key.Fingerprint(k)))}"
                : "there is no checkpoint: nothing commits to these entries", VerifyOutcome.Malformed);

        // 2. Each checkpoint's root is the root of that many entries, recomputed here.
        checkpoints.Sort((a, b) => a.Size.CompareTo(b.Size));
        long lastGood = 0;
        Checkpoint? firstBad = null;
        foreach (var checkpoint in checkpoints)
        {
            if (checkpoint.Size > entries.Count || !checkpoint.RootHash.AsSpan().SequenceEqual(tree.Root(checkpoint.Size)))
            {
                firstBad = checkpoint;
                break;
            }
            lastGood = checkpoint.Size;
        }
        long committed = checkpoints.Count == 0 ? 0 : checkpoints[^1].Size;
        if (firstBad is null)
            Step("tree", checkpoints.Count > 0, $"{entries.Count} entries; the recomputed root matches all {checkpoints.Count} checkpoint(s)", VerifyOutcome.BadProof);
        else if (firstBad.Size > entries.Count)
            Step("tree", false, $"a checkpoint commits to {firstBad.Size} entries but only {entries.Count} are here: entries were removed", VerifyOutcome.BadProof);
        else
            Step("tree", false, $"the entries do not hash to the checkpoint of size {firstBad.Size} (entries below {lastGood} match its predecessor): " +
                $"an entry in [{lastGood}, {firstBad.Size}) was altered, removed, inserted or reordered", VerifyOutcome.BadProof);

        // 3. Consecutive checkpoints are consistent (RFC 9162 §2.1.4): the later tree extends the earlier.
        if (firstBad is null)
        {
            int consistent = 0;
            bool allConsistent = true;
            foreach (var (older, newer) in checkpoints.Zip(checkpoints.Skip(1)))
            {
                if (older.Size == newer.Size)
                {
                    allConsistent &= older.RootHash.AsSpan().SequenceEqual(newer.RootHash);
                    continue;
                }
                var proof = tree.ConsistencyProof(older.Size, newer.Size);
                if (MerkleTree.VerifyConsistency(older.Size, newer.Size, older.RootHash, newer.RootHash, proof)) consistent++;
                else allConsistent = false;
            }
            Step("consistency", allConsistent, $"{consistent} consistency proof(s) between consecutive checkpoints verify", VerifyOutcome.BadProof);
        }

        // 4. Every entry is in canonical form and carries its own index.
        int malformed = -1, misplaced = -1;
        for (int i = 0; i < entries.Count && malformed < 0 && misplaced < 0; i++)
        {
            if (!CustodyEvent.TryParse(entries[i], out var parsed, out _)) malformed = i;
            else if (parsed.Index != i) misplaced = i;
        }
        if (misplaced >= 0)
            Step("entries", false, $"the entry at position {misplaced} says it is not entry {misplaced}: entries were removed or reordered", VerifyOutcome.BadProof);
        else if (malformed >= 0)
            Step("entries", false, $"entry {malformed} is not a canonical dock-custody/v1 entry", VerifyOutcome.Malformed);
        else
            Step("entries", true, entries.Count > committed
                ? $"all canonical and in order; the last {entries.Count - committed} are not yet in a checkpoint"
                : "all canonical and in order", VerifyOutcome.Malformed);
        return new LogVerifyReport(outcome, steps, entries.Count, notes.Count, committed);
    }

    /// <summary>
    /// A rotated dock key is trusted through its successor: entry i "dock-key-rotated: dock key OLD replaced by
    /// NEW" hands over from OLD to NEW. If NEW is trusted and a checkpoint signed by NEW commits to entry i
    /// (its root matching the entries here), OLD is trusted too, for the checkpoints it signed before.
    /// A forged rotation entry cannot do this: it is only believed once the trusted key has committed to it.
    /// </summary>
    private static List<byte[]> WithHandovers(IReadOnlyList<byte[]> entries, IReadOnlyList<string> notes, MerkleLevels tree,
        IReadOnlyList<byte[]> trusted, out List<string> handovers)
    {
        handovers = [];
        var keys = trusted.ToList();
        var rotations = new List<(long Index, byte[] Old, byte[] New)>();
        for (int i = 0; i < entries.Count; i++)
        {
            if (CustodyEvent.TryParse(entries[i], out var e, out _) && e.Kind == CustodyEventKind.DockKeyRotated && e.Detail is { } detail
                && RotationDetail.Match(detail) is { Success: true } m)
                rotations.Add((i, Convert.FromHexString(m.Groups[1].Value), Convert.FromHexString(m.Groups[2].Value)));
        }
        bool changed = rotations.Count > 0;
        while (changed)
        {
            changed = false;
            foreach (var (index, oldKey, newKey) in rotations)
            {
                if (keys.Any(k => k.AsSpan().SequenceEqual(oldKey)) || !keys.Any(k => k.AsSpan().SequenceEqual(newKey))) continue;
                foreach (var note in notes)
                {
                    var name = note.Split('\n', 2)[0];
                    if (SignedNote.TryOpen(note, name, newKey, out var text, out _) && Checkpoint.TryParse(text, out var cp, out _)
                        && cp.Size > index && cp.Size <= tree.Size && cp.RootHash.AsSpan().SequenceEqual(tree.Root(cp.Size)))
                    {
                        keys.Add(oldKey);
                        handovers.Add($"key {Ed25519Key.Fingerprint(oldKey)} handed over to {Ed25519Key.Fingerprint(newKey)} at entry {index}");
                        changed = true;
                        break;
                    }
                }
            }
        }
        return keys;
    }

    private static readonly System.Text.RegularExpressions.Regex RotationDetail =
        new("^dock key ([0-9a-f]{64}) replaced by ([0-9a-f]{64})", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The export's entry file name: the index, zero-padded to 12 digits.</summary>
    public static string EntryFileName(long index) => index.ToString("D12", CultureInfo.InvariantCulture);
}
