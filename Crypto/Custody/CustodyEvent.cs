using System.Globalization;
using System.Text;
using Dock.Crypto.Transparency;

namespace Dock.Crypto.Custody;

/// <summary>What happened to a clip or a device (REQUIREMENTS R3, R5). Wire names are the lowercase forms.</summary>
public enum CustodyEventKind
{
    Acquired,
    HashVerified,
    SignatureVerified,
    Stored,
    /// <summary>The clip is gone from its recorder after the dock asked for its deletion (detail: how the dock learnt it).</summary>
    Released,
    MetadataChanged,
    Viewed,
    Exported,
    Purged,
    /// <summary>A whole copy kept in quarantine, never released: hash mismatch, untrusted recorder, bad record-time signature.</summary>
    Quarantined,
    /// <summary>A recorder key was added to the enrolment list (detail: fingerprint, source).</summary>
    RecorderEnrolled,
    /// <summary>A recorder key was revoked or replaced (detail: fingerprint, reason).</summary>
    RecorderRevoked,
    /// <summary>The dock's own key was replaced (detail: old and new fingerprints). Later checkpoints use the new key.</summary>
    DockKeyRotated,
    /// <summary>The clip joined the upload queue (detail: target and object key).</summary>
    Queued,
    /// <summary>An upload attempt started or resumed (detail: parts already held by the store).</summary>
    Uploading,
    /// <summary>The store accepted the whole object.</summary>
    Uploaded,
    /// <summary>The dock checked the store's copy against the clip's SHA-256 (detail: how).</summary>
    CloudVerified,
    /// <summary>An officer was written to a recorder (detail: officer, unit, the previous officer, the channel).</summary>
    RecorderAssigned,
    /// <summary>The dock is about to tell the recorder it may delete the clip (written before RELEASE_CLIP is sent;
    /// settled by <see cref="Released"/> once the clip is known to be gone).</summary>
    ReleaseRequested,
    /// <summary>A copy the dock relied on is gone and the dock never allowed its deletion: a clip no longer on its
    /// recorder, or a vault copy deleted outside the dock (detail: which copy, and what the dock still holds).</summary>
    Missing,
    /// <summary>A person acknowledged an alert (detail: the alert, and the reason they gave). The actor is that person.</summary>
    AlertAcknowledged,
    /// <summary>A person's account changed: added, roles, disabled or enabled, password or PIN reset, badge, a token issued (detail: the
    /// account and old → new; never a secret). The actor is the person who changed it.</summary>
    UserChanged,
    /// <summary>A legal hold was placed on a clip, or on every clip of a case number (detail: hold id, what it covers, the reason). Nothing it
    /// covers is purged while it stands.</summary>
    HoldPlaced,
    /// <summary>A legal hold was lifted (detail: hold id, what it covered, the reason). The actor is the person, who holds a role that may lift it.</summary>
    HoldLifted,
    /// <summary>The equipment registry changed: a unit, an officer or a recorder added or changed (detail: which, and each field old → new).
    /// The actor is the person.</summary>
    RegistryChanged,
    /// <summary>An officer took a camera (detail: officer, unit, mode, bay, who they accompany; the officer written to the camera). The actor
    /// is the officer at the kiosk, or the person through the API.</summary>
    CheckedOut,
    /// <summary>A checked-out camera came back: it docked (the actor is the dock), or a person closed the checkout (detail: how, and why).</summary>
    CheckedIn,
    /// <summary>A checkout was refused (detail: the officer and the reason): an expired certificate, auxiliary staff alone, a second camera,
    /// no ready camera, the unit's minimum. The actor is the officer who asked.</summary>
    CheckoutRefused,
    /// <summary>A clip's sensitivity (R6) was set, raised or lowered (detail: level OLD -> NEW, and the reason; lowering names a supervisor).
    /// The actor is the person.</summary>
    SensitivityChanged,
    /// <summary>A fleet bundle (hardware-specs/fleet-bundle-v1.md) was applied: sha256 is the SHA-256 of its signed text, size its length,
    /// detail its version, where it came from, the key that signed it and the version before. The actor is the person (`dock fleet apply`)
    /// or the dock (fetched from the object store).</summary>
    ConfigurationApplied,
    /// <summary>A recorder profile from the applied fleet bundle was written to a recorder and read back (DockLink v1.4 PUT_CONFIG): recorder,
    /// sha256 = the profile's SHA-256, detail = model, bundle version, the hash it ran before. The actor is the dock.</summary>
    RecorderConfigured,
    /// <summary>A firmware image from the applied fleet bundle was sent to a recorder, which verified it and installed it in its other slot
    /// (DockLink v1.5 FW_INSTALL): recorder, sha256 = the image's SHA-256, size = its length, detail = model, version, slot, bundle version,
    /// the bytes sent and where the transfer resumed. The recorder now boots it on trial. The actor is the dock.</summary>
    FirmwareInstalled,
    /// <summary>The trial image passed the dock's health check at the handshake after its boot and was confirmed (FW_CONFIRM): it is the
    /// recorder's firmware from now on. sha256 = the image's; detail = model, version, slot, the version before.</summary>
    FirmwareConfirmed,
    /// <summary>A firmware image installed on a recorder is not running: it did not boot, or was not confirmed, and the recorder went back to its
    /// other slot (detail: which, the version it runs). sha256 = the image that failed. The dock does not send it again.</summary>
    FirmwareRolledBack,
}

