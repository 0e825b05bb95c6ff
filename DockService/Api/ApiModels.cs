using Dock.Service.Catalog;
using Dock.Service.Ingest;

namespace Dock.Service.Api;

// The API's documents: the versioned data interface (hardware-specs/openapi-v1.json). Catalog records stay internal, so a column
// added to the catalog never changes the API by accident.

public sealed record ProbeResult(bool Ok, IReadOnlyDictionary<string, string> Checks);

public sealed record LoginRequest(string? Name, string? Password);

public sealed record SignInResult(string Name, IReadOnlyList<string> Roles, string CsrfToken);

public sealed record Me(string Name, IReadOnlyList<string> Roles, string Via);

public sealed record PageOf<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total);

/// <summary>A bay now: its phase, and its light as the board shows it (hardware-specs/dock-board.md §2).</summary>
public sealed record Bay(string BayId, string Phase, string? Serial, string? ClipId, long ClipBytes, long ClipSize, int ClipsDone, int ClipsTotal,
    int? BatteryPercent, string? Message, bool Finished, string? OfficerId, string Light, long PendingBytes, string? Reason, int ReasonCount,
    string? PickedFor = null)
{
    internal static Bay From(BaySnapshot b) => new(b.BayId, b.Phase.ToString().ToLowerInvariant(), b.Serial, b.ClipId, b.ClipBytes, b.ClipSize,
        b.ClipsDone, b.ClipsTotal, b.BatteryPercent, b.Message, b.Finished, b.OfficerId, Board.BayLights.For(b).ToString().ToLowerInvariant(), b.PendingBytes,
        b.Reason, b.ReasonCount, b.PickedFor);
}

public sealed record Clip(string Serial, string ClipId, long Size, string Sha256, string State, DateTimeOffset RecordedFrom, DateTimeOffset RecordedTo,
    string Flags, string OfficerId, DateTimeOffset UpdatedAt, DateTimeOffset? VaultPurgedAt)
{
    internal static Clip From(ClipRecord c) => new(c.RecorderSerial, c.ClipId, c.Size, c.DeviceSha256, c.State.ToDb(), c.DeviceStart, c.DeviceEnd,
        c.Flags.ToString(), c.OfficerId, c.UpdatedAt, c.PurgedAt);
}

/// <summary>One clip with its whole history in the dock: every change of state with when and why (the catalog's record of its
/// lifecycle), and every custody entry that names it, as its exact text with its index (each provable with /custody).</summary>
public sealed record ClipDetail(Clip Clip, string? StoredSha256, long PulledBytes, int Attempts, string? LastError, long? StoredEntry,
    bool RecorderSigned, string? Hold, DateTimeOffset? ReleaseRequestedAt, long? ReleaseRequestEntry, DateTimeOffset? LeftRecorderAt, bool HasManifest,
    IReadOnlyList<ClipEvent> History, IReadOnlyList<Entry> Custody)
{
    internal static ClipDetail From(ClipRecord c, IReadOnlyList<(DateTimeOffset At, ClipState State, string? Detail)> history,
        IReadOnlyList<(long Index, byte[] Entry)> custody) => new(Clip.From(c),
        c.StoredSha256, c.PulledBytes, c.Attempts, c.LastError, c.CustodyIndex, c.RecorderSignature is not null, c.Hold?.ToString().ToLowerInvariant(),
        c.ReleaseRequestedAt, c.ReleaseRequestedIndex, c.LeftRecorderAt, c.ManifestPath is not null,
        [.. history.Select(h => new ClipEvent(h.At, h.State.ToDb(), h.Detail))],
        [.. custody.Select(e => new Entry(e.Index, System.Text.Encoding.UTF8.GetString(e.Entry)))]);
}

public sealed record ClipEvent(DateTimeOffset At, string State, string? Detail);

/// <summary>A verification of a clip's vault copy: the outcome (as `dock verify` names it) and each check.</summary>
public sealed record Verification(string Outcome, IReadOnlyList<VerificationStep> Steps, IReadOnlyList<string> Timeline)
{
    internal static Verification From(Evidence.VerifyReport report) => new(report.Outcome.ToString().ToLowerInvariant(),
        [.. report.Steps.Select(s => new VerificationStep(s.Name, s.Ok, s.Detail))], report.Timeline);
}

