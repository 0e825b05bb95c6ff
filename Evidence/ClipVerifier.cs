using System.Text;
using System.Text.Json;
using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;

namespace Dock.Evidence;

/// <summary>How a verification ended; the values are `dock verify` exit codes (README, "dock verify").</summary>
public enum VerifyOutcome
{
    Verified = 0,
    HashMismatch = 10,
    BadSignature = 11,
    UnknownKey = 12,
    BadProof = 13,
    Malformed = 14,
}

public sealed record VerifyStep(string Name, bool Ok, string Detail);

public sealed record VerifyReport(VerifyOutcome Outcome, IReadOnlyList<VerifyStep> Steps, IReadOnlyList<string> Timeline);

/// <summary>
/// Checks a clip against its manifest with nothing but the two files and a trusted dock key: no
/// catalog, no network (R3: anyone can check the proof). The first failing check decides the outcome.
/// </summary>
public static class ClipVerifier
{
    /// <summary>
    /// Where a clip's manifest is when none is named. In every tree the dock writes (the vault, a cloud folder, a download of
    /// the bucket) evidence is under a "clips" folder and the manifest at the same relative path under the "manifests" folder
    /// beside it; elsewhere (a file copied out by hand, an object uploaded before that split) it is CLIP.manifest.json.
    /// </summary>
    public static string DefaultManifestPath(string clipPath)
    {
        var full = Path.GetFullPath(clipPath);
        for (var folder = Path.GetDirectoryName(full); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            if (Path.GetFileName(folder) != "clips" || Path.GetDirectoryName(folder) is not { } root) continue;
            var candidate = Path.Combine(root, "manifests", Path.GetRelativePath(folder, full)) + ".manifest.json";
            if (File.Exists(candidate)) return candidate;
        }
        return clipPath + ".manifest.json";
    }

