namespace Dock.Service.Upload;

/// <summary>What travels with every object: its SHA-256 (hex) and who made it. Stored as object metadata.</summary>
public sealed record ObjectMetadata(string Sha256, string DockId, string? RecorderSerial, string? ClipId, string ContentType)
{
    public IReadOnlyDictionary<string, string> ToDictionary()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal) { ["sha256"] = Sha256, ["dock"] = DockId };
        if (RecorderSerial is not null) values["recorder"] = RecorderSerial;
        if (ClipId is not null) values["clip"] = ClipId;
        return values;
    }
}

/// <summary>An object as the store describes it: size and the SHA-256 it carries (metadata), if any.</summary>
public sealed record StoredObject(long Size, string? Sha256Metadata);

/// <summary>What a conditional read of a small object found.</summary>
public enum FetchStatus { Found, NotModified, Missing }

/// <summary>A small object read whole, with the ETag to ask with next time (<see cref="FetchStatus.Found"/>), or why there is nothing new.</summary>
public sealed record FetchResult(FetchStatus Status, byte[]? Content = null, string? ETag = null)
{
    public static readonly FetchResult Missing = new(FetchStatus.Missing);
    public static readonly FetchResult NotModified = new(FetchStatus.NotModified);
}

/// <summary>How the store's copy was checked.</summary>
public sealed record CloudVerification(bool Matches, string How, string? FoundSha256);

/// <summary>
/// A cloud store, seen by the uploader. Three implementations: a local folder, S3 (and S3-compatible
/// stores), Azure Blob. Every failure is a <see cref="CloudException"/> whose <see cref="CloudFailure"/>
/// tells the uploader whether to retry soon, wait for a person, or restart a multipart upload.
/// </summary>
public interface ICloudTarget : IAsyncDisposable
{
    /// <summary>The target without any secret, for logs and the queue.</summary>
    string Description { get; }

    /// <summary>Whether large objects can go up in parts that survive a restart.</summary>
    bool SupportsParts { get; }

    /// <summary>Whether parts carry their own SHA-256 to the store (S3); otherwise the part loop skips hashing them.</summary>
    bool ChecksumsParts { get; }

    /// <summary>Checks the container exists and the credentials work (a dock has no right to create containers).</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    Task<StoredObject?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>One-shot upload of <paramref name="length"/> bytes from <paramref name="content"/>.</summary>
    Task PutAsync(string key, Stream content, long length, ObjectMetadata metadata, CancellationToken cancellationToken);

    /// <summary>Starts a parts upload; returns its id (persisted by the queue so a restart resumes it).</summary>
    Task<string> BeginPartsAsync(string key, ObjectMetadata metadata, CancellationToken cancellationToken);

    /// <summary>Uploads part <paramref name="partNumber"/> (1-based); returns the receipt the completion needs.
    /// <paramref name="partSha256"/> is empty unless <see cref="ChecksumsParts"/>.</summary>
    Task<string> UploadPartAsync(string key, string uploadId, int partNumber, Stream content, long length, byte[] partSha256,
        CancellationToken cancellationToken);

    Task CompletePartsAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string Receipt)> parts, ObjectMetadata metadata,
        CancellationToken cancellationToken);

    /// <summary>Reads <paramref name="length"/> bytes of an object from <paramref name="offset"/> (a ranged GET): playback of a clip whose vault
    /// copy was purged, and a case export of it. The caller checks what it reads against the clip's SHA-256 where it reads it whole.</summary>
    Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken cancellationToken);

    /// <summary>Reads a small object whole (the fleet's pointer, bundles, status objects), at most <paramref name="maxBytes"/> (a larger one is a
    /// <see cref="CloudFailure.Rejected"/> error, never read into memory). With <paramref name="ifNoneMatch"/>, a conditional GET: an object
    /// whose ETag is still that one answers <see cref="FetchStatus.NotModified"/> with no body, so an idle dock's look costs one small 304.</summary>
    Task<FetchResult> FetchAsync(string key, string? ifNoneMatch, int maxBytes, CancellationToken cancellationToken);

    /// <summary>The keys under <paramref name="prefix"/> (e.g. PREFIX/fleet/docks/), at most <paramref name="max"/>, in key order.</summary>
    Task<IReadOnlyList<string>> ListAsync(string prefix, int max, CancellationToken cancellationToken);

    /// <summary>Checks what the store holds against (size, SHA-256): the checksum the server reports, else a streamed read-back.</summary>
    Task<CloudVerification> VerifyAsync(string key, long size, string sha256, CancellationToken cancellationToken);
}

public enum CloudFailure
{
    /// <summary>Network trouble, timeouts, 5xx, throttling: retry with backoff.</summary>
    Transient,
    /// <summary>Wrong or missing credentials, no permission: a person must fix it; retried slowly, alerted.</summary>
    Credentials,
    /// <summary>The bucket or container does not exist: a person must create it; retried slowly, alerted.</summary>
    MissingContainer,
    /// <summary>The store forgot a parts upload (expired, aborted, emulator restarted empty): start it again.</summary>
    UploadGone,
    /// <summary>Anything else the store refused.</summary>
    Rejected,
}

/// <summary>A cloud operation failed; the message says what to do and never contains a secret.</summary>
public sealed class CloudException(CloudFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public CloudFailure Failure { get; } = failure;

    public bool NeedsAPerson => Failure is CloudFailure.Credentials or CloudFailure.MissingContainer or CloudFailure.Rejected;
}
