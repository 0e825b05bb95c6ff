using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Dock.Crypto.Hashing;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Catalog;
using Dock.Service.Vault;
using Dock.Service.Vault.Encryption;
using Dock.Simulator.Hosting;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Retrieval;

/// <summary>Encryption at rest (R6) through `dock run --Dock:Vault:Encryption=true`: the dock killed in the middle of an encrypted pull resumes
/// it; every vault copy is ciphertext, the custody hash is the plaintext's, the cloud gets the plaintext; `dock verify` decrypts as it
/// streams, and a changed chunk fails with the chunk named.</summary>
public sealed class EncryptedVaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EncryptedIngest_KilledMidPull_Resumes_VaultHoldsCiphertext_CloudAndVerifySeePlaintext_ATamperedChunkFails()
    {
        await using var harness = DockHarness.Create();
        var fleet = await harness.StartFleetAsync(new FleetOptions
        {
            Recorders = 2, ClipsPerRecorder = 2, MinClipSize = 6_000_000, MaxClipSize = 9_000_000, ThrottleMBps = 8,
        });
        var originals = fleet.Endpoints.SelectMany(e => e.Recorder.Clips.Select(c => (Serial: e.Recorder.Serial, c.ClipId, Sha: Sha256.ToHex(c.Sha256), c.Size)))
            .ToList();
        var args = harness.RunArguments(("Dock:Vault:Encryption", "true"), ("Dock:CheckpointBytes", "1MiB"));

        // Killed once a pull has made at least 2 MB durable, by the catalog's own account (the file on disk runs ahead of the
        // checkpoint that commits it, so its length alone is no proof): the partial file is already encrypted.
        var partials = Path.Combine(harness.DataDirectory, "vault", "partial");
        using (var dock = DockHarness.StartDockProcess(args, redirect: false))
        {
            await harness.WaitUntilRunningAsync(dock); // past start-up: the catalog exists and is migrated
            await harness.WaitForCatalogAsync(async catalog => (await catalog.Clips.ListClipsAsync(null, CancellationToken.None)).Any(c => c.State == ClipState.Pulling && c.PulledBytes > 2_000_000),
                "a pull with 2 MB checkpointed");
            dock.Kill(entireProcessTree: true);
            await dock.WaitForExitAsync();
        }
        var cut = Directory.EnumerateFiles(partials, "*.part", SearchOption.AllDirectories).First(f => new FileInfo(f).Length > 2_000_000);
        Assert.Equal("DOCKVLT1", Encoding.ASCII.GetString((await File.ReadAllBytesAsync(cut)).AsSpan(0, 8)));
        var pulling = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None)).Where(c => c.State == ClipState.Pulling).ToList();
        Assert.Contains(pulling, c => c.PulledBytes > 0);

        using (var dock = DockHarness.StartDockProcess(args, redirect: true))
        {
            var dockOut = dock.StandardOutput.ReadToEndAsync();
            await harness.WaitUntilRunningAsync(dock);
            await harness.RecordersEmptyAsync();
            await DockHarness.TerminateAsync(dock);
            Assert.True(dock.ExitCode == 0, await dockOut);
            Assert.Contains("Resuming", await dockOut, StringComparison.OrdinalIgnoreCase);
        }

        var pem = await harness.TrustPemAsync();
        var clips = await (await harness.CatalogAsync()).Clips.ListClipsAsync(null, CancellationToken.None);
        foreach (var original in originals)
        {
            var clip = Assert.Single(clips, c => c.RecorderSerial == original.Serial && c.ClipId == original.ClipId);
            Assert.Equal(ClipState.Released, clip.State);
            Assert.Equal(original.Sha, clip.StoredSha256); // custody commits to the plaintext
            var vaultCopy = Path.Combine(harness.DataDirectory, clip.VaultPath!);
            var disk = await File.ReadAllBytesAsync(vaultCopy);
            Assert.Equal("DOCKVLT1", Encoding.ASCII.GetString(disk, 0, 8));
            Assert.NotEqual(original.Sha, Sha256.ToHex(SHA256.HashData(disk)));
            Assert.Equal(ChunkedAead.PlainLength(disk.Length), original.Size);
            var (code, said, err) = await DockHarness.RunDockAsync("verify", vaultCopy, "--trust", pem);
            Assert.True(code == 0, said + err);
        }
        // The cloud holds the plaintext (its checksum is the clip's SHA-256), found by the recorder's hash.
        var cloud = Directory.EnumerateFiles(Path.Combine(harness.DataDirectory, "cloud", "clips"), "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("~meta.json", StringComparison.Ordinal)).Select(f => Sha256.ToHex(SHA256.HashData(File.ReadAllBytes(f)))).ToHashSet();
        Assert.All(originals, o => Assert.Contains(o.Sha, cloud));

        // One byte of chunk 2 of a vault copy changed: `dock verify` says which chunk fails, exit 10.
        var victim = Path.Combine(harness.DataDirectory, clips[0].VaultPath!);
        await using (var file = new FileStream(victim, FileMode.Open))
        {
            file.Position = ChunkedAead.HeaderSize + 2 * ChunkedAead.Stride + 1000;
            var b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x40));
        }
        var (bad, text, _) = await DockHarness.RunDockAsync("verify", victim, "--trust", pem);
        output.WriteLine(text);
        Assert.Equal(10, bad);
        Assert.Contains("chunk 2 ", text, StringComparison.Ordinal);
        Assert.Contains("fails authentication", text, StringComparison.Ordinal);
    }
}