public sealed record VerificationStep(string Name, bool Ok, string Detail);

/// <summary>The clip's stored custody entry (its exact text), its index, and the RFC 6962 inclusion proof (hex hashes) in the tree of
/// the newest signed checkpoint, whose note is given whole so the caller can check its signature with the dock's key.</summary>
public sealed record Proof(long LeafIndex, long TreeSize, IReadOnlyList<string> InclusionProof, string Entry, string Checkpoint);

public sealed record Alert(long Id, string Kind, string? Serial, string? ClipId, string Message, DateTimeOffset At, DateTimeOffset LastAt, int Repeats,
    bool Open, DateTimeOffset? ResolvedAt, string? Resolution, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? Acknowledgement)
{
    internal static Alert From(AlertRecord a) => new(a.Id, a.Kind, a.RecorderSerial, a.ClipId, a.Message, a.At, a.LastAt, a.Repeats, a.IsOpen,
        a.ResolvedAt, a.Resolution, a.AcknowledgedAt, a.AcknowledgedBy, a.Acknowledgement);
}

public sealed record AcknowledgeRequest(string? Reason);

public sealed record RecorderKey(string Serial, string? PublicKey, string Fingerprint, DateTimeOffset EnrolledAt, string Source, DateTimeOffset? RevokedAt,
    string? RevokeReason)
{
    internal static RecorderKey From(RecorderKeyRecord k) => new(k.Serial, k.PublicKey.Length == 0 ? null : Convert.ToHexStringLower(k.PublicKey),
        k.Fingerprint, k.EnrolledAt, k.Source, k.RevokedAt, k.RevokeReason);
}

public sealed record EnrolRequest(string? Serial, string? PublicKey, bool Replace = false);

public sealed record RevokeRequest(string? Reason);

public sealed record SignedCheckpoint(long Size, string Note);

public sealed record Entry(long Index, string Text);

public sealed record ConsistencyProof(long From, long To, IReadOnlyList<string> Proof);

/// <summary>A person's account as an administrator sees it (never a password, PIN or token hash).</summary>
public sealed record User(string Name, IReadOnlyList<string> Roles, string? Badge, bool HasPin, bool Disabled, DateTimeOffset? LockedUntil,
    string? Language, DateTimeOffset CreatedAt)
{
    internal static User From(Users.UserRecord u) => new(u.Name, u.Roles, u.Badge, u.HasPin, u.Disabled, u.LockedUntil, u.Language, u.CreatedAt);
}

public sealed record NewUserRequest(string? Name, string? Password, IReadOnlyList<string>? Roles, string? Badge);

public sealed record RolesRequest(IReadOnlyList<string>? Roles);

public sealed record BadgeRequest(string? Badge);

/// <summary>A PIN to set; none: the dock draws one.</summary>
public sealed record PinRequest(string? Pin);

/// <summary>The PIN now set, shown this once.</summary>
public sealed record PinResult(string Pin);

public sealed record PasswordRequest(string? Password);

/// <summary>A language of the pages (en, zh-CN), or null to follow the browser.</summary>
public sealed record LanguageRequest(string? Language);

public sealed record KioskSignInRequest(string? Badge, string? Pin);

/// <summary>What an officer signed in at the kiosk sees: their cameras (and the bay each is in) and their newest footage.</summary>
/// <paramref name="OverdueClips"/>: their clips still missing a required tag past Dock:Metadata:MissingTagAlertAfter (R10).
public sealed record KioskView(string Name, string Badge, IReadOnlyList<KioskRecorder> Recorders, IReadOnlyList<KioskClip> Clips,
    IReadOnlyList<Category> Categories, int OverdueClips);

/// <summary>One of the officer's cameras: where it is, its last docking and battery, and, when they hold it on a checkout, when it is due back.</summary>
public sealed record KioskRecorder(string Serial, string Model, Bay? Bay, DateTimeOffset? LastDockedAt, int? BatteryPercent, DateTimeOffset? DueAt = null);

