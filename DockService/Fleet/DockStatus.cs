using System.Text;
using System.Text.Json;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;

namespace Dock.Service.Fleet;

/// <summary>Where a dock stands with the bundle the pointer names.</summary>
public static class TargetStates
{
    public const string Applied = "applied";
    /// <summary>In the rollout's current cohort, not applied yet (it will at its next look).</summary>
    public const string Pending = "pending";
    /// <summary>Not in the cohorts the rollout has reached: keeps what it runs.</summary>
    public const string Waiting = "not-in-cohort";
    /// <summary>Refused the bundle, or could not apply it (the reason says which).</summary>
    public const string Failed = "failed";
}

public sealed record StatusBundle(long Version, string Sha256, DateTimeOffset AppliedAt, string Source);
public sealed record StatusTarget(long Version, int Step, string State, string? Reason);
/// <summary>A recorder the dock has seen: its configuration as it last said (hash, bundle version; null: never asked), and whether that is not
/// the applied bundle's profile for its model (stale: not ready for checkout).</summary>
/// <summary>A recorder as its dock last saw it: its firmware version (INFO), the SHA-256 of the image it runs and where its update stands
/// (current, waiting, sending, installed, trial, confirmed, unhealthy, rolled-back, refused; docklink-v1.md §5.17), its profile.</summary>
public sealed record StatusRecorder(string Serial, string Model, string Firmware, DateTimeOffset LastSeen, string? ConfigSha256 = null, long? ConfigVersion = null,
    bool Stale = false)
{
    public string? FirmwareSha256 { get; init; }
    public string? FirmwareState { get; init; }
}
public sealed record StatusAlert(string Kind, string? Recorder, string Message, DateTimeOffset Since);
public sealed record StatusCheckpoint(long Size, string Note);
public sealed record StatusEndorsement(string AgencyKey, long NotAfterMs, string Signature);

/// <summary>
/// A dock's status object (PREFIX/fleet/docks/DOCKID/status.json, fleet-bundle-v1.md §5.3): the bundle it runs, where it stands with the
/// one the pointer names, the recorders it has seen with their configuration and firmware, its open alerts, its last signed checkpoint,
/// settings its own configuration overrides, and its endorsement. A C2SP signed note by the dock key (the purpose line, then the JSON),
/// so the fleet view can tell a dock's own word from an object anyone with write access could have put there.
/// </summary>
public sealed record DockStatus(string DockId, string DockKey, string? Site, DateTimeOffset At, double StatusIntervalSeconds, StatusBundle? Bundle,
    StatusTarget? Target, List<StatusRecorder> Recorders, List<StatusAlert> Alerts, StatusCheckpoint? Checkpoint, List<string> Overrides,
    StatusEndorsement? Endorsement)
{
    public const string PurposeLine = "dock-fleet-status/v1";
    public const int MaxRecorders = 500;
    public const int MaxAlerts = 50;

    private static readonly JsonSerializerOptions Json = new(FleetBundle.Written) { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The signed note: key name = the dock id.</summary>
    public string Sign(Func<byte[], byte[]> sign) =>
        SignedNote.Sign(PurposeLine + "\n" + JsonSerializer.Serialize(this with
        {
            Recorders = [.. Recorders.Take(MaxRecorders)],
            Alerts = [.. Alerts.Take(MaxAlerts)],
        }, Json) + "\n", DockId, Convert.FromHexString(DockKey), sign);

    /// <summary>Opens a status object: its JSON, then its signature by the key it names. With <paramref name="agencyKey"/>, the dock's
    /// endorsement must also verify under that key (a status written by a dock the agency never endorsed is refused).</summary>
    public static bool TryOpen(byte[] content, byte[]? agencyKey, out DockStatus status, out string error)
    {
        status = null!;
        if (!StrictUtf8.TryDecode(content, out var note))
        {
            error = "not UTF-8";
            return false;
        }
        int split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (!note.StartsWith(PurposeLine + "\n", StringComparison.Ordinal) || split < 0) { error = "not a signed dock status"; return false; }
        try
        {
            status = JsonSerializer.Deserialize<DockStatus>(note[(PurposeLine.Length + 1)..(split + 1)], Json)!;
        }
        catch (JsonException ex)
        {
            error = $"its JSON does not read ({ex.Message})";
            return false;
        }
        if (status is null || !Hex.TryParse(status.DockKey, 32, out var dockKey) || !FleetNames.IsValid(status.DockId))
        {
            error = "no dock id or dock key";
            return false;
        }
        if (!SignedNote.TryOpen(note, status.DockId, dockKey, out _, out error, FleetStore.MaxStatusBytes))
        {
            error = $"its signature does not verify: {error}";
            return false;
        }
        if (agencyKey is not null)
        {
            var e = status.Endorsement;
            if (e is null || !Hex.TryParse(e.AgencyKey, 32, out var named) || !named.AsSpan().SequenceEqual(agencyKey) || !Hex.TryParse(e.Signature, 64, out var signature)
                || !Ed25519Key.Verify(agencyKey, AuthTranscript.EndorsementMessageV11(status.DockId, dockKey,
                    new EndorsementTerms(AuthTranscript.AgencyKeyId(agencyKey), e.NotAfterMs)), signature))
            {
                error = "the dock is not endorsed by the trusted agency key";
                return false;
            }
        }
        status = status with { Recorders = status.Recorders ?? [], Alerts = status.Alerts ?? [], Overrides = status.Overrides ?? [] };
        error = "";
        return true;
    }
}
