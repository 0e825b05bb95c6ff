using Dock.DeviceProtocol.Messages;

namespace Dock.Service.Catalog;

/// <summary>One row of the clips table.</summary>
public sealed record ClipRecord(
    long Id,
    string RecorderSerial,
    string ClipId,
    long Size,
    string DeviceSha256,
    DateTimeOffset DeviceStart,
    DateTimeOffset DeviceEnd,
    ClipFlags Flags,
    string OfficerId,
    ClipState State,
    long PulledBytes,
    int Attempts,
    string? VaultPath,
    string? StoredSha256,
    string? LastError,
    DateTimeOffset UpdatedAt,
    long? CustodyIndex = null,
    string? ManifestPath = null,
    string? RecorderSignature = null,
    ClipHold? Hold = null,
    DateTimeOffset? ReleaseRequestedAt = null,
    long? ReleaseRequestedIndex = null,
    DateTimeOffset? LeftRecorderAt = null,
    DateTimeOffset? PurgedAt = null,
    long? PurgedIndex = null)
{
    /// <summary>The fleet bundle version of the recorder profile the camera says (in CLIP_INFO, under its v1.5 record-time signature) it recorded
    /// the clip under (0: factory settings); null when it does not say.</summary>
    public long? ConfigVersion { get; init; }

    /// <summary>That profile's SHA-256 (hex), or null.</summary>
    public string? ConfigSha256 { get; init; }

    /// <summary>The vault holds the clip's bytes: stored there and not purged since (Retention/VaultPurge).</summary>
    public bool InVault => VaultPath is not null && PurgedAt is null;

    /// <summary>The dock asked the recorder to delete it (a release-requested custody entry) and has not yet learnt it is gone.</summary>
    public bool ReleasePending => ReleaseRequestedAt is not null && LeftRecorderAt is null;

    /// <summary>The id the recorder knows the clip by. Later footage under a reused id is catalogued as "ID~2", "ID~3"
    /// (<see cref="ClipLifecycle.AnnounceAsync"/>); '~' never occurs in a DockLink identifier, so the two never mix.</summary>
    public string DeviceClipId => ClipStore.DeviceClipId(ClipId);
}

/// <summary>What announcing a listed clip found.</summary>
public enum AnnounceChange
{
    /// <summary>A new clip, or the one already catalogued under this id with the same size and hash.</summary>
    None,
    /// <summary>The catalogued size or hash came from the recorder's word alone (no verified copy): the new listing replaces it.</summary>
    HashCorrected,
    /// <summary>The id was used again after its clip left the recorder: new footage, catalogued as a new generation.</summary>
    IdReused,
    /// <summary>The recorder lists other bytes under the id of a clip it still holds, which the dock verified: both are kept, a person decides.</summary>
    Conflict,
}

public sealed record Announced(ClipRecord Row, AnnounceChange Change, ClipRecord? Previous = null);

/// <summary>Why a clip whose bytes are fine is kept in quarantine and never released (issue: chain of custody).</summary>
public enum ClipHold
{
    /// <summary>The recorder's key is not enrolled (or was revoked): its identity is not trusted. Pulled again once it is enrolled.</summary>
    UntrustedRecorder,
    /// <summary>The record-time signature is missing or does not verify under the enrolled key. A person must look.</summary>
    BadRecordSignature,
}

/// <summary>One key in the enrolment list; <see cref="RevokedAt"/> set once it was revoked or replaced.</summary>
public sealed record RecorderKeyRecord(long Id, string Serial, byte[] PublicKey, string Fingerprint, DateTimeOffset EnrolledAt, string Source,
    DateTimeOffset? RevokedAt, string? RevokeReason)
{
    /// <summary>The fingerprint shown for a keyless (mass-storage) enrolment: the serial alone is trusted, and only as claimed.</summary>
    public const string Keyless = "keyless";

    public bool IsKeyless => PublicKey.Length == 0;
}

