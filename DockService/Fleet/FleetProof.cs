using System.Text;
using System.Text.Json;
using Dock.Crypto.Transparency;
using Dock.Evidence;
using Dock.Service.Upload;

namespace Dock.Service.Fleet;

/// <summary>
/// Which configuration a camera ran when it recorded a clip, proved from signed material alone (fleet-bundle-v1.md §6): the clip and its manifest
/// (`dock verify`: the bytes, the dock's signature, the custody entry and its inclusion proof), the recorder's v1.5 record-time signature over
/// the profile it recorded under (bundle version V, profile hash P), the fleet bundle log's signed checkpoint and the inclusion proof of
/// version V's entry in it, the bundle itself (signed by the agency's configuration key, its hash the one the log gives), and its profile for
/// the recorder's model hashing to P. Each link is one step; any broken link fails the proof with `dock verify`'s exit codes.
/// </summary>
public static class FleetProof
{
    public static async Task<VerifyReport> ProveAsync(string clipPath, string manifestPath, byte[]? dockKey, ConfigKey configKey, FleetStore store,
        CancellationToken cancellationToken)
    {
        var clip = await ClipVerifier.VerifyAsync(clipPath, manifestPath, dockKey, cancellationToken).ConfigureAwait(false);
        var steps = clip.Steps.ToList();
        var timeline = clip.Timeline.ToList();
        var outcome = clip.Outcome;
        void Step(string name, bool ok, string detail, VerifyOutcome failure)
        {
            steps.Add(new VerifyStep(name, ok, detail));
            if (!ok && outcome == VerifyOutcome.Verified) outcome = failure;
        }
        VerifyReport Done() => new(outcome, steps, timeline);
        if (clip.Outcome == VerifyOutcome.Malformed) return Done();

        // What the recorder signed it was recorded under (checked with its signature by ClipVerifier).
        // Read again here (ClipVerifier keeps its parse to itself); it may not parse at all when an earlier step already failed.
        ClipManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(manifestPath, cancellationToken).ConfigureAwait(false), ClipManifest.TypeInfo);
        }
        catch (JsonException)
        {
            manifest = null;
        }
        if (manifest is null) return Done(); // ClipVerifier has said why, and failed the proof
        if (manifest.Recorder is not { SignatureFormat: ManifestRecorder.SignatureV15, ConfigVersion: { } version, ConfigSha256: { } profileSha }
            || !Crypto.Hashing.Hex.TryParse(profileSha, 32, out _))
        {
            Step("recorded under", false, "the manifest names no recorder profile: the recorder's firmware is older than DockLink v1.5, so it never " +
                "signed what it recorded under", VerifyOutcome.Malformed);
            return Done();
        }
        if (version == 0)
        {
            Step("recorded under", true, "the camera's factory settings (version 0): no fleet bundle's profile", VerifyOutcome.BadProof);
            timeline.Add("recorded under the camera's factory settings");
            return Done();
        }
        Step("recorded under", true, $"the recorder signed that it ran profile {profileSha} of fleet bundle version {version}", VerifyOutcome.BadProof);

        // The agency's bundle log: its signed checkpoint, and version V's entry in it.
        var (entries, _) = await store.ReadLogAsync(cancellationToken).ConfigureAwait(false);
        var fetched = await store.Target.FetchAsync(store.CheckpointKey, null, SignedNote.MaxNoteBytes, cancellationToken).ConfigureAwait(false);
        var checkpointNote = fetched.Status == FetchStatus.Found ? Encoding.UTF8.GetString(fetched.Content!) : "";
        if (!SignedNote.TryOpen(checkpointNote, BundleNote.KeyName, configKey.PublicKey, out var text, out var error) || !Checkpoint.TryParse(text, out var checkpoint, out error)
            || checkpoint.Origin != FleetLogEntry.Origin)
        {
            Step("bundle log checkpoint", false, $"{store.CheckpointKey}: {(fetched.Status == FetchStatus.Found ? error : "not in the store")} (it must be signed " +
                $"by {configKey.Id}: `dock fleet publish --agency-key`)", VerifyOutcome.BadSignature);
            return Done();
        }
        Step("bundle log checkpoint", true, $"{checkpoint.Origin}: a tree of {checkpoint.Size} entries signed by {configKey.Id}", VerifyOutcome.BadSignature);
        var found = entries.Where(e => e.Entry.Version == version && e.Entry.Index < checkpoint.Size).ToList();
        if (found.Count != 1)
        {
            Step("bundle log entry", false, $"the checkpointed log holds {(found.Count == 0 ? "no" : found.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
                $"entry for version {version}", VerifyOutcome.BadProof);
            return Done();
        }
        var (entry, bytes) = found[0];
        var leaves = entries.Take((int)checkpoint.Size).Select(e => MerkleTree.LeafHash(e.Bytes)).ToList();
        var proof = MerkleTree.InclusionProof(leaves, entry.Index, checkpoint.Size);
        bool included = MerkleTree.VerifyInclusion(entry.Index, checkpoint.Size, MerkleTree.LeafHash(bytes), proof, checkpoint.RootHash);
        Step("bundle log inclusion", included, included
            ? $"entry {entry.Index} (version {entry.Version}, bundle sha256 {entry.Sha256}, published {entry.Published:O} by {entry.Publisher}) is in the " +
              $"signed tree: {proof.Count} proof hash(es) {string.Join(" ", proof.Select(p => Convert.ToHexStringLower(p)[..16] + "…"))}"
            : $"entry {entry.Index}'s inclusion proof does not lead to the checkpoint's root", VerifyOutcome.BadProof);

        // The bundle: signed by the configuration key, the one the log names, with the recorder's model's profile hashing to what it signed.
        OpenedBundle opened;
        try
        {
            opened = BundleNote.Open(await store.ReadBundleAsync(version, entry.Sha256, cancellationToken).ConfigureAwait(false), [configKey]);
        }
        catch (FleetBundleException ex)
        {
            Step("bundle", false, $"version {version}: {ex.Message}", VerifyOutcome.BadSignature);
            return Done();
        }
        Step("bundle", opened.Bundle.Version == version, $"{store.BundleKey(version)}: version {opened.Bundle.Version}, sha256 {opened.Sha256} (the log's), signed by {opened.SignedBy.Id}",
            VerifyOutcome.BadProof);
        var model = manifest.Recorder.Model;
        var profile = opened.Bundle.RecorderProfiles.FirstOrDefault(p => p.Model == model);
        Step("recorder profile", profile?.Sha256 == profileSha, profile is null
            ? $"bundle version {version} has no profile for the {model}"
            : profile.Sha256 == profileSha ? $"the bundle's profile for the {model} hashes to {profileSha}: the clip was recorded under fleet bundle version {version}"
            : $"the bundle's profile for the {model} hashes to {profile.Sha256}, not {profileSha}", VerifyOutcome.BadProof);
        timeline.Add($"{entry.Published:O}  fleet bundle version {version} published by {entry.Publisher} (bundle log entry {entry.Index})");
        timeline.Add($"{manifest.Times?.DeviceStart:O}  recorded under its profile for the {model} ({profileSha[..16]}…)");
        return Done();
    }
}
