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
    string? ManifestPath = null);

public sealed record RecorderRecord(string Serial, string Model, string Firmware, string OfficerId, string? KeyFingerprint,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

public sealed record DockingSessionRecord(long Id, string BayId, string RecorderSerial, DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt, long? ClockOffsetMs, string? EndReason);

public sealed record BatterySampleRecord(long SessionId, string RecorderSerial, DateTimeOffset At, int Percent, int Millivolts,
    ChargeState State, int TemperatureDeciC, int CycleCount, int HealthPercent);