/// <summary>One clip of the officer's: <paramref name="ThisDocking"/> when it came off the camera at its latest docking; the tags the
/// officer fills at the kiosk, and the required ones still missing.</summary>
public sealed record KioskClip(string Serial, string ClipId, DateTimeOffset RecordedFrom, DateTimeOffset RecordedTo, long Size, string State, bool ThisDocking,
    string? CaseNumber = null, string? Purpose = null, string? Category = null, IReadOnlyList<string>? Missing = null);

/// <summary>A custody log export checked against this dock's keys: the outcome (as `dock log verify` names it), the sizes, each check.</summary>
public sealed record LogVerification(string Outcome, long Entries, int Checkpoints, long CommittedEntries, IReadOnlyList<VerificationStep> Steps);

/// <summary>One tag: its value, where it came from (recorder, dock, officer, console, api, cli), who set it and when; derived values are
/// the dock's own facts that nobody has set.</summary>
public sealed record TagView(string Value, string Source, string SetBy, DateTimeOffset SetAt, bool Derived);

/// <summary>A clip's tags by field name (case-number, capture-time, capture-place, collector, purpose, category, important, notes), and
/// the required ones still missing.</summary>
public sealed record ClipMetadata(string Serial, string ClipId, IReadOnlyDictionary<string, TagView> Fields, IReadOnlyList<string> Missing,
    RecorderDataView? Recorder)
{
    internal static ClipMetadata From(ClipRecord clip, Metadata.ClipTags tags) => new(clip.RecorderSerial, clip.ClipId,
        tags.Values.OrderBy(v => v.Key).ToDictionary(v => Metadata.Tags.Name(v.Key),
            v => new TagView(v.Value.Value, Metadata.Tags.Name(v.Value.Source), v.Value.SetBy, v.Value.SetAt, !v.Value.Stored)),
        [.. tags.Missing.Select(Metadata.Tags.Name)], tags.Recorder is { } r ? RecorderDataView.From(r) : null);
}

/// <summary>What the camera kept beside the clip: its importance flag, GPS track (camera clock, WGS-84) and event markers
/// (docklink-v1.md §5.14), as the dock received them; <c>dropped</c> counts what lay outside the recording and was left out.</summary>
public sealed record RecorderDataView(DateTimeOffset ReceivedAt, bool Important, IReadOnlyList<TrackFix> Track, IReadOnlyList<MarkerView> Markers, int Dropped)
{
    internal static RecorderDataView From(Metadata.RecorderData r) => new(r.ReceivedAt, r.Important,
        [.. r.Track.Select(p => new TrackFix(DateTimeOffset.FromUnixTimeMilliseconds(p.TimeMs), p.Latitude, p.Longitude, p.AccuracyDm > 0 ? p.AccuracyDm / 10.0 : null))],
        [.. r.Markers.Select(m => new MarkerView(DateTimeOffset.FromUnixTimeMilliseconds(m.TimeMs), Metadata.MetadataSidecar.MarkerName(m.Kind), m.Label))], r.Dropped);
}

public sealed record TrackFix(DateTimeOffset Time, double Lat, double Lon, double? AccuracyM);

public sealed record MarkerView(DateTimeOffset Time, string Kind, string Label);

/// <summary>Tags to set: a field left out (null) is left alone, an empty string clears what was set. A reason goes into each custody entry.</summary>
public sealed record TagRequest(string? CaseNumber, string? CaptureTime, string? CapturePlace, string? Collector, string? Purpose, string? Category,
    bool? Important, string? Notes, string? Reason)
{
    internal Dictionary<Metadata.TagField, string?> Changes()
    {
        var changes = new Dictionary<Metadata.TagField, string?>();
        void Put(Metadata.TagField field, string? value) { if (value is not null) changes[field] = value; }
        Put(Metadata.TagField.CaseNumber, CaseNumber);
        Put(Metadata.TagField.CaptureTime, CaptureTime);
        Put(Metadata.TagField.CapturePlace, CapturePlace);
        Put(Metadata.TagField.Collector, Collector);
        Put(Metadata.TagField.Purpose, Purpose);
        Put(Metadata.TagField.Category, Category);
        Put(Metadata.TagField.Important, Important is { } flag ? (flag ? "true" : "false") : null);
        Put(Metadata.TagField.Notes, Notes);
        return changes;
    }
}

public sealed record ClipRef(string? Serial, string? ClipId);

