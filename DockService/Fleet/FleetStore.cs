using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.Service.Upload;

namespace Dock.Service.Fleet;

/// <summary>The rollout pointer (PREFIX/fleet/rollout.json): the bundle docks follow, and how far its rollout has gone. Docks covered by
/// steps 0..<see cref="Step"/> of the bundle's plan take it; the others keep what they run.</summary>
public sealed record RolloutPointer(long Version, string Sha256, string Bundle, int Step, int Steps, DateTimeOffset PublishedAt, string PublishedBy,
    DateTimeOffset StepAt, List<RolloutMove> History);

/// <summary>One move of the pointer: to which step, when, by whom, and the failure rate judged.</summary>
public sealed record RolloutMove(int Step, DateTimeOffset At, string By, string Judged);

/// <summary>
/// The fleet's objects under PREFIX/fleet/ in the agency's object store (fleet-bundle-v1.md §5): no fleet server, the store every dock
/// already writes to is the shared medium. <c>bundles/V.note</c> the signed bundles; <c>rollout.json</c> the pointer; <c>log/N</c> and
/// <c>log/checkpoint</c> the append-only bundle log; <c>docks/DOCKID/status.json</c> each dock's signed status; <c>firmware/SHA256.bin</c>
/// the images bundles name.
/// </summary>
public sealed class FleetStore(ICloudTarget target, string prefix)
{
    public const int MaxPointerBytes = 256 * 1024;
    public const int MaxStatusBytes = 256 * 1024;
    public const int MaxLogEntries = 100_000;

