using System.CommandLine;
using System.Net;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.Simulator.Hosting;
using Dock.Simulator.Recorders;

namespace Dock.Simulator.Cli;

/// <summary><c>dock-sim</c>: simulated recorders on their own endpoints, for a dock (or anything) to talk to.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var recorders = new Option<int>("--recorders") { Description = "How many recorders (1..64).", DefaultValueFactory = _ => 4 };
        var clips = new Option<int>("--clips") { Description = "Clips per recorder.", DefaultValueFactory = _ => 10 };
        var clipSize = new Option<string>("--clip-size") { Description = "Clip size, e.g. 200MB, 64MiB; or MIN-MAX for a range.", DefaultValueFactory = _ => "16MiB" };
        var listen = new Option<string>("--listen") { Description = "IP:PORT to listen on. Port 0: a free port per recorder; else PORT, PORT+1, ...", DefaultValueFactory = _ => "127.0.0.1:0" };
        var serial = new Option<bool>("--serial") { Description = "Serve each recorder on a pseudo-terminal (/dev/pts/N) instead of TCP." };
        var throttle = new Option<double?>("--throttle") { Description = "Per-recorder link speed in MB/s (USB 2.0 is about 40)." };
        var folder = new Option<string?>("--clips-from") { Description = "Serve the files in this folder as every recorder's clips instead of synthetic ones." };
        var seed = new Option<ulong>("--seed") { Description = "Seed for serials, keys and synthetic content.", DefaultValueFactory = _ => 2026 };
        var agency = new Option<string>("--agency-key") { Description = "The agency key recorders trust (PKCS#8 PEM; created if missing).", DefaultValueFactory = _ => "dock-sim-agency.key" };
        var enrolmentFile = new Option<string>("--enrolment-file") { Description = "Where to write the recorders' public keys, for `dock recorders enroll --file`.", DefaultValueFactory = _ => "dock-sim-recorders.txt" };
        var unsigned = new Option<bool>("--unsigned") { Description = "Recorders that do not sign clips at record time (older models)." };
        var v1Signatures = new Option<bool>("--v1-signatures") { Description = "Recorders that sign clips with the v1 record-time signature (older firmware: it does not cover flags or officer)." };
        var authMethods = new Option<string>("--auth-methods")
        {
            Description = "The dock authentication recorders accept: both (v1.1 firmware), v1 (older firmware: endorsements that never expire), " +
                "expiring (only v1.1 endorsements, which expire: an agency that revokes docks by not renewing them).",
            DefaultValueFactory = _ => "both",
        };
        authMethods.AcceptOnlyFromAmong("both", "v1", "expiring");
        var massStorage = new Option<bool>("--mass-storage")
        {
            Description = "GA/T 947.4-style recorders instead: a disk folder each (under --disks) plus a command channel on a pty.",
        };
        var disks = new Option<string>("--disks") { Description = "With --mass-storage: where the recorders' disks appear.", DefaultValueFactory = _ => "dock-sim-disks" };
        // Faults, each recorder alike (docklink recorders): what an outside tester needs to reproduce a dock's failures.
        var disconnectAfter = new Option<string?>("--disconnect-after") { Description = "Fault: once BYTES have been sent, cut the link mid-frame (a yanked cable), once; the links after that are healthy." };
        var corruptEvery = new Option<string?>("--corrupt-every") { Description = "Fault: flip one bit of clip data every BYTES served (frame CRCs stay valid: only the SHA-256 catches it)." };
        var stallAfter = new Option<string?>("--stall-after") { Description = "Fault: once BYTES have been sent, the recorder goes silent on that link (what it sends is lost) until the dock drops it, once." };
        var linkRate = new Option<double?>("--link-rate") { Description = "Per-recorder link speed in KB/s (1000 bytes): 11.5 is a 115,200-baud line, 40000 USB 2.0." };
        var releaseDelay = new Option<int?>("--release-delay") { Description = "Fault: after deleting a released clip, wait MS milliseconds before answering (a dock can stop in between)." };
        var keepOnRelease = new Option<bool>("--keep-on-release") { Description = "Fault: acknowledge a release (RELEASED deleted=0) but keep the clip." };
        var faultyBatteries = new Option<bool>("--faulty-batteries") { Description = "A few packs fail in known ways (recorder 3, 8, …: the charge stalls at 88 %; 4, 9, …: its charge slows as its resistance grows; 5, 10, …: worn to half its capacity), for the dock's battery-health check." };
        var badHash = new Option<int>("--bad-hash") { Description = "Fault: the first N clips of each recorder carry a wrong record-time SHA-256." };
        var badSignature = new Option<int>("--bad-signature") { Description = "Fault: the first N clips of each recorder carry a damaged record-time signature." };
        var timeOffset = new Option<double?>("--time-offset") { Description = "Each recorder's clock is off by SECONDS (may be negative) when it docks; default: drawn per recorder (±90 s)." };
        var hostile = new Option<bool>("--hostile")
        {
            Description = "Hostile recorders: well-formed but absurd answers at random (endless listings, repeated ids, ids named like dock files, " +
                "impossible sizes, times and clocks, 255 % batteries). Seeded by --seed. For testing a dock's bounds, never for a demo.",
        };
        var lieAboutConfig = new Option<bool>("--lie-about-config") { Description = "Fault: answer PUT_CONFIG with the hash of the profile it ran before, keeping that profile (the dock must see the mismatch)." };
        var refuseConfig = new Option<bool>("--refuse-config") { Description = "Fault: refuse every PUT_CONFIG (a profile this firmware cannot run)." };
        var firmwarePowerLoss = new Option<string?>("--firmware-power-loss-after") { Description = "Fault: power lost once BYTES of a firmware image have been received, once (the transfer resumes at the next docking)." };
        var installPowerLoss = new Option<bool>("--firmware-power-loss-in-install") { Description = "Fault: power lost while the next image is written to its slot, once (the old image runs; the next docking installs again)." };
        var corruptFirmware = new Option<bool>("--corrupt-firmware") { Description = "Fault: a bit of the next staged image flips before the install checks it (a bad image: refused)." };
        var brokenTrial = new Option<bool>("--broken-trial-firmware") { Description = "Fault: a new image boots but cannot read the clip store while on trial (the dock's health check fails; the camera goes back)." };
        var failBoot = new Option<string?>("--fail-boot-of") { Description = "Fault: an image with this VERSION does not boot (the boot loader rolls back)." };
        var firstSerial = new Option<int>("--first-serial") { Description = "Number the recorders' serials from N (to run two simulators beside one dock).", DefaultValueFactory = _ => 1 };
        var stateDir = new Option<string?>("--state-dir")
        {
            Description = "Keep DIR/SERIAL.json (the clips each recorder still holds: id, size, sha256; replaced atomically at every change) and " +
                "append each release request and what the recorder did to DIR/releases.jsonl: an outside count of what the dock did.",
        };
        var root = new RootCommand("Simulated body-worn recorders speaking DockLink v1, each on its own endpoint (or mass-storage recorders).")
        {
            recorders, clips, clipSize, listen, serial, throttle, folder, seed, agency, enrolmentFile, unsigned, v1Signatures, authMethods, massStorage, disks,
            disconnectAfter, corruptEvery, stallAfter, linkRate, releaseDelay, keepOnRelease, badHash, badSignature, faultyBatteries, timeOffset, stateDir, hostile, firstSerial,
            lieAboutConfig, refuseConfig, firmwarePowerLoss, installPowerLoss, corruptFirmware, failBoot, brokenTrial,
        };
        root.SetAction(async (parse, cancellationToken) =>
        {
            int count = parse.GetValue(recorders);
            if (count is < 1 or > 64) return Fail("--recorders must be 1..64.");
            if (parse.GetValue(clips) is < 0 or > 100_000) return Fail("--clips must be 0..100000.");
            if (!ByteSize.TryParseRange(parse.GetValue(clipSize), out var min, out var max)) return Fail($"--clip-size '{parse.GetValue(clipSize)}' is not a size or MIN-MAX range.");
            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var bind)) return Fail($"--listen '{parse.GetValue(listen)}' is not IP:PORT.");
            if (parse.GetValue(throttle) is <= 0) return Fail("--throttle must be above zero.");
            if (parse.GetValue(folder) is { } dir && !Directory.Exists(dir)) return Fail($"--clips-from: no folder {dir}.");
            if (parse.GetValue(serial) && !OperatingSystem.IsLinux()) return Fail("--serial needs Linux pseudo-terminals.");
            long? Bytes(Option<string?> option, out string? problem)
            {
                problem = null;
                if (parse.GetValue(option) is not { } text) return null;
                if (ByteSize.TryParse(text, out var bytes) && bytes > 0) return bytes;
                problem = $"{option.Name} '{text}' is not a size above zero; use e.g. 4096, 10MB or 64MiB.";
                return null;
            }
            var disconnectBytes = Bytes(disconnectAfter, out var problem);
            if (problem is not null) return Fail(problem);
            var corruptBytes = Bytes(corruptEvery, out problem);
            if (problem is not null) return Fail(problem);
            var stallBytes = Bytes(stallAfter, out problem);
            if (problem is not null) return Fail(problem);
            var firmwareCut = Bytes(firmwarePowerLoss, out problem);
            if (problem is not null) return Fail(problem);
            if (parse.GetValue(failBoot) is { } boot && (boot.Length is 0 or > 64 || boot.Any(c => c is <= ' ' or >= (char)0x7F)))
                return Fail("--fail-boot-of is a firmware version: 1..64 printable characters without spaces.");
            if (parse.GetValue(linkRate) is { } kbps && (kbps <= 0 || double.IsNaN(kbps))) return Fail("--link-rate must be above zero (KB/s).");
            if (parse.GetValue(linkRate) is not null && parse.GetValue(throttle) is not null) return Fail("give --link-rate (KB/s) or --throttle (MB/s), not both.");
            if (parse.GetValue(releaseDelay) is < 0 or > 600_000) return Fail("--release-delay must be 0..600000 ms.");
            if (parse.GetValue(badHash) < 0 || parse.GetValue(badSignature) < 0) return Fail("--bad-hash and --bad-signature count clips: 0 or more.");
            if (parse.GetValue(firstSerial) is < 1 or > 9000) return Fail("--first-serial must be 1..9000.");
            if (parse.GetValue(timeOffset) is { } offset && (double.IsNaN(offset) || Math.Abs(offset) > 10 * 365 * 86400.0))
                return Fail("--time-offset must be within ten years, in seconds.");
            bool anyFault = disconnectBytes is not null || corruptBytes is not null || stallBytes is not null || parse.GetValue(linkRate) is not null
                || parse.GetValue(releaseDelay) is not null || parse.GetValue(keepOnRelease) || parse.GetValue(badHash) > 0 || parse.GetValue(badSignature) > 0
                || parse.GetValue(timeOffset) is not null || parse.GetValue(stateDir) is not null || parse.GetValue(hostile)
                || parse.GetValue(lieAboutConfig) || parse.GetValue(refuseConfig) || firmwareCut is not null || parse.GetValue(installPowerLoss)
                || parse.GetValue(corruptFirmware) || parse.GetValue(failBoot) is not null || parse.GetValue(brokenTrial);
            if (parse.GetValue(massStorage))
            {
                if (!OperatingSystem.IsLinux()) return Fail("--mass-storage needs Linux pseudo-terminals for the command channels.");
                if (parse.GetValue(folder) is not null || parse.GetValue(throttle) is not null || parse.GetValue(unsigned))
                    return Fail("--clips-from, --throttle and --unsigned are for DockLink recorders, not --mass-storage.");
                if (anyFault)
                    return Fail("the fault flags and --state-dir are for DockLink recorders; a mass-storage recorder's clips are the files under --disks " +
                        "(the dock deletes them itself), so count those.");
                return await ServeMassStorageAsync(count, parse.GetValue(clips), min, max, Path.GetFullPath(parse.GetValue(disks)!), parse.GetValue(seed),
                    Path.GetFullPath(parse.GetValue(enrolmentFile)!), cancellationToken);
            }

            var agencyPath = Path.GetFullPath(parse.GetValue(agency)!);
            byte[] agencyKey;
            try
            {
                using var key = KeyFile.LoadOrCreate(agencyPath);
                agencyKey = key.PublicKey;
            }
            catch (InvalidDataException ex)
            {
                return Fail(ex.Message);
            }

            Console.WriteLine($"dock-sim: making {count} recorder(s)...");
            var endpoints = new List<RecorderEndpoint>();
            await using var disposer = new AsyncDisposables(endpoints);
            for (int i = 0; i < count; i++)
            {
                var at = bind.Port == 0 ? bind : new IPEndPoint(bind.Address, bind.Port + i);
                var one = await SimulatedFleet.StartAsync(new FleetOptions
                {
                    Recorders = 1,
                    ClipsPerRecorder = parse.GetValue(clips),
                    MinClipSize = min,
                    MaxClipSize = max,
                    Seed = parse.GetValue(seed) + (ulong)i * 7919,
                    ThrottleMBps = parse.GetValue(linkRate) is { } rate ? rate / 1000 : parse.GetValue(throttle),
                    ClipFolder = parse.GetValue(folder),
                    Transport = parse.GetValue(serial) ? SimulatedTransport.Serial : SimulatedTransport.Tcp,
                    Listen = at,
                    TrustedAgencyKeys = [agencyKey],
                    SerialOffset = parse.GetValue(firstSerial) - 1 + i,
                    SessionOptions = parse.GetValue(hostile)
                        ? new DeviceSessionOptions { Rewrite = HostileAnswers.Create((int)(parse.GetValue(seed) % int.MaxValue) + i) }
                        : null,
                    SignsClips = !parse.GetValue(unsigned),
                    SignsV11 = !parse.GetValue(v1Signatures),
                    AuthMethods = parse.GetValue(authMethods) switch
                    {
                        "v1" => AuthMethods.Ed25519Endorsed,
                        "expiring" => AuthMethods.Ed25519EndorsedExpiring,
                        _ => AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring,
                    },
                    ClockOffset = parse.GetValue(timeOffset) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                    BadHashClips = parse.GetValue(badHash),
                    FaultyBatteries = parse.GetValue(faultyBatteries),
                    BadSignatureClips = parse.GetValue(badSignature),
                    StateDirectory = parse.GetValue(stateDir) is { } stateFolder ? Path.GetFullPath(stateFolder) : null,
                    Faults = faults =>
                    {
                        if (disconnectBytes is { } cut) faults.DisconnectAfter(cut);
                        if (corruptBytes is { } every) faults.CorruptEvery(every);
                        if (stallBytes is { } stall) faults.StallAfter(stall);
                        if (parse.GetValue(releaseDelay) is { } ms) faults.ReleaseDelay = TimeSpan.FromMilliseconds(ms);
                        faults.KeepOnRelease = parse.GetValue(keepOnRelease);
                        faults.LieAboutConfig = parse.GetValue(lieAboutConfig);
                        faults.RefuseConfig = parse.GetValue(refuseConfig);
                        if (firmwareCut is { } fwCut) faults.FirmwarePowerLossAfter(fwCut);
                        if (parse.GetValue(installPowerLoss)) faults.PowerLossInInstall();
                        if (parse.GetValue(corruptFirmware)) faults.CorruptStagedFirmware();
                        faults.FailBootOf = parse.GetValue(failBoot);
                        faults.FailListingOnTrial = parse.GetValue(brokenTrial);
                    },
                }, cancellationToken: cancellationToken);
                endpoints.AddRange(one.Endpoints);
            }
            Console.WriteLine($"Agency key: {agencyPath}");
            Console.WriteLine($"  endorse a dock for these recorders: dock keys endorse --agency-key {agencyPath} --data DIR");
            // The list an equipment manager gets with the cameras: serial and raw Ed25519 public key per line.
            var enrolmentPath = Path.GetFullPath(parse.GetValue(enrolmentFile)!);
            await File.WriteAllTextAsync(enrolmentPath, "# Dock recorder enrolment list: SERIAL ED25519-PUBLIC-KEY-HEX\n" + string.Concat(
                endpoints.Select(e => $"{e.Recorder.Serial} {Convert.ToHexStringLower(e.Recorder.Credential.PublicKey.Span)}\n")), cancellationToken);
            Console.WriteLine($"Recorder keys: {enrolmentPath}");
            Console.WriteLine($"  enrol them on the dock: dock recorders enroll --file {enrolmentPath} --data DIR");
            foreach (var endpoint in endpoints)
            {
                var r = endpoint.Recorder;
                Console.WriteLine($"{r.Serial}  officer {r.Options.OfficerId}  {r.Clips.Count} clips  " +
                    $"{r.Clips.Sum(c => c.Size) / 1e6:0.0} MB  {endpoint.Address}");
            }
            if (anyFault) Console.WriteLine("Faults: " + string.Join(", ", new[]
            {
                disconnectBytes is { } d ? $"first link cut after {d:N0} bytes" : null,
                corruptBytes is { } c ? $"a bit flipped every {c:N0} clip bytes" : null,
                stallBytes is { } st ? $"first link silent after {st:N0} bytes" : null,
                parse.GetValue(linkRate) is { } lr ? $"{lr} KB/s links" : null,
                parse.GetValue(releaseDelay) is { } rd ? $"{rd} ms between deleting and answering a release" : null,
                parse.GetValue(keepOnRelease) ? "releases acknowledged but clips kept" : null,
                parse.GetValue(badHash) > 0 ? $"first {parse.GetValue(badHash)} clip(s) with a wrong hash" : null,
                parse.GetValue(badSignature) > 0 ? $"first {parse.GetValue(badSignature)} clip(s) with a damaged signature" : null,
                parse.GetValue(timeOffset) is { } to ? $"clocks off by {to} s" : null,
                parse.GetValue(stateDir) is { } sd ? $"state kept in {Path.GetFullPath(sd)}" : null,
                parse.GetValue(lieAboutConfig) ? "profiles answered with the old hash" : null,
                parse.GetValue(refuseConfig) ? "profiles refused" : null,
                firmwareCut is { } fc ? $"power lost after {fc:N0} firmware bytes" : null,
                parse.GetValue(installPowerLoss) ? "power lost during the first install" : null,
                parse.GetValue(corruptFirmware) ? "the first staged image damaged" : null,
                parse.GetValue(failBoot) is { } fb ? $"firmware {fb} does not boot" : null,
                parse.GetValue(brokenTrial) ? "a new image cannot read the clip store on trial" : null,
            }.Where(f => f is not null)) + ".");
            Console.WriteLine("Bays for `dock run`:");
            Console.WriteLine("  " + string.Join(' ', endpoints.Select((e, i) => $"--Dock:Bays:{i}:Id={i + 1} --Dock:Bays:{i}:Endpoint={e.Address}")));
            Console.WriteLine("Serving until Ctrl+C.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop serving.
            }
            return 0;
        });
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors) Console.Error.WriteLine($"dock-sim: {error.Message}");
            return 2;
        }
        return await result.InvokeAsync();
    }

    private static async Task<int> ServeMassStorageAsync(int count, int clips, long min, long max, string disks, ulong seed, string enrolmentPath,
        CancellationToken cancellationToken)
    {
        Console.WriteLine($"dock-sim: recording {count} mass-storage recorder(s) onto {disks}...");
        await using var fleet = await MassStorage.MassStorageFleet.StartAsync(count, clips, min, max, disks, seed, cancellationToken: cancellationToken);
        // They have no keys: an equipment manager enrols them by serial, knowing that proves nothing (spec §6).
        await File.WriteAllTextAsync(enrolmentPath, "# Dock recorder enrolment list: SERIAL keyless (mass-storage recorders)\n" +
            string.Concat(fleet.Recorders.Select(r => $"{r.Serial} keyless\n")), cancellationToken);
        Console.WriteLine($"Enrolment list: {enrolmentPath}");
        Console.WriteLine("These recorders check no dock, so a dock with only such bays needs no agency endorsement. With a data folder DIR:");
        Console.WriteLine($"  1. enrol them (creates the dock's key on a new DIR): dock recorders enroll --file {enrolmentPath} --data DIR");
        foreach (var r in fleet.Recorders)
            Console.WriteLine($"     {r.Serial}  officer {r.Officer.OfficerId}  {r.ClipFiles.Count} clips  commands {r.CommandAddress}  disk {r.Volume} (after MASS_STORAGE)");
        Console.WriteLine("  2. run the dock with one bay per recorder:");
        Console.WriteLine("     dock run --data DIR " + string.Join(' ', fleet.Recorders.Select((r, i) =>
            $"--Dock:Bays:{i}:Id={i + 1} --Dock:Bays:{i}:Driver=MassStorage --Dock:Bays:{i}:Endpoint={r.CommandAddress} --Dock:Bays:{i}:Volume={r.Volume}")));
        Console.WriteLine("  3. look: dock status --data DIR");
        Console.WriteLine("Serving until Ctrl+C.");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: stop serving.
        }
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"dock-sim: {message}");
        return 2;
    }

    private sealed class AsyncDisposables(List<RecorderEndpoint> endpoints) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var endpoint in endpoints)
            {
                await endpoint.DisposeAsync();
                endpoint.Recorder.Dispose();
            }
        }
    }
}