/// <summary>An officer at the kiosk tagging their own footage, one clip or several at once.</summary>
public sealed record KioskTagRequest(IReadOnlyList<ClipRef>? Clips, string? CaseNumber, string? Purpose, string? Category, string? Sensitivity = null);

public sealed record Category(string Id, string Name, string NameZh, double RetentionDays);

/// <summary>A legal hold: on one clip (serial and clip id), or on a case (every clip tagged with its case number). Its id is the index of
/// the custody entry that placed it.</summary>
public sealed record Hold(long Id, string? Serial, string? ClipId, string? CaseNumber, string Reason, string PlacedBy, DateTimeOffset PlacedAt,
    bool Active, string? LiftedBy, DateTimeOffset? LiftedAt, string? LiftReason, long? LiftedEntry)
{
    internal static Hold From(Retention.LegalHold h) => new(h.Id, h.Serial, h.ClipId, h.CaseNumber, h.Reason, h.PlacedBy, h.PlacedAt, h.Active,
        h.LiftedBy, h.LiftedAt, h.LiftReason, h.LiftedIndex);
}

/// <summary>Place a hold on a clip (serial and clipId) or on a case (caseNumber), with a reason.</summary>
public sealed record HoldRequest(string? Serial, string? ClipId, string? CaseNumber, string? Reason);

public sealed record LiftRequest(string? Reason);

/// <summary>A clip's retention: its categories, how long the vault keeps it after its cloud copy is verified and which category decided
/// that, when it is due, the holds that keep it, and whether its vault copy was purged (and by which custody entry).</summary>
public sealed record ClipRetention(IReadOnlyList<string> Categories, double KeptForDays, string? DecidedBy, DateTimeOffset? CloudVerifiedAt,
    DateTimeOffset? Due, IReadOnlyList<Hold> Holds, DateTimeOffset? PurgedAt, long? PurgedEntry, string Verdict)
{
    internal static ClipRetention From(Retention.RetentionStatus s) => new(s.Categories, s.KeptFor.TotalDays, s.DecidedBy, s.CloudVerifiedAt,
        s.Due == DateTimeOffset.MaxValue ? null : s.Due, [.. s.Holds.Select(Hold.From)], s.PurgedAt, s.PurgedIndex, s.Verdict);
}

/// <summary>Why a clip is retrieved: <c>kind</c> is view, download or metadata; <c>purpose</c> one of Dock:Retrieval:Purposes; then a case number or text.</summary>
public sealed record RetrievalRequest(string? Kind, string? Purpose, string? CaseNumber, string? Text);

/// <summary>A granted retrieval: the token for …/content (and, for a sensitive clip, its other endpoints), and the custody entry that records it.</summary>
public sealed record RetrievalGranted(string Token, string Kind, long Entry, string Serial, string ClipId, string Sensitivity, string Reason);

public sealed record SensitivityRequest(string? Level, string? Reason);

public sealed record SensitivityView(string Level, string? SetBy, DateTimeOffset? SetAt, string? Reason, long? Entry)
{
    internal static SensitivityView From(Retrieval.SensitivityMark? mark) => mark is null
        ? new(Retrieval.SensitivityLevels.Name(Retrieval.SensitivityLevel.None), null, null, null, null)
        : new(Retrieval.SensitivityLevels.Name(mark.Level), mark.SetBy, mark.SetAt, mark.Reason, mark.Index);
}

/// <summary>One retrieval in the audit; <c>ranges</c> are the byte ranges served ("0-1048575,…"), <c>entry</c> and <c>closedEntry</c> its custody entries.</summary>
public sealed record AuditRow(long Id, DateTimeOffset At, string User, string Kind, string? Serial, string? ClipId, string Purpose, string Reason, string? ClipUnit,
    string? UserUnit, long Bytes, string Ranges, long? Entry, long? ClosedEntry, DateTimeOffset? ClosedAt)
{
    internal static AuditRow From(Retrieval.RetrievalRecord r) => new(r.Id, r.At, r.User, r.Kind.ToString().ToLowerInvariant(), r.Serial, r.ClipId, r.Purpose,
        r.Reason, r.ClipUnit, r.UserUnit, r.Bytes, r.Ranges, r.OpenIndex, r.CloseIndex, r.ClosedAt);
}

public sealed record CaseExportRequest(string? Reason);
