namespace Dock.Evidence;

/// <summary>Names the evidence formats share with the dock (clip-manifest-v1.md, custody-log-v1.md): one definition each.</summary>
public static class ClipIds
{
    /// <summary>The id the recorder knows a catalogued clip by: its catalog id up to the generation mark ("ID~2" is the second
    /// footage under "ID"; '~' never occurs in a DockLink identifier, so the two never mix).</summary>
    public static string DeviceClipId(string catalogClipId) => catalogClipId.IndexOf('~') is var at and >= 0 ? catalogClipId[..at] : catalogClipId;

    /// <summary>The custody log's origin line (checkpoint line 1, and the signed note's key name) for a dock.</summary>
    public static string LogOrigin(string dockId) => $"dock/{dockId}";
}
