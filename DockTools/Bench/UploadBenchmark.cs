using System.Diagnostics;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Dock.Crypto.Hashing;
using Dock.Service.Cli;
using Dock.Service.Upload;
using Dock.Service.Upload.Targets;
using Dock.Simulator.Recorders;

namespace Dock.Tools.Bench;

/// <summary>
/// `dock bench upload`: the dock's upload path (its S3 / Azure target and the resumable part loop the
/// uploader runs, part hashes included) against the SDK's own upload of the same files (TransferUtility;
/// BlobClient.UploadAsync), with the same part size, in the same run, to the same emulator: one large
/// clip, then 8 clips in parallel, over loopback to s3rver and Azurite started for the run.
/// Verification read-back is reported apart.
/// </summary>
public sealed class UploadBenchmark(string dataDirectory, long singleSize, int parallel, long parallelSize, long partSize, TextWriter output)
{
    public sealed record Figure(string Target, string Scenario, double ReferenceMBps, double DockMBps)
    {
        public double Ratio => DockMBps / ReferenceMBps;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        output.WriteLine($"dock bench upload — files in {dataDirectory}, {Environment.ProcessorCount} cores, part size {CliOptions.FormatBytes(partSize)}");
        var single = await MakeFileAsync("single.bin", singleSize, 1, cancellationToken);
        var many = new List<string>();
        for (int i = 0; i < parallel; i++) many.Add(await MakeFileAsync($"clip-{i}.bin", parallelSize, 100 + (ulong)i, cancellationToken));

        var figures = new List<Figure>();
        await using (var s3 = await StorageEmulator.StartS3Async("bench"))
        {
            Environment.SetEnvironmentVariable("AWS_ENDPOINT_URL", s3.Endpoint);
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "S3RVER");
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");
            Environment.SetEnvironmentVariable("AWS_REGION", "us-east-1");
            using var plain = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"),
                new AmazonS3Config { ServiceURL = s3.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
                    RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED });
            CloudTargetUri.TryParse("s3://bench/dock", out var uri, out _);
            await using var target = new S3Target(uri);
            using var transfer = new Amazon.S3.Transfer.TransferUtility(plain);
            figures.AddRange(await CompareAsync("s3rver", target, (path, key, ct) => PlainS3Async(transfer, path, key, ct), single, many, cancellationToken));
        }
        await using (var azurite = await StorageEmulator.StartAzuriteAsync())
        {
            Environment.SetEnvironmentVariable(AzureBlobTarget.ConnectionVariable, azurite.AzureConnectionString);
            var container = new BlobServiceClient(azurite.AzureConnectionString).GetBlobContainerClient("bench");
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            CloudTargetUri.TryParse("azblob://bench/dock", out var uri, out _);
            await using var target = new AzureBlobTarget(uri);
            figures.AddRange(await CompareAsync("Azurite", target, async (path, key, ct) =>
            {
                // The SDK's own parallel block upload, with blocks the size of the dock's parts.
                await container.GetBlobClient("plain/" + key).UploadAsync(path, new Azure.Storage.Blobs.Models.BlobUploadOptions
                {
                    TransferOptions = new Azure.Storage.StorageTransferOptions { InitialTransferSize = partSize, MaximumTransferSize = partSize },
                }, ct);
            }, single, many, cancellationToken));
        }

        bool ok = true;
        foreach (var f in figures)
        {
            output.WriteLine($"  {f.Target,-8} {f.Scenario,-26} plain SDK {f.ReferenceMBps,7:0.0} MB/s   dock {f.DockMBps,7:0.0} MB/s   ratio {f.Ratio:0.00}   (target ≥ 0.90)");
            ok &= f.Ratio >= 0.9;
        }
        output.WriteLine(ok ? "Targets met." : "A target was missed (see above).");
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private async Task<IReadOnlyList<Figure>> CompareAsync(string name, ICloudTarget target, Func<string, string, CancellationToken, Task> plain,
        string single, IReadOnlyList<string> many, CancellationToken cancellationToken)
    {
        // Warm both paths once (connections, JIT), then measure each scenario reference first, dock second.
        await plain(many[0], "warm", cancellationToken);
        await DockUploadAsync(target, many[0], "warm", cancellationToken);
        var figures = new List<Figure>();
        var clock = Stopwatch.StartNew();
        await plain(single, "single", cancellationToken);
        double reference = singleSize / 1e6 / clock.Elapsed.TotalSeconds;
        clock.Restart();
        await DockUploadAsync(target, single, "single", cancellationToken);
        double dock = singleSize / 1e6 / clock.Elapsed.TotalSeconds;
        figures.Add(new Figure(name, $"1 × {CliOptions.FormatBytes(singleSize)}", reference, dock));

        long total = parallelSize * many.Count;
        clock.Restart();
        await Task.WhenAll(many.Select((path, i) => plain(path, $"p{i}", cancellationToken)));
        reference = total / 1e6 / clock.Elapsed.TotalSeconds;
        clock.Restart();
        await Task.WhenAll(many.Select((path, i) => DockUploadAsync(target, path, $"p{i}", cancellationToken)));
        dock = total / 1e6 / clock.Elapsed.TotalSeconds;
        figures.Add(new Figure(name, $"{many.Count} × {CliOptions.FormatBytes(parallelSize)} in parallel", reference, dock));

        clock.Restart();
        var check = await target.VerifyAsync("dock/single", singleSize, Sha256.ToHex(await Sha256.HashFileAsync(single, cancellationToken: cancellationToken)), cancellationToken);
        output.WriteLine($"  {name,-8} verification of the single clip: {check.How}, {(check.Matches ? "matches" : "MISMATCH")}, " +
            $"{singleSize / 1e6 / clock.Elapsed.TotalSeconds:0.0} MB/s");
        return figures;
    }

    /// <summary>What the uploader does for one clip: parts (hashed, sent, recorded) and the commit.</summary>
    private async Task DockUploadAsync(ICloudTarget target, string path, string name, CancellationToken cancellationToken)
    {
        long size = new FileInfo(path).Length;
        var metadata = new ObjectMetadata(new string('0', 64), "bench", "BENCH", name, "application/octet-stream");
        var key = "dock/" + name;
        var uploadId = await target.BeginPartsAsync(key, metadata, cancellationToken);
        await PartTransfer.RunAsync(target, key, uploadId, (offset, length) => new FileSegmentStream(path, offset, length), size, partSize, metadata, new Dictionary<int, (string, long)>(),
            (_, _, _, _) => Task.CompletedTask, null, (action, ct) => action(ct), cancellationToken);
    }

    /// <summary>The SDK's own multipart upload (TransferUtility: parallel parts), with the dock's part size.</summary>
    private async Task PlainS3Async(Amazon.S3.Transfer.TransferUtility transfer, string path, string key, CancellationToken cancellationToken)
    {
        var request = new Amazon.S3.Transfer.TransferUtilityUploadRequest { BucketName = "bench", Key = "plain/" + key, FilePath = path, PartSize = partSize };
        await transfer.UploadAsync(request, cancellationToken);
    }

    private async Task<string> MakeFileAsync(string name, long size, ulong seed, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, name);
        var content = new SyntheticContent(seed);
        var buffer = new byte[1 << 20];
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, size - offset);
            content.Read(offset, buffer.AsSpan(0, n));
            await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
        }
        return path;
    }
}
