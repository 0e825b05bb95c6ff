using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Service.Cli;
using Dock.Service.Enrolment;
using Dock.Service.Hosting;
using Dock.Service.Ingest;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>Recorder identity: enrolment, record-time signatures, revocation, and what the dock does when it cannot trust a recorder.</summary>
public sealed class EnrolmentTests
{
    private static Task FinishedAsync(DockActivity activity, int bays) =>
        activity.WaitUntilAsync(a => a.Bays.Count(b => b.Finished) >= bays, CancellationToken.None).WaitAsync(DockHarness.Limit);

    [Fact]
    public async Task UnenrolledRecorder_FootageHeldInQuarantineAndAlerted_NeverReleased_ThenPulledOnceEnrolled()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 3, MinClipSize = 200_000, MaxClipSize = 900_000 },
            enrol: false);
        var recorder = fleet.Endpoints[0].Recorder;
        var shas = recorder.Clips.ToDictionary(c => c.ClipId, c => Sha256.ToHex(c.Sha256));

        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await FinishedAsync(activity, 1);
            var bay = Assert.Single(activity.Bays);
            Assert.Equal(BayPhase.Attention, bay.Phase);
            Assert.Contains("not enrolled", bay.Message, StringComparison.Ordinal);
            await host.StopAsync();
        }

        Assert.Equal(3, recorder.Clips.Count); // never told to delete anything
        var catalog = await harness.CatalogAsync();
        var rows = await catalog.Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.All(rows, r =>
        {
            Assert.Equal(ClipState.Quarantined, r.State);
            Assert.Equal(ClipHold.UntrustedRecorder, r.Hold);
        });
        // Preserved: each held copy is whole and exact.
        var held = Directory.GetFiles(Path.Combine(harness.DataDirectory, "vault", "quarantine"), "*", SearchOption.AllDirectories);
        Assert.Equal(3, held.Length);
        var heldShas = new List<string>();
        foreach (var file in held) heldShas.Add(Sha256.ToHex(await Sha256.HashFileAsync(file)));
        Assert.Equal(shas.Values.Order(), heldShas.Order());
        var alerts = await catalog.Alerts.ListAlertsAsync(CancellationToken.None);
        Assert.Contains(alerts, a => a.Kind == "untrusted-recorder" && a.ClipId is null);
        Assert.Equal(3, alerts.Count(a => a.Kind == "untrusted-recorder" && a.ClipId is not null));
        var events = await EventsAsync(catalog);
        Assert.Equal(3, events.Count(e => e.Kind == CustodyEventKind.Quarantined));
        Assert.DoesNotContain(events, e => e.Kind is CustodyEventKind.Released or CustodyEventKind.SignatureVerified or CustodyEventKind.Stored);

        // The equipment manager enrols it; on the next docking its footage is pulled and released.
        await harness.EnrolFleetAsync();
        (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 3);
            await host.StopAsync();
        }
        Assert.Empty(recorder.Clips);
        rows = await catalog.Clips.ListClipsAsync(null, CancellationToken.None);
        Assert.All(rows, r => Assert.Equal(ClipState.Released, r.State));
        Assert.Equal(3, harness.VaultClips().Count);
        // The held copies stay where they were: nothing is deleted.
        Assert.Equal(3, Directory.GetFiles(Path.Combine(harness.DataDirectory, "vault", "quarantine"), "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task UnenrolledRecorder_QuarantineOff_NothingPulledNothingReleased()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 100_000 },
            enrol: false);
        var (host, activity) = await harness.StartDockAsync(("Dock:QuarantineUnenrolled", "false"));
        using (host)
        {
            await FinishedAsync(activity, 1);
            Assert.Contains("left on the recorder", Assert.Single(activity.Bays).Message, StringComparison.Ordinal);
            await host.StopAsync();
        }
        Assert.Equal(2, fleet.Endpoints[0].Recorder.Clips.Count);
        Assert.Equal(0, fleet.Endpoints[0].Recorder.BytesServed);
        var catalog = await harness.CatalogAsync();
        Assert.All(await catalog.Clips.ListClipsAsync(null, CancellationToken.None), r => Assert.Equal(ClipState.Announced, r.State));
        Assert.Contains(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "untrusted-recorder");
    }

    [Fact]
    public async Task BadRecordSignature_ThatClipHeldAndAlerted_OthersReleased()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 3, MinClipSize = 100_000, MaxClipSize = 400_000 });
        var recorder = fleet.Endpoints[0].Recorder;
        var forged = recorder.Clips[1];
        forged.CorruptSignature();

        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await FinishedAsync(activity, 1);
            await DockHarness.ReleasedAsync(activity, 2);
            Assert.Equal(BayPhase.Attention, Assert.Single(activity.Bays).Phase);
            await host.StopAsync();
        }
        var left = Assert.Single(recorder.Clips);
        Assert.Equal(forged.ClipId, left.ClipId);
        var catalog = await harness.CatalogAsync();
        var row = Assert.Single(await catalog.Clips.ListClipsAsync(null, CancellationToken.None), r => r.ClipId == forged.ClipId);
        Assert.Equal(ClipState.Quarantined, row.State);
        Assert.Equal(ClipHold.BadRecordSignature, row.Hold);
        Assert.Contains(await catalog.Alerts.ListAlertsAsync(CancellationToken.None), a => a.Kind == "bad-record-signature" && a.ClipId == forged.ClipId);
        var events = await EventsAsync(catalog);
        Assert.Equal(2, events.Count(e => e.Kind == CustodyEventKind.SignatureVerified));
        Assert.Contains(events, e => e.Kind == CustodyEventKind.Quarantined && e.ClipId == forged.ClipId);
    }

    [Fact]
    public async Task RecorderThatDoesNotSign_IngestedAsUnsigned_ManifestSaysSo()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 100_000, SignsClips = false });
        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await DockHarness.ReleasedAsync(activity, 2);
            await host.StopAsync();
        }
        var catalog = await harness.CatalogAsync();
        Assert.DoesNotContain(await EventsAsync(catalog), e => e.Kind == CustodyEventKind.SignatureVerified);
        foreach (var clip in harness.VaultClips())
            Assert.Contains("\"signature\": null", await File.ReadAllTextAsync(DockHarness.ManifestOf(clip)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedOrReKeyedRecorder_NotTrusted_AndRevocationIsACustodyEvent()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 1, MinClipSize = 100_000, MaxClipSize = 100_000 });
        var revoked = fleet.Endpoints[0].Recorder;
        var rekeyed = fleet.Endpoints[1].Recorder;
        using (var folder = await DataFolder.OpenAsync(harness.DataDirectory, CancellationToken.None))
        {
            var enrolment = new RecorderEnrolment(folder.Catalog.Recorders, folder.Log);
            Assert.True(await enrolment.RevokeAsync(revoked.Serial, "reported stolen", "test", CancellationToken.None));
            // Another key was enrolled for the second serial: the docked one is a clone or was re-keyed.
            await Assert.ThrowsAsync<EnrolmentException>(() => enrolment.EnrolAsync(rekeyed.Serial, new byte[32].Select((_, i) => (byte)(i + 1)).ToArray(),
                "test", "test", replace: false, CancellationToken.None));
            Assert.True(await enrolment.EnrolAsync(rekeyed.Serial, new byte[32].Select((_, i) => (byte)(i + 1)).ToArray(), "test", "test",
                replace: true, CancellationToken.None));
            // A revoked key is never enrolled again.
            await Assert.ThrowsAsync<EnrolmentException>(() => enrolment.EnrolAsync(revoked.Serial, revoked.Credential.PublicKey.ToArray(), "test", "test",
                replace: true, CancellationToken.None));
        }

        var (host, activity) = await harness.StartDockAsync();
        using (host)
        {
            await FinishedAsync(activity, 2);
            var bays = activity.Bays.ToDictionary(b => b.Serial!);
            Assert.Contains("revoked", bays[revoked.Serial].Message, StringComparison.Ordinal);
            Assert.Contains("replaced by", bays[rekeyed.Serial].Message, StringComparison.Ordinal);
            await host.StopAsync();
        }
        Assert.Single(revoked.Clips);
        Assert.Single(rekeyed.Clips);
        var catalog = await harness.CatalogAsync();
        var events = await EventsAsync(catalog);
        Assert.Equal(2, events.Count(e => e.Kind == CustodyEventKind.RecorderRevoked));
        Assert.Contains(events, e => e.Kind == CustodyEventKind.RecorderRevoked && e.Detail!.Contains("reported stolen", StringComparison.Ordinal));
        Assert.Equal(3, events.Count(e => e.Kind == CustodyEventKind.RecorderEnrolled));
    }

    [Fact]
    public void EnrolmentFile_BadLines_NameTheLineAndTheProblem()
    {
        var key = new string('a', 64);
        Assert.Equal(2, EnrolmentFile.Parse(["# comment", $"DSJ-1 {key}", "", $"DSJ-2 {key}  # trailing"], "f").Count);
        Assert.Contains("f:1: expected", Assert.Throws<EnrolmentException>(() => EnrolmentFile.Parse(["DSJ-1"], "f")).Message, StringComparison.Ordinal);
        Assert.Contains("not 64 hex", Assert.Throws<EnrolmentException>(() => EnrolmentFile.Parse(["DSJ-1 abcd"], "f")).Message, StringComparison.Ordinal);
        Assert.Contains("valid serial", Assert.Throws<EnrolmentException>(() => EnrolmentFile.Parse([$"../x {key}"], "f")).Message, StringComparison.Ordinal);
        Assert.Contains("f:2:", Assert.Throws<EnrolmentException>(() => EnrolmentFile.Parse([$"A {key}", $"A {key}"], "f")).Message, StringComparison.Ordinal);
    }

    internal static async Task<List<CustodyEvent>> EventsAsync(CatalogStores catalog)
    {
        var events = new List<CustodyEvent>();
        await foreach (var (_, entry, _) in Dock.Service.Custody.CustodyLog.ReadEntriesAsync(catalog.Database, CancellationToken.None))
        {
            Assert.True(CustodyEvent.TryParse(entry, out var parsed, out var error), error);
            events.Add(parsed);
        }
        return events;
    }
}

