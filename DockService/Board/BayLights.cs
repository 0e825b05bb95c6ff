using Dock.Service.Ingest;

namespace Dock.Service.Board;

/// <summary>What a bay's light says (hardware-specs/dock-board.md §2).</summary>
public enum BayLight
{
    /// <summary>No recorder: off.</summary>
    Empty,
    /// <summary>Docked and charging, transfer not started yet: amber, steady.</summary>
    Charging,
    /// <summary>Identifying, pulling or verifying: blue, blinking 2 Hz. Do not remove.</summary>
    Transferring,
    /// <summary>Every clip is safe in the vault: green, steady. Safe to remove (it keeps charging).</summary>
    Done,
    /// <summary>Footage is safe but a person must look (held clips, untrusted recorder): amber, blinking 1 Hz.</summary>
    Attention,
    /// <summary>A clip could not be verified, or the link failed: red, blinking 4 Hz.</summary>
    Error,
    /// <summary>Checked out to the officer at the kiosk: "take this one". Cyan, blinking 3 Hz, until the camera leaves the bay.</summary>
    TakeMe,
}

[Flags]
public enum LedColor
{
    Off = 0,
    Red = 1,
    Green = 2,
    Blue = 4,
    Amber = Red | Green,
    Cyan = Green | Blue,
}

/// <summary>A colour and a blink rate (0 = steady). 50 % duty.</summary>
public sealed record LightPattern(LedColor Color, double BlinkHz)
{
    /// <summary>The colour lit at <paramref name="elapsed"/> since the pattern started.</summary>
    public LedColor At(TimeSpan elapsed) =>
        BlinkHz <= 0 || (long)(elapsed.TotalSeconds * BlinkHz * 2) % 2 == 0 ? Color : LedColor.Off;
}

public static class BayLights
{
    public static LightPattern Pattern(BayLight light) => light switch
    {
        BayLight.Empty => new(LedColor.Off, 0),
        BayLight.Charging => new(LedColor.Amber, 0),
        BayLight.Transferring => new(LedColor.Blue, 2),
        BayLight.Done => new(LedColor.Green, 0),
        BayLight.Attention => new(LedColor.Amber, 1),
        BayLight.TakeMe => new(LedColor.Cyan, 3),
        _ => new(LedColor.Red, 4),
    };

    /// <summary>The light for what the bay is doing.</summary>
    public static BayLight For(BaySnapshot bay) => bay.PickedFor is not null && bay.Phase is not BayPhase.Empty ? BayLight.TakeMe : bay.Phase switch
    {
        BayPhase.Empty => BayLight.Empty,
        BayPhase.Identifying => BayLight.Charging,
        BayPhase.Transferring or BayPhase.Verifying or BayPhase.Waiting => BayLight.Transferring,
        BayPhase.Done => BayLight.Done,
        BayPhase.Attention => BayLight.Attention,
        _ => BayLight.Error,
    };

    /// <summary>Whether the bay's charger is on: while a recorder sits in it.</summary>
    public static bool Charging(BaySnapshot bay) => bay.Phase != BayPhase.Empty;
}