    private static readonly JsonSerializerOptions Json = new(FleetBundle.Written) { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string Root { get; } = prefix.Length > 0 ? prefix.TrimEnd('/') + "/fleet/" : "fleet/";
    public ICloudTarget Target => target;

    public string BundleKey(long version) => Root + "bundles/" + version.ToString("D10", CultureInfo.InvariantCulture) + ".note";
    public string PointerKey => Root + "rollout.json";
    public string LogKey(long index) => Root + "log/" + index.ToString("D10", CultureInfo.InvariantCulture);
    public string CheckpointKey => Root + "log/checkpoint";
    public string StatusPrefix => Root + "docks/";
    public string StatusKey(string dockId) => StatusPrefix + dockId + "/status.json";
    public string FirmwareKey(string sha256) => Root + "firmware/" + sha256 + ".bin";

    /// <summary>The pointer, conditionally: <see cref="FetchStatus.NotModified"/> while its ETag is still <paramref name="etag"/>.</summary>
    public async Task<(FetchStatus Status, RolloutPointer? Pointer, string? ETag)> ReadPointerAsync(string? etag, CancellationToken cancellationToken)
    {
        var fetched = await target.FetchAsync(PointerKey, etag, MaxPointerBytes, cancellationToken).ConfigureAwait(false);
        if (fetched.Status != FetchStatus.Found) return (fetched.Status, null, etag);
        try
        {
            var pointer = JsonSerializer.Deserialize<RolloutPointer>(fetched.Content, Json);
            if (pointer is null || pointer.Version < 1 || pointer.Step < 0 || pointer.Step >= pointer.Steps || pointer.Sha256.Length != 64)
                throw new JsonException("fields out of range");
            return (FetchStatus.Found, pointer, fetched.ETag);
        }
        catch (JsonException ex)
        {
            throw new CloudException(CloudFailure.Rejected, $"{PointerKey} is not a rollout pointer ({ex.Message}); publish the bundle again.", ex);
        }
    }

    public Task WritePointerAsync(RolloutPointer pointer, string actor, CancellationToken cancellationToken) =>
        PutAsync(PointerKey, JsonSerializer.SerializeToUtf8Bytes(pointer, Json), actor, "application/json", cancellationToken);

    /// <summary>A published bundle's note, checked against the SHA-256 the pointer or the log gives for it.</summary>
    public async Task<string> ReadBundleAsync(long version, string sha256, CancellationToken cancellationToken)
    {
        var fetched = await target.FetchAsync(BundleKey(version), null, FleetBundle.MaxBytes, cancellationToken).ConfigureAwait(false);
        if (fetched.Status != FetchStatus.Found)
            throw new CloudException(CloudFailure.Rejected, $"{BundleKey(version)} is not in the store, though the fleet names it.");
        var note = Encoding.UTF8.GetString(fetched.Content!);
        if (BundleNote.HashOf(note) != sha256)
            throw new FleetBundleException(BundleRefusal.BadSignature, $"{BundleKey(version)} is not the bundle the fleet names (sha256 {sha256[..16]}…): changed in the store");
        return note;
    }

    /// <summary>Every entry of the bundle log, in order, each checked against its index; and the tree head they make.</summary>
    public async Task<(IReadOnlyList<(FleetLogEntry Entry, byte[] Bytes)> Entries, Checkpoint Head)> ReadLogAsync(CancellationToken cancellationToken)
    {
        var keys = await target.ListAsync(Root + "log/", MaxLogEntries + 1, cancellationToken).ConfigureAwait(false);
        var entries = new List<(FleetLogEntry, byte[])>();
        foreach (var key in keys.Where(k => k != CheckpointKey).Order(StringComparer.Ordinal))
        {
            var fetched = await target.FetchAsync(key, null, 4096, cancellationToken).ConfigureAwait(false);
            if (fetched.Status != FetchStatus.Found) continue;
            if (!FleetLogEntry.TryParse(fetched.Content!, out var entry, out var error) || entry.Index != entries.Count || key != LogKey(entry.Index))
                throw new CloudException(CloudFailure.Rejected, $"the bundle log's {key} is not entry {entries.Count} ({error}): the log is damaged; nothing is published on top of it.");
            entries.Add((entry, fetched.Content!));
        }
        var leaves = entries.Select(e => MerkleTree.LeafHash(e.Item2)).ToList();
        return (entries, new Checkpoint(FleetLogEntry.Origin, leaves.Count, MerkleTree.Root(leaves, leaves.Count)));
    }

    /// <summary>
    /// Publishes a signed bundle: the note under bundles/, an entry in the bundle log and its new checkpoint (signed by
    /// <paramref name="logKey"/> when given), then the pointer at step 0 of its plan. Each object is read back and compared before the
    /// next is written, in this order, so a crash or an outage leaves a log that is whole and a pointer that names a published bundle;
    /// publishing again finishes the job. A version not above the log's last is refused (the same bundle again only completes it).
    /// </summary>
    public async Task<(RolloutPointer Pointer, FleetLogEntry Entry, Checkpoint Head)> PublishAsync(string note, string publisher, Ed25519Key? logKey,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var bundle = BundleNote.Peek(note);
        if (SignedNote.SignatureKeys(note, FleetBundle.MaxBytes).Count == 0)
            throw new FleetBundleException(BundleRefusal.Unsigned, "the bundle is not signed: docks would refuse it (`dock fleet bundle sign FILE --agency-key KEY`)");
        var sha256 = BundleNote.HashOf(note);
        var (entries, _) = await ReadLogAsync(cancellationToken).ConfigureAwait(false);
        var last = entries.Count > 0 ? entries[^1].Entry : null;
        FleetLogEntry entry;
        if (last is not null && last.Version == bundle.Version && last.Sha256 == sha256) entry = last; // Finishing an interrupted publish.
        else if (last is not null && bundle.Version <= last.Version)
            throw new FleetBundleException(BundleRefusal.VersionNotHigher,
                $"version {bundle.Version} is not above version {last.Version}, the last published (a rollback is a new, higher version that restores old values)");
        else entry = new FleetLogEntry(entries.Count, bundle.Version, sha256, time.GetUtcNow(), publisher);

        await PutVerifiedAsync(BundleKey(bundle.Version), Encoding.UTF8.GetBytes(note), publisher, "text/plain; charset=utf-8", cancellationToken).ConfigureAwait(false);
        if (entry != last)
        {
            if (await target.HeadAsync(LogKey(entry.Index), cancellationToken).ConfigureAwait(false) is not null)
                throw new CloudException(CloudFailure.Rejected, $"{LogKey(entry.Index)} appeared meanwhile: someone else is publishing. Run again.");
            await PutVerifiedAsync(LogKey(entry.Index), entry.ToBytes(), publisher, "text/plain; charset=utf-8", cancellationToken).ConfigureAwait(false);
        }
        var leaves = entries.Select(e => MerkleTree.LeafHash(e.Bytes)).ToList();
        if (entry != last) leaves.Add(MerkleTree.LeafHash(entry.ToBytes()));
        var head = new Checkpoint(FleetLogEntry.Origin, leaves.Count, MerkleTree.Root(leaves, leaves.Count));
        var checkpointText = logKey is null ? head.ToText() : SignedNote.Sign(head.ToText(), BundleNote.KeyName, logKey);
        await PutVerifiedAsync(CheckpointKey, Encoding.UTF8.GetBytes(checkpointText), publisher, "text/plain; charset=utf-8", cancellationToken).ConfigureAwait(false);

        var now = time.GetUtcNow();
        var pointer = new RolloutPointer(bundle.Version, sha256, BundleKey(bundle.Version), 0, bundle.Rollout.Steps.Count, now, publisher, now,
            [new RolloutMove(0, now, publisher, "published")]);
        var (status, current, _) = await ReadPointerAsync(null, cancellationToken).ConfigureAwait(false);
        if (status == FetchStatus.Found && current!.Version == bundle.Version && current.Sha256 == sha256) pointer = current; // Already pointed at: keep its step.
        else if (status == FetchStatus.Found && current!.Version > bundle.Version)
            throw new FleetBundleException(BundleRefusal.VersionNotHigher, $"the pointer already names version {current.Version}");
        await WritePointerAsync(pointer, publisher, cancellationToken).ConfigureAwait(false);
        return (pointer, entry, head);
    }

    /// <summary>Uploads a firmware image from <paramref name="path"/> (checked against the bundle's SHA-256 and size first) unless the store holds it
    /// already; either way the store's copy is then verified. Returns whether it was written.</summary>
    public async Task<bool> PublishFirmwareAsync(FirmwareImage image, string path, string actor, CancellationToken cancellationToken)
    {
        var key = FirmwareKey(image.Sha256);
        bool write = await target.HeadAsync(key, cancellationToken).ConfigureAwait(false) is not { } held || held.Size != image.Size
            || !(await target.VerifyAsync(key, image.Size, image.Sha256, cancellationToken).ConfigureAwait(false)).Matches;
        if (write)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"the {image.Model} image {image.Version} is not at {path} (`dock fleet firmware add` puts it there)", path);
            if (new FileInfo(path).Length != image.Size || await FirmwareImages.HashFileAsync(path, cancellationToken).ConfigureAwait(false) != image.Sha256)
                throw new InvalidDataException($"{path} is not the {image.Model} image {image.Version} the bundle names (size or SHA-256 differ)");
            await using (var file = File.OpenRead(path))
                await target.PutAsync(key, file, image.Size, new ObjectMetadata(image.Sha256, actor, null, null, "application/octet-stream"), cancellationToken)
                    .ConfigureAwait(false);
            var check = await target.VerifyAsync(key, image.Size, image.Sha256, cancellationToken).ConfigureAwait(false);
            if (!check.Matches) throw new CloudException(CloudFailure.Transient, $"{key} did not verify after it was written ({check.How}); publish again.");
        }
        return write;
    }

    /// <summary>Every dock's status object (at most <paramref name="max"/>), as stored: the caller verifies each.</summary>
    /// <remarks>An object that cannot be read now (a dock rewriting it mid-read: a store built on files may then cut the body short) is tried
    /// again twice, then given back with the problem instead of its content: one dock's object never stops the view of the others.</remarks>
    public async Task<IReadOnlyList<(string Key, byte[]? Content, string? Problem)>> ReadStatusesAsync(int max, CancellationToken cancellationToken)
    {
        var keys = await target.ListAsync(StatusPrefix, max, cancellationToken).ConfigureAwait(false);
        var found = new List<(string, byte[]?, string?)>();
        // A few at a time: a fleet of thousands is read in minutes, not in one burst the store throttles.
        await Parallel.ForEachAsync(keys.Where(k => k.EndsWith("/status.json", StringComparison.Ordinal)),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (key, ct) =>
            {
                for (int attempt = 1; ; attempt++)
                {
                    try
                    {
                        var fetched = await target.FetchAsync(key, null, MaxStatusBytes, ct).ConfigureAwait(false);
                        if (fetched.Status == FetchStatus.Found)
                            lock (found) found.Add((key, fetched.Content!, null));
                        return;
                    }
                    catch (CloudException ex) when (attempt < 3 && ex.Failure == CloudFailure.Transient)
                    {
                        await Task.Delay(100 * attempt, ct).ConfigureAwait(false);
                    }
                    catch (CloudException ex) when (ex.Failure is CloudFailure.Transient or CloudFailure.Rejected)
                    {
                        lock (found) found.Add((key, null, $"cannot be read: {ex.Message}"));
                        return;
                    }
                }
            }).ConfigureAwait(false);
        return [.. found.OrderBy(f => f.Item1, StringComparer.Ordinal)];
    }

    public Task WriteStatusAsync(string dockId, string note, CancellationToken cancellationToken) =>
        PutAsync(StatusKey(dockId), Encoding.UTF8.GetBytes(note), dockId, "text/plain; charset=utf-8", cancellationToken);

    private async Task PutAsync(string key, byte[] content, string actor, string contentType, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content, writable: false);
        await target.PutAsync(key, stream, content.Length, new ObjectMetadata(Convert.ToHexStringLower(SHA256.HashData(content)), actor, null, null, contentType),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes, then reads back and compares: some stores answer 200 to a body they stored wrong.</summary>
    private async Task PutVerifiedAsync(string key, byte[] content, string actor, string contentType, CancellationToken cancellationToken)
    {
        await PutAsync(key, content, actor, contentType, cancellationToken).ConfigureAwait(false);
        var back = await target.FetchAsync(key, null, content.Length + 1, cancellationToken).ConfigureAwait(false);
        if (back.Status != FetchStatus.Found || !back.Content!.AsSpan().SequenceEqual(content))
            throw new CloudException(CloudFailure.Transient, $"{key} did not read back as written; will be written again.");
    }
}