/// <summary>`dock recorders …` as an equipment manager runs it: the real executable.</summary>
public sealed class RecordersCommandTests
{
    [Fact]
    public async Task Enroll_FromFileAndFromADockedRecorder_ListShowsThem_RevokeRecords()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 2, ClipsPerRecorder = 0 }, enrol: false);
        var first = fleet.Endpoints[0].Recorder;
        var file = Path.Combine(harness.DataDirectory, "recorders.txt");
        await File.WriteAllTextAsync(file, $"# issued 2026-11\n{first.Serial} {Convert.ToHexStringLower(first.Credential.PublicKey.Span)}\n");

        var (code, stdout, stderr) = await DockHarness.RunDockAsync("recorders", "enroll", "--file", file, "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains("1 key(s) enrolled", stdout, StringComparison.Ordinal);
        (code, stdout, _) = await DockHarness.RunDockAsync("recorders", "enroll", "--file", file, "--data", harness.DataDirectory);
        Assert.Equal(0, code);
        Assert.Contains("already enrolled", stdout, StringComparison.Ordinal);

        // The second recorder proves its key over DockLink, as it sits in a bay.
        (code, stdout, stderr) = await DockHarness.RunDockAsync("recorders", "enroll", "--from", fleet.Endpoints[1].Address, "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains(fleet.Endpoints[1].Recorder.Serial, stdout, StringComparison.Ordinal);

        (code, stdout, stderr) = await DockHarness.RunDockAsync("recorders", "revoke", first.Serial, "--reason", "lost on patrol", "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        (code, stdout, _) = await DockHarness.RunDockAsync("recorders", "list", "--json", "--data", harness.DataDirectory);
        Assert.Equal(0, code);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        var keys = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, keys.Count);
        Assert.Equal("lost on patrol", keys.Single(k => k.GetProperty("serial").GetString() == first.Serial).GetProperty("revokeReason").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null,
            keys.Single(k => k.GetProperty("serial").GetString() == fleet.Endpoints[1].Recorder.Serial).GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task EnrollKeyless_MassStorageSerialTrustedAsClaimed_AKeyedRecorderClaimingItIsNot()
    {
        await using var harness = DockHarness.Create();
        var (code, stdout, stderr) = await DockHarness.RunDockAsync("recorders", "enroll", "--serial", "ZFY-0042", "--keyless", "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);
        Assert.Contains("ZFY-0042  keyless  enrolled", stdout, StringComparison.Ordinal);
        var file = Path.Combine(harness.DataDirectory, "recorders.txt");
        await File.WriteAllTextAsync(file, "ZFY-0043 keyless\n");
        (code, _, stderr) = await DockHarness.RunDockAsync("recorders", "enroll", "--file", file, "--data", harness.DataDirectory);
        Assert.True(code == 0, stderr);

        using var folder = await DataFolder.OpenAsync(harness.DataDirectory, CancellationToken.None);
        var enrolment = new RecorderEnrolment(folder.Catalog.Recorders, folder.Log);
        Assert.True((await enrolment.EvaluateAsync("ZFY-0042", [], CancellationToken.None)).Trusted);
        Assert.True((await enrolment.EvaluateAsync("ZFY-0043", [], CancellationToken.None)).Trusted);
        var unknown = await enrolment.EvaluateAsync("ZFY-0099", [], CancellationToken.None);
        Assert.False(unknown.Trusted);
        Assert.Contains("--keyless", unknown.Reason, StringComparison.Ordinal);
        // A DockLink recorder proving some key under a keyless serial is not that recorder.
        using var key = Dock.Crypto.Keys.Ed25519Key.Generate();
        Assert.False((await enrolment.EvaluateAsync("ZFY-0042", key.PublicKey, CancellationToken.None)).Trusted);
        var events = await EnrolmentTests.EventsAsync(folder.Catalog);
        Assert.Contains(events, e => e.Kind == CustodyEventKind.RecorderEnrolled && e.RecorderSerial == "ZFY-0042"
            && e.Detail!.Contains("trusted as claimed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("bad-line", "expected 'SERIAL PUBLIC-KEY-HEX'")]
    [InlineData("keyless-no-serial", "--serial and --keyless go together")]
    [InlineData("missing", "does not exist")]
    [InlineData("neither", "exactly one of --file")]
    [InlineData("unreachable", "cannot connect to tcp://127.0.0.1:1")]
    public async Task Enroll_BadInput_ExitTwoWithAMessage(string @case, string message)
    {
        await using var harness = DockHarness.Create();
        var file = Path.Combine(harness.DataDirectory, "recorders.txt");
        await File.WriteAllTextAsync(file, "DSJ-1\n");
        string[] args = @case switch
        {
            "bad-line" => ["--file", file],
            "missing" => ["--file", file + ".nope"],
            "neither" => [],
            "keyless-no-serial" => ["--keyless"],
            _ => ["--from", "tcp://127.0.0.1:1"],
        };
        var (code, _, stderr) = await DockHarness.RunDockAsync(["recorders", "enroll", "--data", harness.DataDirectory, .. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