/// <summary>
/// One custody log entry, with an exact byte form (hardware-specs/custody-log-v1.md): UTF-8 lines
/// "key: value\n" in a fixed order, optional lines omitted, no other whitespace. The bytes are the
/// Merkle leaf (RFC 6962 leaf hash = SHA-256(0x00 ‖ bytes)), so anyone can recompute the tree from them.
/// </summary>
public sealed record CustodyEvent(
    long Index,
    CustodyEventKind Kind,
    DateTimeOffset At,
    string DockId,
    string Actor,
    string? RecorderSerial = null,
    string? ClipId = null,
    string? Sha256 = null,
    long? Size = null,
    long? ClockOffsetMs = null,
    string? Detail = null)
{
    public const string Header = "dock-custody/v1";
    public const int MaxDetailBytes = 1024;
    private static readonly string[] Keys = ["index", "event", "time", "dock", "actor", "recorder", "clip", "sha256", "size", "clock-offset-ms", "detail"];

    /// <summary>A detail cut to fit <see cref="MaxDetailBytes"/> of UTF-8, ending in "…" when cut; never inside a character (a surrogate pair
    /// stays whole). Details name things a recorder or a roster chose, bounded but sometimes long.</summary>
    public static string FitDetail(string detail)
    {
        if (Encoding.UTF8.GetByteCount(detail) <= MaxDetailBytes) return detail;
        int budget = MaxDetailBytes - 3, bytes = 0, end = 0; // "…" takes 3 bytes
        while (end < detail.Length)
        {
            int length = char.IsSurrogatePair(detail, end) ? 2 : 1;
            int size = Encoding.UTF8.GetByteCount(detail.AsSpan(end, length));
            if (bytes + size > budget) break;
            bytes += size;
            end += length;
        }
        return detail[..end] + "…";
    }

    /// <summary>The wire name: the kind in lowercase words joined by '-', e.g. "hash-verified".</summary>
    public static string KindName(CustodyEventKind kind)
    {
        var name = kind.ToString();
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    public byte[] ToBytes()
    {
        var text = new StringBuilder(Header).Append('\n');
        void Line(string key, string? value)
        {
            if (value is null) return;
            if (value.Any(char.IsControl)) throw new ArgumentException($"Custody field '{key}' contains a control character.");
            text.Append(key).Append(": ").Append(value).Append('\n');
        }
        Line("index", Index.ToString(CultureInfo.InvariantCulture));
        Line("event", KindName(Kind));
        Line("time", At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        Line("dock", DockId);
        Line("actor", Actor);
        Line("recorder", RecorderSerial);
        Line("clip", ClipId);
        Line("sha256", Sha256);
        Line("size", Size?.ToString(CultureInfo.InvariantCulture));
        Line("clock-offset-ms", ClockOffsetMs?.ToString(CultureInfo.InvariantCulture));
        if (Detail is not null && Encoding.UTF8.GetByteCount(Detail) > MaxDetailBytes)
            throw new ArgumentException($"Custody detail is above {MaxDetailBytes} bytes.");
        Line("detail", Detail);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Parses the exact byte form; anything else (reordered, extra spaces, unknown keys) is rejected.</summary>
    public static bool TryParse(ReadOnlySpan<byte> bytes, out CustodyEvent custodyEvent, out string error)
    {
        custodyEvent = null!;
        if (!StrictUtf8.TryDecode(bytes, out var text))
        {
            error = "not UTF-8";
            return false;
        }
        var lines = text.Split('\n');
        if (lines.Length < 2 || lines[0] != Header || lines[^1].Length != 0) { error = $"does not start with '{Header}' or end with a newline"; return false; }
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        int lastKey = -1;
        foreach (var line in lines[1..^1])
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0) { error = $"line '{line}' is not 'key: value'"; return false; }
            var key = line[..colon];
            int position = Array.IndexOf(Keys, key);
            if (position <= lastKey) { error = $"key '{key}' is unknown, repeated or out of order"; return false; }
            lastKey = position;
            fields[key] = line[(colon + 2)..];
        }
        if (!fields.TryGetValue("index", out var index) || !long.TryParse(index, NumberStyles.None, CultureInfo.InvariantCulture, out var idx)
            || !fields.TryGetValue("event", out var kindName) || !TryKind(kindName, out var kind)
            || !fields.TryGetValue("time", out var time) || !DateTimeOffset.TryParseExact(time, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            || !fields.TryGetValue("dock", out var dock) || !fields.TryGetValue("actor", out var actor))
        {
            error = "index, event, time, dock and actor are required and must be well formed";
            return false;
        }
        long? size = fields.TryGetValue("size", out var s) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var sv) ? sv : null;
        long? offset = fields.TryGetValue("clock-offset-ms", out var o) && long.TryParse(o, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ov) ? ov : null;
        custodyEvent = new CustodyEvent(idx, kind, at, dock, actor, fields.GetValueOrDefault("recorder"), fields.GetValueOrDefault("clip"),
            fields.GetValueOrDefault("sha256"), size, offset, fields.GetValueOrDefault("detail"));
        byte[] canonical;
        try
        {
            canonical = custodyEvent.ToBytes();
        }
        catch (ArgumentException ex)
        {
            // A field the canonical form cannot hold (a control character, an oversize detail): found by fuzzing.
            custodyEvent = null!;
            error = ex.Message;
            return false;
        }
        if (!canonical.AsSpan().SequenceEqual(bytes)) { custodyEvent = null!; error = "not in canonical form"; return false; }
        error = "";
        return true;
    }

    private static bool TryKind(string name, out CustodyEventKind kind)
    {
        foreach (var candidate in Enum.GetValues<CustodyEventKind>())
        {
            if (KindName(candidate) == name)
            {
                kind = candidate;
                return true;
            }
        }
        kind = default;
        return false;
    }
}
