using System.Diagnostics;
using Dock.EndToEnd.Tests.Support;
using Dock.Simulator.Hosting;

namespace Dock.EndToEnd.Tests;

/// <summary>dock-verify: the evidence library on its own, as a court would run it, with the same verdicts as `dock verify`.</summary>
public sealed class EvidenceToolTests
{
    [Fact]
    public void EvidenceLibrary_DependsOnNoCatalogCloudGpioOrDock()
    {
        var references = typeof(Dock.Evidence.ClipVerifier).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("Dock.Crypto", references);
        foreach (var forbidden in new[] { "Microsoft.Data.Sqlite", "AWSSDK.S3", "AWSSDK.Core", "Azure.Storage.Blobs", "System.Device.Gpio", "dock", "Dock.Simulator" })
            Assert.DoesNotContain(forbidden, references);
    }

    [Fact]
    public async Task DockVerify_ProvesAClipAndALogExport_AndCatchesATamperedClip()
    {
        await using var harness = DockHarness.Create();
        await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipsPerRecorder = 2, MinClipSize = 100_000, MaxClipSize = 150_000 });
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"));
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 2, CancellationToken.None).WaitAsync(DockHarness.Limit);
            await host.StopAsync();
        }
        var pem = await harness.TrustPemAsync();
        var clip = harness.VaultClips()[0];
        var (code, output) = await RunAsync(clip, "--trust", pem);
        Assert.True(code == 0, output);
        Assert.Contains("VERIFIED", output, StringComparison.Ordinal);

        var export = Path.Combine(harness.DataDirectory, "export");
        var (exported, _, stderr) = await DockHarness.RunDockAsync("log", "export", export, "--data", harness.DataDirectory);
        Assert.True(exported == 0, stderr);
        (code, output) = await RunAsync("log", export, "--trust", pem);
        Assert.True(code == 0, output);

        var copy = Path.Combine(harness.DataDirectory, "copy");
        Directory.CreateDirectory(copy);
        var tampered = Path.Combine(copy, Path.GetFileName(clip));
        File.Copy(clip, tampered);
        File.Copy(Dock.Evidence.ClipVerifier.DefaultManifestPath(clip), tampered + ".manifest.json");
        File.Copy(Dock.Evidence.ClipVerifier.DefaultManifestPath(clip) + ".sig", tampered + ".manifest.json.sig");
        await using (var stream = new FileStream(tampered, FileMode.Open)) { stream.Position = 1000; stream.WriteByte(0x55); }
        (code, output) = await RunAsync(tampered, "--trust", pem);
        Assert.True(code == 10, output); // hash mismatch, as `dock verify` says
        (code, output) = await RunAsync(clip, "--trust", Path.Combine(harness.DataDirectory, "missing.pem"));
        Assert.Equal(2, code);
    }

    /// <summary>Runs dock-verify (the standalone verifier) with <paramref name="args"/>: its exit code and everything it printed.</summary>
    internal static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dock-verify.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(DockHarness.Limit);
        return (process.ExitCode, await stdout + await stderr);
    }
}
