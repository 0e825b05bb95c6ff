using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Messages;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Fleet;
using Dock.Service.Hosting;
using Dock.Simulator.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Fleet;

/// <summary>
/// DockLink v1.5 firmware at docking, with the simulator's faults: a transfer cut by a power loss resumes from the offset the camera holds and the
/// image is installed on trial and confirmed at the next handshake; an image that does not boot rolls back and is alerted; one that boots but
/// fails the health check is never confirmed and the camera goes back; a power loss mid-install is finished without re-sending; a bad image is
/// refused by the camera; nothing is sent to a camera whose footage waits, or whose battery is below the image's threshold.
/// </summary>
public sealed class FirmwareTests(ITestOutputHelper output)
{
    private const string NewVersion = "2.0.0-sim";

    [Fact]
    public async Task Firmware_ResumesAfterPowerLoss_ConfirmedAfterReboot_BootFailureRollsBack_BadImageRefused_NothingWhileFootageWaits()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 7, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 200_000 });
        var resumer = fleet.Endpoints[0].Recorder;
        var unbootable = fleet.Endpoints[1].Recorder;
        var waiting = fleet.Endpoints[2].Recorder;
        var corrupt = fleet.Endpoints[3].Recorder;
        var flat = fleet.Endpoints[4].Recorder;
        var interrupted = fleet.Endpoints[5].Recorder;
        var unhealthy = fleet.Endpoints[6].Recorder;
        var image = new byte[3 * 1024 * 1024 + 12345];
        new Random(17).NextBytes(image);
        resumer.Faults.FirmwarePowerLossAfter(image.Length / 3);
        unbootable.Faults.FailBootOf = NewVersion;
        waiting.Faults.FailReadsOf = waiting.Clips[0].ClipId; // a clip that cannot be offloaded: its footage waits
        corrupt.Faults.CorruptStagedFirmware();
        interrupted.Faults.PowerLossInInstall();
        unhealthy.Faults.FailListingOnTrial = true;
        foreach (var endpoint in fleet.Endpoints) endpoint.Recorder.Battery.Drain(90); // charged (the seed draws 10-70 %)...
        flat.Battery.Drain(5); // ...but this one: 5 %, below the image's 20 % (charging to 20 % takes half an hour)

        // The bundle: the image added with `dock fleet firmware add` (signed with the agency key the cameras trust), signed, applied from the folder.
        var folder = Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "stick")).FullName;
        var bundleFile = Path.Combine(folder, "v7.json");
        var imageFile = Path.Combine(harness.DataDirectory, "sim-2.0.0.bin");
        await File.WriteAllBytesAsync(imageFile, image);
        await File.WriteAllTextAsync(bundleFile, new JsonObject { ["format"] = FleetBundle.Format, ["version"] = 7, ["created"] = "2026-12-04T08:00:00Z" }.ToJsonString());
        var agencyKey = Path.Combine(harness.DataDirectory, "keys", "demo-agency.key");
        await RunAsync("fleet", "firmware", "add", bundleFile, "--image", imageFile, "--model", resumer.Options.Model, "--version", NewVersion,
            "--agency-key", agencyKey, "--min-battery", "20");
        await RunAsync("fleet", "bundle", "sign", bundleFile, "--agency-key", agencyKey);
        var applied = await RunAsync("fleet", "apply", bundleFile, "--data", harness.DataDirectory);
        Assert.Contains("firmware images: 1 of 1 held", applied, StringComparison.Ordinal);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image));

        var accounts = new Dock.Service.Users.UserAccounts(new Dock.Service.Users.UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "ida", "correct horse battery", [Dock.Service.Users.Roles.EquipmentManager], null, CancellationToken.None);
        var (host, _) = await harness.StartDockAsync();
        try
        {
            await harness.WaitForCatalogAsync(async catalog =>
            {
                var events = await EnrolmentTests.EventsAsync(catalog);
                var alerts = (await catalog.Alerts.ListAlertsAsync(CancellationToken.None)).Where(a => a.IsOpen && a.Kind == RecorderFirmware.FailedAlert).ToList();
                return events.Any(e => e.Kind == CustodyEventKind.FirmwareConfirmed && e.RecorderSerial == resumer.Serial)
                    && events.Any(e => e.Kind == CustodyEventKind.FirmwareConfirmed && e.RecorderSerial == interrupted.Serial)
                    && events.Any(e => e.Kind == CustodyEventKind.FirmwareRolledBack && e.RecorderSerial == unbootable.Serial)
                    && events.Any(e => e.Kind == CustodyEventKind.FirmwareRolledBack && e.RecorderSerial == unhealthy.Serial)
                    && alerts.Any(a => a.RecorderSerial == corrupt.Serial);
            }, "the resumed image confirmed, the unbootable one rolled back, the corrupt one refused");
            var events = await EnrolmentTests.EventsAsync(await harness.CatalogAsync());
            var core = host.Services.GetRequiredService<DockCore>();
            var states = await core.RecorderFirmware.ListAsync(CancellationToken.None);

            // Resumed: the second transfer began at the offset the camera held after the power loss; it runs the image, confirmed.
            var installed = Assert.Single(events, e => e.Kind == CustodyEventKind.FirmwareInstalled && e.RecorderSerial == resumer.Serial);
            Assert.Equal((sha, (long?)image.Length), (installed.Sha256, installed.Size));
            Assert.Contains($"resumed at {image.Length / 3:N0}", installed.Detail, StringComparison.Ordinal);
            var state = resumer.GetFirmware();
            Assert.Equal((NewVersion, false, sha), (state.RunningVersion, state.Trial, Convert.ToHexStringLower(state.RunningSha256)));
            Assert.Equal(NewVersion, resumer.GetInfo().Firmware);
            Assert.Equal("confirmed", states[resumer.Serial].State);
            long resent = resumer.Firmware.BytesReceived - image.Length;
            output.WriteLine($"image {image.Length:N0} bytes; the camera received {resumer.Firmware.BytesReceived:N0} (re-sent after the power loss: {resent:N0})");
            // The camera keeps every byte it wrote to flash and the dock resumes exactly there: only the rest of the one write the power cut
            // short came twice (a write is at most the camera's 64 KiB frame).
            Assert.InRange(resent, 1, 64 * 1024);
            // Only once its footage was safe: after the last of its clips was verified.
            var lastVerified = events.Last(e => e.Kind == CustodyEventKind.HashVerified && e.RecorderSerial == resumer.Serial);
            Assert.True(installed.Index > lastVerified.Index);
            var confirmed = Assert.Single(events, e => e.Kind == CustodyEventKind.FirmwareConfirmed && e.RecorderSerial == resumer.Serial);
            Assert.True(confirmed.Index > installed.Index);

            // Power lost while the image was written to its slot: the old image kept running, the staged image was kept whole, and the next
            // docking installed it without sending a byte again.
            var reinstalled = Assert.Single(events, e => e.Kind == CustodyEventKind.FirmwareInstalled && e.RecorderSerial == interrupted.Serial);
            Assert.Contains($"resumed at {image.Length:N0}", reinstalled.Detail, StringComparison.Ordinal);
            Assert.Equal(image.Length, interrupted.Firmware.BytesReceived);
            Assert.Equal((NewVersion, false), (interrupted.GetFirmware().RunningVersion, interrupted.GetFirmware().Trial));

            // Boot failure: installed, did not boot, back on its old image; alerted, and the image is not sent to it again.
            Assert.Single(events, e => e.Kind == CustodyEventKind.FirmwareInstalled && e.RecorderSerial == unbootable.Serial);
            var rolledBack = Assert.Single(events, e => e.Kind == CustodyEventKind.FirmwareRolledBack && e.RecorderSerial == unbootable.Serial);
            Assert.Contains("did not boot", rolledBack.Detail, StringComparison.Ordinal);
            Assert.Equal(("1.0.0-sim", FirmwareFailure.BootFailed), (unbootable.GetFirmware().RunningVersion, unbootable.GetFirmware().LastFailure));
            Assert.Equal(sha, states[unbootable.Serial].FailedSha256);

            // A trial image that fails the health check (its listing breaks): never confirmed, so the camera went back at its next boot.
            var unconfirmed = Assert.Single(events, e => e.Kind == CustodyEventKind.FirmwareRolledBack && e.RecorderSerial == unhealthy.Serial);
            Assert.Contains("was not confirmed after its boot", unconfirmed.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.FirmwareConfirmed && e.RecorderSerial == unhealthy.Serial);
            Assert.Equal(("1.0.0-sim", FirmwareFailure.Unconfirmed), (unhealthy.GetFirmware().RunningVersion, unhealthy.GetFirmware().LastFailure));

            // The bad image: the camera's own check refused it; nothing installed, nothing recorded as installed.
            Assert.Equal((0, "1.0.0-sim"), (corrupt.Firmware.Installs, corrupt.GetFirmware().RunningVersion));
            Assert.DoesNotContain(events, e => e.Kind == CustodyEventKind.FirmwareInstalled && e.RecorderSerial == corrupt.Serial);
            Assert.Equal("refused", states[corrupt.Serial].State);

            // Footage waits on one camera, the battery of another is low: not a byte of firmware went to either.
            Assert.Equal(0, waiting.Firmware.BytesReceived);
            Assert.Contains("footage waits", states[waiting.Serial].Detail, StringComparison.Ordinal);
            Assert.Equal(0, flat.Firmware.BytesReceived);
            Assert.Contains("battery", states[flat.Serial].Detail, StringComparison.Ordinal);

            // The API and the console's fleet page show the same, from the same owners.
            using var client = new HttpClient { BaseAddress = new Uri(DockHarness.HttpAddress(host)) };
            var session = await (await client.PostAsJsonAsync("/api/v1/login", new { name = "ida", password = "correct horse battery" })).Content.ReadFromJsonAsync<JsonElement>();
            client.DefaultRequestHeaders.Add("X-Dock-CSRF", session.GetProperty("csrfToken").GetString());
            var fleetState = await client.GetFromJsonAsync<JsonElement>("/api/v1/fleet");
            Assert.Equal(7, fleetState.GetProperty("applied").GetProperty("version").GetInt64());
            var shown = fleetState.GetProperty("recorders").EnumerateArray().ToDictionary(r => r.GetProperty("serial").GetString()!, r => r.GetProperty("firmwareState").GetString());
            Assert.Equal(("confirmed", "rolled-back", "refused"), (shown[resumer.Serial], shown[unbootable.Serial], shown[corrupt.Serial]));
            var report = await client.GetFromJsonAsync<JsonElement>("/api/v1/fleet/status"); // the fleet from the store, as `dock fleet status`
            Assert.Equal(JsonValueKind.Array, report.GetProperty("docks").ValueKind);
            var page = await client.GetStringAsync("/fleet");
            Assert.Contains($"data-serial=\"{resumer.Serial}\"", page, StringComparison.Ordinal);
            Assert.Contains("data-firmware-state=\"rolled-back\"", page, StringComparison.Ordinal);
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    private static async Task<string> RunAsync(params string[] args)
    {
        var (code, said, err) = await DockHarness.RunDockAsync(args);
        Assert.True(code == 0, $"dock {string.Join(' ', args)}: {said}{err}");
        return said;
    }
}
