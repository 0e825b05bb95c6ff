using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Messages;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Identity;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>The dock key over its life: sealed with a passphrase, and rotated with the custody log still verifiable.</summary>
public sealed class KeyLifecycleTests
{
    [Fact]
    public async Task SealedKey_DockRunsOnlyWithThePassphrase_ClearErrorsOtherwise()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 100_000 });
        var passphraseFile = Path.Combine(harness.DataDirectory, "passphrase.txt");
        await File.WriteAllTextAsync(passphraseFile, "evidence locker 42\n");
        var (code, _, stderr) = await DockHarness.RunDockAsync("keys", "seal", "--passphrase-file", passphraseFile, "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("PRIVATE KEY", await File.ReadAllTextAsync(harness.Paths.KeyFile), StringComparison.Ordinal);

        string[] run = ["run", "--data", harness.DataDirectory, "--Dock:Bays:0:Id=1", $"--Dock:Bays:0:Endpoint={fleet.Endpoints[0].Address}"];
        (code, _, stderr) = await DockHarness.RunDockAsync(run, new Dictionary<string, string> { [DockKey.PassphraseVariable] = "" });
        Assert.Equal(2, code);
        Assert.Contains("sealed with a passphrase", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await DockHarness.RunDockAsync(run, new Dictionary<string, string> { [DockKey.PassphraseVariable] = "evidence locker 41" });
        Assert.Equal(2, code);
        Assert.Contains("Wrong passphrase", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("evidence locker", stderr, StringComparison.Ordinal); // never echoed

        using var dock = DockHarness.StartDockProcess(run, redirect: false,
            new Dictionary<string, string> { [DockKey.PassphraseFileVariable] = passphraseFile });
        await harness.RecordersEmptyAsync();
        await DockHarness.TerminateAsync(dock);
        Assert.Equal(2, harness.VaultClips().Count);

        (code, var shown, _) = await DockHarness.RunDockAsync(["keys", "show", "--data", harness.DataDirectory],
            new Dictionary<string, string> { [DockKey.PassphraseVariable] = "evidence locker 42" });
        Assert.Equal(0, code);
        Assert.Contains("sealed with a passphrase", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredEndorsement_RecordersRefuseTheDock_Alerted_RenewedWhileRunning_IngestsWithoutARestart()
    {
        await using var harness = DockHarness.Create();
        var agencyKey = Path.Combine(harness.DataDirectory, "keys", "demo-agency.key");
        using (var agency = KeyFile.Load(agencyKey))
        using (var dockKey = DockKey.Load(harness.Paths, create: false))
        {
            // The agency stopped renewing this dock a day ago: that is how it revokes one (docklink-v1.md §7.2).
            DockEndorsement.Write(harness.Paths.EndorsementFile, agency, DockIdentity.DockIdFor(harness.Paths, dockKey.PublicKey), dockKey.PublicKey,
                DateTimeOffset.UtcNow.AddDays(-1), includeV1: false);
        }
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 100_000, AuthMethods = AuthMethods.Ed25519EndorsedExpiring,
        });
        var (host, activity) = await harness.StartDockAsync(("Dock:Identity:EndorsementCheckInterval", "00:00:00.300"));
        using (host)
        {
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None))
                .Any(a => a.Kind == EndorsementWatch.ExpiredAlert && a.IsOpen), "the endorsement-expired alert");
            await activity.WaitUntilAsync(a => a.Bays.Any(b => b.Message?.Contains("expired", StringComparison.Ordinal) == true), CancellationToken.None)
                .WaitAsync(DockHarness.Limit);
            Assert.Equal(0, fleet.Endpoints[0].Recorder.BytesServed); // not one clip byte to a dock the agency let lapse

            var (code, stdout, stderr) = await DockHarness.RunDockAsync("keys", "endorse", "--agency-key", agencyKey, "--valid-days", "30",
                "--expiring-only", "--data", harness.DataDirectory);
            Assert.True(code == 0, stderr);
            Assert.Contains("30 days left", stdout, StringComparison.Ordinal);
            await harness.RecordersEmptyAsync(); // the running dock read the renewal and the recorder now accepts it
            // Renewed for 30 days only: no longer expired, but within the 30-day warning.
            await harness.WaitForCatalogAsync(async c => (await c.Alerts.ListAlertsAsync(CancellationToken.None)) is var alerts
                && alerts.All(a => a.Kind != EndorsementWatch.ExpiredAlert || !a.IsOpen)
                && alerts.Any(a => a.Kind == EndorsementWatch.ExpiringAlert && a.IsOpen), "the expired alert resolved, the expiring one raised");
            await host.StopAsync();
        }
        Assert.Equal(2, harness.VaultClips().Count);
        var (_, shown, _) = await DockHarness.RunDockAsync("keys", "show", "--data", harness.DataDirectory);
        Assert.Contains("v1.1 by agency key", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("v1 (does not expire)", shown, StringComparison.Ordinal);
        (var bad, _, var error) = await DockHarness.RunDockAsync("keys", "endorse", "--agency-key", agencyKey, "--valid-days", "0", "--data", harness.DataDirectory);
        Assert.NotEqual(0, bad);
        Assert.Contains("--valid-days must be 1..3650", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotation_LogVerifiesWithTheNewKeyAlone_OldManifestsWithTheRetiredKey_DockIdKept()
    {
        await using var harness = DockHarness.Create();
        // Slow clips, so the dock can be stopped after two: the rest are ingested after the rotation.
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 4, MinClipSize = 1_000_000, MaxClipSize = 1_000_000, ThrottleMBps = 2 });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified >= 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        var (code, oldPem, _) = await DockHarness.RunDockAsync("keys", "export", "--public", "--data", harness.DataDirectory);
        Assert.Equal(0, code);
        var (_, before, _) = await DockHarness.RunDockAsync("keys", "show", "--data", harness.DataDirectory);
        var dockId = before.Split('\n')[0];

        (code, var stdout, var stderr) = await DockHarness.RunDockAsync("keys", "rotate", "--reason", "scheduled yearly rotation", "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains("endorse", stdout, StringComparison.Ordinal);
        var (_, after, _) = await DockHarness.RunDockAsync("keys", "show", "--data", harness.DataDirectory);
        Assert.Equal(dockId, after.Split('\n')[0]);
        var (_, newPem, _) = await DockHarness.RunDockAsync("keys", "export", "--public", "--data", harness.DataDirectory);
        Assert.NotEqual(oldPem, newPem);

        // The recorders refuse the rotated dock until the agency endorses the new key.
        DemoAgency.EndorseDock(harness.Paths);
        (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await harness.RecordersEmptyAsync();
            await host.StopAsync();
        }

        // An auditor holding only the new key verifies the whole log: the old key's checkpoints through its handover.
        var export = Path.Combine(harness.DataDirectory, "export");
        (code, _, stderr) = await DockHarness.RunDockAsync("log", "export", export, "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        var newPemPath = Path.Combine(harness.DataDirectory, "new.pem");
        await File.WriteAllTextAsync(newPemPath, newPem);
        (code, stdout, _) = await DockHarness.RunDockAsync("log", "verify", export, "--trust", newPemPath);
        Assert.True(code == 0, stdout);
        Assert.Contains("handed over", stdout, StringComparison.Ordinal);
        Assert.Contains("event: dock-key-rotated", string.Concat(Directory.GetFiles(Path.Combine(export, "entries")).Select(File.ReadAllText)),
            StringComparison.Ordinal);

        // Manifests keep the key that signed them: old ones verify with the retired key, new ones with the new key.
        var retired = Directory.GetFiles(Path.Combine(Path.GetDirectoryName(harness.Paths.KeyFile)!, "retired"), "*.pem").Single();
        Assert.Equal(oldPem, await File.ReadAllTextAsync(retired));
        int signedByNew = 0;
        var clips = harness.VaultClips();
        Assert.Equal(4, clips.Count);
        foreach (var clip in clips)
        {
            var (verifyCode, output, _) = await DockHarness.RunDockAsync("verify", clip, "--trust", newPemPath);
            if (verifyCode == 0)
            {
                signedByNew++;
                continue;
            }
            Assert.True(verifyCode == 12, output); // unknown key under the new one...
            (verifyCode, output, _) = await DockHarness.RunDockAsync("verify", clip, "--trust", retired);
            Assert.True(verifyCode == 0, output); // ...and verified under the retired key.
        }
        Assert.InRange(signedByNew, 1, 2);
    }
}