/// <summary>Something a person must look at (R10): an unenrolled recorder, a bad signature, a full disk, a cloud outage.
/// Raised once while its cause lasts (<see cref="Repeats"/> counts the times it was seen again, <see cref="LastAt"/> the latest),
/// and marked resolved, with the time, once the cause is gone.</summary>
public sealed record AlertRecord(long Id, DateTimeOffset At, string Kind, string? RecorderSerial, string? ClipId, string Message,
    DateTimeOffset LastAt, int Repeats = 0, DateTimeOffset? ResolvedAt = null, string? Resolution = null,
    DateTimeOffset? AcknowledgedAt = null, string? AcknowledgedBy = null, string? Acknowledgement = null)
{
    public bool IsOpen => ResolvedAt is null;
}

public sealed record RecorderRecord(string Serial, string Model, string Firmware, string OfficerId, string? KeyFingerprint,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

public sealed record DockingSessionRecord(long Id, string BayId, string RecorderSerial, DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt, long? ClockOffsetMs, string? EndReason);

/// <summary>A recorder's last docking (with its storage then) and its last battery sample (the equipment manager's view).</summary>
public sealed record LastDockingRecord(string Serial, string? BayId, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? EndReason,
    int? BatteryPercent, int? BatteryHealthPercent, DateTimeOffset? BatteryAt, long? StorageTotal = null, long? StorageFree = null);

/// <summary>One docking's charging: the docking (bay, start, end), the first and latest sample's time and charge, when it first read full, the
/// percentage points delivered, the points and hours while below 80 % (the constant-current phase: their ratio is the charge rate), a charge
/// fault, and the camera's own health figure and cycle count at the latest sample.</summary>
public sealed record ChargeSessionRecord(long SessionId, string Serial, string BayId, DateTimeOffset DockedAt, DateTimeOffset? LeftAt, DateTimeOffset FirstAt,
    DateTimeOffset LastAt, int StartPercent, int LastPercent, DateTimeOffset? FullAt, double Delivered, double ConstantCurrentPoints,
    double ConstantCurrentHours, bool Fault, int HealthPercent, int CycleCount)
{
    /// <summary>Percentage points per hour below 80 %; null when too little of the docking was below 80 % to tell (under 10 points).</summary>
    public double? ChargeRate => ConstantCurrentPoints >= 10 && ConstantCurrentHours > 0 ? ConstantCurrentPoints / ConstantCurrentHours : null;

    /// <summary>From docking to the first full reading; null when it never read full.</summary>
    public TimeSpan? TimeToFull => FullAt is { } full ? full - DockedAt : null;
}

public sealed record BatterySampleRecord(long SessionId, string RecorderSerial, DateTimeOffset At, int Percent, int Millivolts,
    ChargeState State, int TemperatureDeciC, int CycleCount, int HealthPercent);

/// <summary>Which clips a search returns (every field optional). <paramref name="Levels"/>: only clips of these sensitivity levels (the
/// searcher's clearance, Retrieval/Sensitivity); null: every level.</summary>
public sealed record ClipFilter(string? Serial = null, ClipState? State = null, string? OfficerId = null, DateTimeOffset? From = null, DateTimeOffset? To = null,
    CloudState? Cloud = null, IReadOnlyCollection<string>? Levels = null);

/// <summary>Where a clip is on its way to the cloud: not queued (no cloud target, or not yet verified locally), or its upload's state.</summary>
public enum CloudState
{
    None,
    Queued,
    Uploading,
    Uploaded,
    Verified,
}

/// <summary>One page of a search, and how many match in all.</summary>
public sealed record Paged<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);

public enum UploadState
{
    Queued,
    Uploading,
    Uploaded,
    Verified,
}

/// <summary>One row of the upload queue: a verified clip on its way to the cloud target. <see cref="UpdatedAt"/> is its last change: once
/// Verified, when the cloud copy was verified.</summary>
public sealed record UploadRecord(long Id, long ClipRow, string Target, string ObjectKey, int Priority, UploadState State, string? UploadId,
    long? PartSize, int Attempts, DateTimeOffset NextAttemptAt, string? LastError, DateTimeOffset QueuedAt, DateTimeOffset? UpdatedAt = null);

/// <summary>An enrolment request that cannot be honoured: a conflicting or revoked key, a bad enrolment file.</summary>
public sealed class EnrolmentException(string message) : Exception(message);
