using System.Net;
using Dock.DeviceProtocol.Session;
using Dock.Simulator.Recorders;

namespace Dock.Simulator.Hosting;

/// <summary>How the recorders of a fleet are reached.</summary>
public enum SimulatedTransport
{
    Tcp,
    Serial,
    /// <summary>Not DockLink: GA/T 947.4-style recorders, a disk plus a command channel (MassStorage.MassStorageFleet).</summary>
    MassStorage,
}

/// <summary>What a whole simulated fleet looks like.</summary>
public sealed record FleetOptions
{
    public int Recorders { get; init; } = 4;
    public int ClipsPerRecorder { get; init; } = 4;
    public long MinClipSize { get; init; } = 8 * 1024 * 1024;
    public long MaxClipSize { get; init; } = 8 * 1024 * 1024;
    public ulong Seed { get; init; } = 2026;
    /// <summary>False: the endpoints listen (their addresses are known) but serve no link until <see cref="SimulatedFleet.Serve"/>, as
    /// cameras not yet put in their bays (a benchmark opens its browsers first).</summary>
    public bool ServeAtOnce { get; init; } = true;
    public double? ThrottleMBps { get; init; }
    public string? ClipFolder { get; init; }
    public SimulatedTransport Transport { get; init; } = SimulatedTransport.Tcp;
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 0);
    public IReadOnlyList<ReadOnlyMemory<byte>> TrustedAgencyKeys { get; init; } = [];
    public DeviceSessionOptions? SessionOptions { get; init; }

    /// <summary>Added to recorder numbers, for fleets started one recorder at a time.</summary>
    public int SerialOffset { get; init; }

    /// <summary>Whether the recorders sign each clip at record time (capability bit 0).</summary>
    public bool SignsClips { get; init; } = true;

    /// <summary>v1.1 record-time signatures (every listed field and the officer); false: older firmware's v1 signatures.</summary>
    public bool SignsV11 { get; init; } = true;

    /// <summary>Each recorder's storage in bytes; null: the recorder's default (32 GiB).</summary>
    public long? StorageBytes { get; init; }

    /// <summary>Whether the recorders keep a GPS track, markers and an importance flag per clip (DockLink v1.2 capability bit 3).</summary>
    public bool ClipMetadata { get; init; } = true;

    /// <summary>Whether the recorders accept an officer from the dock at checkout (DockLink v1.3 capability bit 4).</summary>
    public bool AcceptsOfficer { get; init; } = true;

    /// <summary>The authentication methods the recorders offer (bits, as in HELLO_ACK): both by default.</summary>
    public byte AuthMethods { get; init; } = DeviceProtocol.Messages.AuthMethods.Ed25519Endorsed | DeviceProtocol.Messages.AuthMethods.Ed25519EndorsedExpiring;

    /// <summary>A few packs fail in known ways, by recorder number n: n % 5 == 3 a cell that stalls the charge at 88 %, n % 5 == 4 an internal
    /// resistance that grows fast (its charge slows), n % 5 == 0 a pack worn to half its capacity (it no longer lasts a shift). Their own
    /// health figure says nothing of it: the dock must find them from the charge curves.</summary>
    public bool FaultyBatteries { get; init; }

    /// <summary>Every recorder's battery health (%); null: drawn per recorder.</summary>
    public byte? BatteryHealthPercent { get; init; }

    /// <summary>Every recorder's clock offset when it docks; null: drawn per recorder (±90 s).</summary>
    public TimeSpan? ClockOffset { get; init; }

    /// <summary>Per recorder, the first N clips carry a wrong record-time hash / a damaged signature.</summary>
    public int BadHashClips { get; init; }
    public int BadSignatureClips { get; init; }

    /// <summary>Where each recorder keeps SERIAL.json and releases.jsonl (dock-sim --state-dir); null: nowhere.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Faults armed on every recorder once it is made (dock-sim's fault flags).</summary>
    public Action<RecorderFaults>? Faults { get; init; }
}

/// <summary>N recorders, each serving DockLink on its own endpoint. Used by dock-sim, the demo and tests.</summary>
public sealed class SimulatedFleet : IAsyncDisposable
{
    private readonly List<RecorderEndpoint> _endpoints;

    private SimulatedFleet(List<RecorderEndpoint> endpoints) => _endpoints = endpoints;

    public IReadOnlyList<RecorderEndpoint> Endpoints => _endpoints;

    public static async Task<SimulatedFleet> StartAsync(FleetOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        if (options.Transport == SimulatedTransport.MassStorage)
            throw new ArgumentException("Mass-storage recorders do not speak DockLink: start a MassStorage.MassStorageFleet.", nameof(options));
        time ??= TimeProvider.System;
        var endpoints = new List<RecorderEndpoint>();
        try
        {
            for (int i = 0; i < options.Recorders; i++)
            {
                var recorder = await SimulatedRecorder.CreateAsync(new RecorderOptions
                {
                    Serial = $"DSJ-SIM-{options.SerialOffset + i + 1:D4}",
                    OfficerId = $"P{100001 + options.SerialOffset + i}",
                    Seed = options.Seed + (ulong)i * 7919,
                    ClipCount = options.ClipsPerRecorder,
                    MinClipSize = options.MinClipSize,
                    MaxClipSize = options.MaxClipSize,
                    ClipFolder = options.ClipFolder,
                    ThrottleMBps = options.ThrottleMBps,
                    TrustedAgencyKeys = options.TrustedAgencyKeys,
                    SignsClips = options.SignsClips,
                    SignsV11 = options.SignsV11,
                    ClipMetadata = options.ClipMetadata,
                    AcceptsOfficer = options.AcceptsOfficer,
                    StorageBytes = options.StorageBytes ?? new RecorderOptions { Serial = "x" }.StorageBytes,
                    AuthMethods = options.AuthMethods,
                    BatteryHealthPercent = options.BatteryHealthPercent,
                    BatteryAgeing = options.FaultyBatteries ? FaultyPack(options.SerialOffset + i + 1) : null,
                    BatteryCycles = options.FaultyBatteries && (options.SerialOffset + i + 1) % 5 == 0 ? (ushort)1250 : null,
                    ClockOffset = options.ClockOffset,
                    BadHashClips = options.BadHashClips,
                    BadSignatureClips = options.BadSignatureClips,
                    StateDirectory = options.StateDirectory,
                }, time, cancellationToken).ConfigureAwait(false);
                options.Faults?.Invoke(recorder.Faults);
                RecorderEndpoint endpoint = options.Transport switch
                {
                    SimulatedTransport.Serial => new PtyRecorderEndpoint(recorder, options.SessionOptions, time),
                    _ => new TcpRecorderEndpoint(recorder, options.Listen, options.SessionOptions, time),
                };
                if (options.ServeAtOnce) endpoint.Start();
                endpoints.Add(endpoint);
            }
            return new SimulatedFleet(endpoints);
        }
        catch
        {
            foreach (var endpoint in endpoints) await endpoint.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static BatteryAgeing? FaultyPack(int number) => (number % 5) switch
    {
        3 => new BatteryAgeing { StallsAt = 88 },
        4 => new BatteryAgeing { ResistanceGrowthPerCycle = 0.3 },
        _ => null,
    };

    /// <summary>Starts serving links on every endpoint of a fleet started with <see cref="FleetOptions.ServeAtOnce"/> false.</summary>
    public void Serve()
    {
        foreach (var endpoint in _endpoints) endpoint.Start();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var endpoint in _endpoints)
        {
            await endpoint.DisposeAsync().ConfigureAwait(false);
            endpoint.Recorder.Dispose();
        }
    }
}
