using Dock.Service.Catalog;

namespace Dock.Service.Reports;

public sealed record ClipStatus(string RecorderSerial, string ClipId, long Size, string Sha256, ClipState State, string OfficerId,
    string Flags, DateTimeOffset DeviceStart, long PulledBytes, int Attempts, string? VaultPath, bool HashVerified, string? LastError,
    ClipHold? Hold, bool RecorderSigned, string? Cloud, string? CloudError, DateTimeOffset? ReleaseRequestedAt, DateTimeOffset? LeftRecorderAt);

public sealed record RecorderStatus(string Serial, string Model, string Firmware, string OfficerId, string? KeyFingerprint,
    DateTimeOffset LastSeen, int? LastBatteryPercent, long? LastClockOffsetMs);

public sealed record Totals(int Clips, long Bytes, IReadOnlyDictionary<string, int> ByState, int HashVerified, int Sessions, int BatterySamples);

public sealed record StatusReport(string DataDirectory, Totals Totals, IReadOnlyList<RecorderStatus> Recorders, IReadOnlyList<ClipStatus> Clips,
    IReadOnlyList<AlertRecord> Alerts);

/// <summary>The dock's status as one report (`dock status`, the demo's summary): built here, rendered by each face.</summary>
public static class StatusReports
{
    public static async Task<StatusReport> BuildAsync(CatalogStores catalog, string dataDirectory, CancellationToken cancellationToken)
    {
        var clips = await catalog.Clips.ListClipsAsync(null, cancellationToken);
        var uploads = (await catalog.Uploads.ListUploadsAsync(cancellationToken)).ToDictionary(u => u.ClipRow);
        var sessions = await catalog.Docking.ListSessionsAsync(cancellationToken);
        var battery = await catalog.Docking.ListBatterySamplesAsync(cancellationToken);
        var recorders = (await catalog.Recorders.ListRecordersAsync(cancellationToken)).Select(r => new RecorderStatus(
            r.Serial, r.Model, r.Firmware, r.OfficerId, r.KeyFingerprint, r.LastSeen,
            battery.LastOrDefault(b => b.RecorderSerial == r.Serial)?.Percent,
            sessions.LastOrDefault(s => s.RecorderSerial == r.Serial && s.ClockOffsetMs is not null)?.ClockOffsetMs)).ToList();
        var clipStatus = clips.Select(c => new ClipStatus(c.RecorderSerial, c.ClipId, c.Size, c.DeviceSha256, c.State, c.OfficerId,
            c.Flags.ToString(), c.DeviceStart, c.PulledBytes, c.Attempts, c.VaultPath,
            c.State is ClipState.Verified or ClipState.Released && c.StoredSha256 == c.DeviceSha256, c.LastError,
            c.Hold, !string.IsNullOrEmpty(c.RecorderSignature),
            uploads.TryGetValue(c.Id, out var u) ? (u.State == UploadState.Verified ? "cloud-verified" : u.State.ToString().ToLowerInvariant()) : null,
            uploads.TryGetValue(c.Id, out var pending) && pending.State != UploadState.Verified ? pending.LastError : null,
            c.ReleaseRequestedAt, c.LeftRecorderAt)).ToList();
        var byState = Enum.GetValues<ClipState>().ToDictionary(s => s.ToDb(), s => clips.Count(c => c.State == s));
        var totals = new Totals(clips.Count, clips.Sum(c => c.Size), byState, clipStatus.Count(c => c.HashVerified), sessions.Count, battery.Count);
        return new StatusReport(dataDirectory, totals, recorders, clipStatus, await catalog.Alerts.ListAlertsAsync(cancellationToken));
    }
}
