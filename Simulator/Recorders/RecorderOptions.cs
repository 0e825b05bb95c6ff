namespace Dock.Simulator.Recorders;

/// <summary>How a simulated recorder is made. Everything derives deterministically from <see cref="Seed"/>.</summary>
public sealed record RecorderOptions
{
    public required string Serial { get; init; }
    public string OfficerId { get; init; } = "";
    public string Model { get; init; } = "DSJ-SIM1";
    public string Firmware { get; init; } = "1.0.0-sim";
    public ulong Seed { get; init; } = 1;
    public int ClipCount { get; init; } = 4;

    /// <summary>Clip sizes are drawn uniformly from [MinClipSize, MaxClipSize].</summary>
    public long MinClipSize { get; init; } = 8 * 1024 * 1024;
    public long MaxClipSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>When set, each file in this folder becomes a clip instead of synthetic bytes.</summary>
    public string? ClipFolder { get; init; }

    public long StorageBytes { get; init; } = 32L * 1024 * 1024 * 1024;

    /// <summary>Recorder → dock bandwidth in MB/s (USB 2.0 ≈ 40); null for unthrottled.</summary>
    public double? ThrottleMBps { get; init; }

    /// <summary>Whether the recorder signs each clip when it finishes it (capability bit 0). Older
    /// models do not; the dock then records the clip as unsigned.</summary>
    public bool SignsClips { get; init; } = true;

    /// <summary>Sign clips with the v1.1 record-time signature (every listed field and the officer; capability bit 2), as current
    /// firmware does; false: the v1 signature of older firmware.</summary>
    public bool SignsV11 { get; init; } = true;

    /// <summary>Whether the camera keeps a GPS track, event markers and an importance flag beside each clip and hands them over with
    /// GET_CLIP_META (capability bit 3, DockLink v1.2); false: older firmware without them.</summary>
    public bool ClipMetadata { get; init; } = true;

    /// <summary>Whether the dock may bind it to an officer at checkout (DockLink v1.3 SET_OFFICER, capability bit 4).</summary>
    public bool AcceptsOfficer { get; init; } = true;

    /// <summary>With <see cref="SignsV11"/>: sign each clip with the v1.5 record-time signature, which also covers the recorder profile it was
    /// recorded under (capability bit 7), as firmware that takes profiles from the dock does.</summary>
    public bool SignsV15 { get; init; } = true;

    /// <summary>Whether the dock sets its recorder profile (DockLink v1.4 GET_CONFIG / PUT_CONFIG, capability bit 5).</summary>
    public bool Configurable { get; init; } = true;

    /// <summary>Whether it takes firmware from the dock into A/B slots (DockLink v1.5, capability bit 6).</summary>
    public bool TakesFirmware { get; init; } = true;

    /// <summary>The size of one firmware slot: a larger image is refused (TOO_LARGE).</summary>
    public long FirmwareSlotBytes { get; init; } = 64L << 20;

    /// <summary>The authentication methods offered in HELLO_ACK (docklink-v1.md §5.2 bits): both by default, as v1.1 firmware;
    /// 1 only as v1 firmware; 2 only as a recorder whose agency has retired the endorsements that never expire.</summary>
    public byte AuthMethods { get; init; } = DeviceProtocol.Messages.AuthMethods.Ed25519Endorsed | DeviceProtocol.Messages.AuthMethods.Ed25519EndorsedExpiring;

    public double FullChargeHours { get; init; } = 3;

    /// <summary>The battery's health (capacity left, %); null: drawn from the seed (80–100).</summary>
    public byte? BatteryHealthPercent { get; init; }

    /// <summary>How the pack ages and fails (null: healthy).</summary>
    public BatteryAgeing? BatteryAgeing { get; init; }

    /// <summary>The pack's cycles so far (null: drawn, 0–499).</summary>
    public ushort? BatteryCycles { get; init; }

    /// <summary>How far its clock is off when it docks; null: drawn from the seed (±90 s).</summary>
    public TimeSpan? ClockOffset { get; init; }

    /// <summary>Fault injection at record time: the first N clips carry a wrong record-time SHA-256.</summary>
    public int BadHashClips { get; init; }

    /// <summary>Fault injection at record time: the first N clips carry a damaged record-time signature.</summary>
    public int BadSignatureClips { get; init; }

    /// <summary>Keep SERIAL.json (the clips it holds) and releases.jsonl here, for an outside observer; null: none.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Raw public keys of the agencies whose dock endorsements this recorder accepts.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> TrustedAgencyKeys { get; init; } = [];
}
