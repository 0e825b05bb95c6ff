namespace Dock.Service.Upload;

/// <summary>
/// The part loop of a resumable upload: every part the store does not hold yet is hashed (its SHA-256
/// travels with it), sent, and recorded through <c>onPart</c> before the next; then the parts are
/// committed in order. Shared by the uploader (which records parts in the catalog) and the benchmark.
/// </summary>
public static class PartTransfer
{
    public delegate Task PartRecorder(int partNumber, string receipt, long length, CancellationToken cancellationToken);

    public delegate Task<T> Caller<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken);

    public static async Task RunAsync(ICloudTarget target, string key, string uploadId, Func<long, long, Stream> open, long size, long partSize, ObjectMetadata metadata,
        IReadOnlyDictionary<int, (string Receipt, long Size)> done, PartRecorder onPart, BandwidthLimiter? limiter, Caller<string> call,
        CancellationToken cancellationToken, int partsInFlight = 4)
    {
        int count = (int)((size + partSize - 1) / partSize);
        var receipts = new string[count];
        using var slots = new SemaphoreSlim(partsInFlight);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = new List<Task>();
        for (int part = 1; part <= count; part++)
        {
            long offset = (part - 1) * partSize;
            long length = Math.Min(partSize, size - offset);
            if (done.TryGetValue(part, out var held) && held.Size == length)
            {
                receipts[part - 1] = held.Receipt;
                continue;
            }
            // Several parts in flight: throughput does not hinge on one request's latency. Each part is
            // recorded as soon as the store has it, so a restart resends only the parts it lacks.
            await slots.WaitAsync(failed.Token);
            int number = part;
            sending.Add(Task.Run(async () =>
            {
                try
                {
                    // A second read of the part, only for stores that check a per-part SHA-256 (S3).
                    byte[] partSha = [];
                    if (target.ChecksumsParts)
                        await using (var forHash = open(offset, length))
                            partSha = await System.Security.Cryptography.SHA256.HashDataAsync(forHash, failed.Token);
                    if (limiter is not null) await limiter.AcquireAsync(length, failed.Token);
                    var receipt = await call(async ct =>
                    {
                        await using var body = open(offset, length);
                        return await target.UploadPartAsync(key, uploadId, number, body, length, partSha, ct);
                    }, failed.Token);
                    await onPart(number, receipt, length, CancellationToken.None);
                    receipts[number - 1] = receipt;
                }
                catch
                {
                    await failed.CancelAsync(); // One part failed: stop sending more; the queue retries the rest later.
                    throw;
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None));
        }
        try
        {
            await Task.WhenAll(sending);
        }
        catch when (sending.FirstOrDefault(t => t.IsFaulted && t.Exception?.InnerException is not OperationCanceledException) is { } first)
        {
            // Report the part that failed, not the ones cancelled because of it.
            throw first.Exception!.InnerException!;
        }
        await call(async ct =>
        {
            await target.CompletePartsAsync(key, uploadId, [.. receipts.Select((r, i) => (i + 1, r))], metadata, ct);
            return "";
        }, cancellationToken);
    }
}