    /// <param name="open">How to read the clip's bytes when they are not the file's own (an encrypted vault copy, decrypted as it
    /// streams); null: the file as it is.</param>
    public static async Task<VerifyReport> VerifyAsync(string clipPath, string manifestPath, byte[]? trustedDockKey, CancellationToken cancellationToken,
        Func<Stream>? open = null)
    {
        var steps = new List<VerifyStep>();
        var timeline = new List<string>();
        VerifyOutcome outcome = VerifyOutcome.Verified;
        void Step(string name, bool ok, string detail, VerifyOutcome failure)
        {
            steps.Add(new VerifyStep(name, ok, detail));
            if (!ok && outcome == VerifyOutcome.Verified) outcome = failure;
        }
        VerifyReport Done() => new(outcome, steps, timeline);

        var sigPath = manifestPath + ".sig";
        var manifestInfo = new FileInfo(manifestPath);
        if (!manifestInfo.Exists || manifestInfo.Length > ClipManifest.MaxBytes || !File.Exists(sigPath) || new FileInfo(sigPath).Length != 64)
        {
            Step("manifest files", false, $"need {manifestPath} (≤ 1 MiB) and its 64-byte signature {sigPath}", VerifyOutcome.Malformed);
            return Done();
        }
        var bytes = await File.ReadAllBytesAsync(manifestPath, cancellationToken).ConfigureAwait(false);
        var signature = await File.ReadAllBytesAsync(sigPath, cancellationToken).ConfigureAwait(false);
        ClipManifest? manifest = null;
        try
        {
            manifest = JsonSerializer.Deserialize(bytes, ClipManifest.TypeInfo);
        }
        catch (JsonException)
        {
            // Judged below: a signature over garbage still fails first, which is the more useful answer.
        }

        // 1. The dock's signature over the exact manifest bytes, with the trusted key.
        var key = DockSignature.Check(bytes, signature, manifest?.Dock?.PublicKey, trustedDockKey, "manifest", Step);
        // Every field read below is present: a manifest with a key renamed or removed is malformed, never a crash of the verifier.
        if (manifest is null || manifest.Format != ClipManifest.FormatV1 || manifest.Clip is null || manifest.Custody is null || manifest.Dock is null
            || manifest.Times is null || manifest.Clip.RecorderSerial is null || manifest.Clip.ClipId is null || manifest.Clip.Sha256 is null)
        {
            Step("manifest", false, $"not a {ClipManifest.FormatV1} document", VerifyOutcome.Malformed);
            return Done();
        }
        if (trustedDockKey is null)
            Step("dock key", false, "no --trust key given: the manifest's own key was used, which proves nothing about who signed it", VerifyOutcome.UnknownKey);

        // 2. The clip's bytes.
        if (!File.Exists(clipPath))
        {
            Step("clip", false, $"{clipPath} does not exist", VerifyOutcome.Malformed);
            return Done();
        }
        long length;
        string sha;
        if (open is null)
        {
            length = new FileInfo(clipPath).Length;
            sha = Sha256.ToHex(await Sha256.HashFileAsync(clipPath, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        else
        {
            try
            {
                var stream = open();
                await using (stream.ConfigureAwait(false))
                {
                    var (hash, read) = await Sha256.HashStreamAsync(stream, cancellationToken).ConfigureAwait(false);
                    (sha, length) = (Sha256.ToHex(hash), read);
                }
            }
            catch (IOException ex)
            {
                // A chunk that fails authentication: the stored copy is not what was stored.
                Step("clip sha256", false, ex.Message, VerifyOutcome.HashMismatch);
                return Done();
            }
        }
        Step("clip sha256", sha == manifest.Clip.Sha256 && length == manifest.Clip.Size,
            $"{length} bytes, sha256 {sha}; manifest says {manifest.Clip.Size} bytes, {manifest.Clip.Sha256}", VerifyOutcome.HashMismatch);

        // 3. The recorder's record-time signature (recorders that make one), under the recorder key the dock enrolled.
        if (manifest.Recorder?.Signature is not { } recorderSignature)
            Step("recorder signature", true, "none: this recorder does not sign clips at record time", VerifyOutcome.BadSignature);
        else if (!Hex.TryParse(manifest.Recorder.PublicKey, 32, out var recorderKey) || !Hex.TryParse(recorderSignature, 64, out var recorderSig)
            || !Identifier.IsValid(manifest.Clip.RecorderSerial) || !Identifier.IsValid(ClipIds.DeviceClipId(manifest.Clip.ClipId))
            || !Hex.TryParse(manifest.Clip.Sha256, 32, out var clipSha) || manifest.Clip.Size < 0)
            Step("recorder signature", false, "recorder key, signature or clip fields are malformed", VerifyOutcome.Malformed);
        else
        {
            // The recorder signed the id it knows the clip by; a later clip under a reused id is catalogued as "ID~N".
            var deviceId = ClipIds.DeviceClipId(manifest.Clip.ClipId);
            bool v15 = manifest.Recorder.SignatureFormat == ManifestRecorder.SignatureV15;
            bool v11 = v15 || manifest.Recorder.SignatureFormat == ManifestRecorder.SignatureV11;
            RecordedUnder? under = v15 && manifest.Recorder.ConfigVersion is >= 0 && Hex.TryParse(manifest.Recorder.ConfigSha256, 32, out var configSha)
                ? new RecordedUnder((ulong)manifest.Recorder.ConfigVersion.Value, configSha) : null;
            var summary = new ClipSummary(deviceId, (ulong)manifest.Clip.Size, manifest.Clip.DeviceStart.ToUnixTimeMilliseconds(),
                manifest.Clip.DeviceEnd.ToUnixTimeMilliseconds(), (ClipFlags)manifest.Clip.Flags, clipSha);
            bool officerOk = string.IsNullOrEmpty(manifest.OfficerId) || Identifier.IsValid(manifest.OfficerId);
            bool ok = v15
                ? under is not null && officerOk
                    && Ed25519Key.Verify(recorderKey, ClipSignature.MessageV15(manifest.Clip.RecorderSerial, summary, manifest.OfficerId ?? "", under), recorderSig)
                : v11
                ? officerOk && Ed25519Key.Verify(recorderKey, ClipSignature.MessageV11(manifest.Clip.RecorderSerial, summary, manifest.OfficerId ?? ""), recorderSig)
                : Ed25519Key.Verify(recorderKey, ClipSignature.Message(manifest.Clip.RecorderSerial, summary), recorderSig);
            Step("recorder signature", ok, ok
                ? $"signed at record time by recorder {manifest.Clip.RecorderSerial} key {Ed25519Key.Fingerprint(recorderKey)}" + (v15
                    ? $" (v1.5: every listed field, flags, officer, and the recorder profile {manifest.Recorder.ConfigSha256} of fleet bundle version {manifest.Recorder.ConfigVersion})"
                    : v11 ? " (v1.1: every listed field, flags and officer included)" : " (v1: id, size, hash and times; the flags and officer are not covered)")
                : $"the record-time signature does not verify under recorder key {Ed25519Key.Fingerprint(recorderKey)}", VerifyOutcome.BadSignature);
        }

        // 4. The custody entry, its inclusion in the signed checkpoint.
        var entryBytes = Encoding.UTF8.GetBytes(manifest.Custody.Entry ?? "");
        if (!CustodyEvent.TryParse(entryBytes, out var entry, out var entryError))
        {
            Step("custody entry", false, entryError, VerifyOutcome.Malformed);
            return Done();
        }
        bool matches = entry.Index == manifest.Custody.Index && entry.Sha256 == manifest.Clip.Sha256 && entry.ClipId == manifest.Clip.ClipId
            && entry.RecorderSerial == manifest.Clip.RecorderSerial && entry.Kind == CustodyEventKind.Stored;
        Step("custody entry", matches, $"entry {entry.Index}: {CustodyEvent.KindName(entry.Kind)} {entry.RecorderSerial}/{entry.ClipId} at {entry.At:O}",
            VerifyOutcome.BadProof);
        var origin = ClipIds.LogOrigin(manifest.Dock.Id ?? "");
        if (!SignedNote.TryOpen(manifest.Custody.Checkpoint ?? "", origin, key ?? new byte[32], out var noteText, out var noteError)
            || !Checkpoint.TryParse(noteText, out var checkpoint, out noteError))
        {
            Step("checkpoint", false, noteError, VerifyOutcome.BadSignature);
            return Done();
        }
        Step("checkpoint", true, $"{checkpoint.Origin} signed tree of {checkpoint.Size} entries", VerifyOutcome.BadSignature);
        var proof = new List<byte[]>();
        foreach (var node in manifest.Custody.InclusionProof ?? [])
        {
            if (!Hex.TryParse(node, 32, out var hash))
            {
                Step("inclusion proof", false, "a proof node is not 32 bytes of hex", VerifyOutcome.Malformed);
                return Done();
            }
            proof.Add(hash);
        }
        bool included = MerkleTree.VerifyInclusion(entry.Index, checkpoint.Size, MerkleTree.LeafHash(entryBytes), proof, checkpoint.RootHash);
        Step("inclusion proof", included, included ? $"entry {entry.Index} is in the checkpointed tree" : "the proof does not lead to the checkpoint's root",
            VerifyOutcome.BadProof);

        timeline.Add($"{manifest.Times.DeviceStart:O}  recorded on {manifest.Clip.RecorderSerial} by officer {manifest.OfficerId} (recorder clock)");
        timeline.Add($"{manifest.Times.DeviceEnd:O}  recording ended (recorder clock; offset at docking {manifest.Times.ClockOffsetMs} ms)");
        timeline.Add($"{entry.At:O}  stored by dock {entry.DockId}: {entry.Detail}");
        timeline.Add($"checkpoint of {checkpoint.Size} entries, root {Convert.ToHexStringLower(checkpoint.RootHash)[..16]}…");
        return Done();
    }

    /// <summary>The dock's signature over a document that names the dock's key (a manifest, a bundle index), as every verifier judges it: with
    /// the trusted key when one is given, else the document's own (which proves nothing). Another dock's key is "unknown key" only when that
    /// key did sign these bytes; a document whose key field was altered is simply altered ("bad signature"). Returns the key used.</summary>
    internal static class DockSignature
    {
        public static byte[]? Check(byte[] bytes, byte[] signature, string? keyHex, byte[]? trustedDockKey, string what,
            Action<string, bool, string, VerifyOutcome> step)
        {
            byte[]? named = keyHex is { } hex && Hex.TryParse(hex, 32, out var k) ? k : null;
            var key = trustedDockKey ?? named;
            if (trustedDockKey is not null && named is not null && !named.AsSpan().SequenceEqual(trustedDockKey) && Ed25519Key.Verify(named, bytes, signature))
                step("dock key", false, $"{what} signed by dock key {Ed25519Key.Fingerprint(named)}, not the trusted {Ed25519Key.Fingerprint(trustedDockKey)}",
                    VerifyOutcome.UnknownKey);
            bool signed = key is not null && Ed25519Key.Verify(key, bytes, signature);
            step("dock signature", signed, signed ? $"{what} signed by dock key {Ed25519Key.Fingerprint(key!)}" : $"{what} signature does not verify",
                VerifyOutcome.BadSignature);
            return key;
        }
    }

    /// <summary>Reads a PKIX PEM Ed25519 public key (as `dock keys export --public` and OpenSSL write).</summary>
    public static bool TryReadPublicKeyPem(string pem, out byte[] key)
    {
        key = [];
        var body = string.Concat(pem.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        try
        {
            var der = Convert.FromBase64String(body);
            // SubjectPublicKeyInfo for Ed25519: 30 2a 30 05 06 03 2b 65 70 03 21 00 ‖ key.
            if (der.Length != 44 || !der.AsSpan(0, 12).SequenceEqual(Convert.FromHexString("302a300506032b6570032100"))) return false;
            key = der[12..];
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
