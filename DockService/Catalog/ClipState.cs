namespace Dock.Service.Catalog;

/// <summary>
/// A clip's life in the dock. Transitions only go forward, except that a failed whole-clip hash
/// sends it back to Announced (its bad copy kept in quarantine) until MaxPullAttempts, after which
/// it stays Quarantined: never marked done, never released.
/// </summary>
public enum ClipState
{
    /// <summary>Listed by the recorder; nothing pulled yet.</summary>
    Announced,
    /// <summary>Bytes are arriving in the vault's partial folder; PulledBytes are durable.</summary>
    Pulling,
    /// <summary>In the vault under its final name; the SHA-256 computed while streaming matched the recorder's.</summary>
    Stored,
    /// <summary>The stored copy was re-read from disk and its SHA-256 matched again.</summary>
    Verified,
    /// <summary>Gone from the recorder after the dock asked for its deletion (the recorder said it deleted it, or a later
    /// listing no longer held it). A recorder that acknowledges a release but keeps the clip leaves it Verified.</summary>
    Released,
    /// <summary>Repeated hash mismatches: kept for investigation, never released.</summary>
    Quarantined,
}

public static class ClipStates
{
    public static string ToDb(this ClipState state) => state.ToString().ToLowerInvariant();

    public static ClipState FromDb(string value) => Enum.Parse<ClipState>(value, ignoreCase: true);

    /// <summary>True when the vault holds the clip: no need to pull it again.</summary>
    public static bool IsHeld(this ClipState state) => state is ClipState.Stored or ClipState.Verified or ClipState.Released;
}
