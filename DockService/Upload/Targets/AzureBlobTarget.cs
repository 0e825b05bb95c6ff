using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dock.Crypto.Hashing;

namespace Dock.Service.Upload.Targets;

/// <summary>
/// Azure Blob storage (and Azurite) through Azure.Storage.Blobs, connected by AZURE_STORAGE_CONNECTION_STRING.
/// Large clips go up as staged blocks, committed in order: uncommitted blocks survive a dock restart (for
/// a week), so the upload resumes. Azure keeps no SHA-256 of a blob, so verification reads it back.
/// </summary>
public sealed class AzureBlobTarget : ICloudTarget
{
    public const string ConnectionVariable = "AZURE_STORAGE_CONNECTION_STRING";
    private readonly BlobContainerClient _container;

    public AzureBlobTarget(CloudTargetUri uri)
    {
        var connection = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (string.IsNullOrWhiteSpace(connection))
            throw new CloudException(CloudFailure.Credentials, $"{uri} needs {ConnectionVariable} (the storage account's connection string).");
        var options = new BlobClientOptions();
        options.Retry.MaxRetries = 1; // The uploader retries with backoff and a circuit breaker.
        options.Retry.NetworkTimeout = TimeSpan.FromMinutes(2);
        try
        {
            _container = new BlobServiceClient(connection, options).GetBlobContainerClient(uri.Container);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // The message of a bad connection string may quote it: say only that it is malformed.
            throw new CloudException(CloudFailure.Credentials, $"{ConnectionVariable} is not a valid Azure Storage connection string.");
        }
        Description = $"{uri} at {_container.Uri.GetLeftPart(UriPartial.Authority)}";
    }

    public string Description { get; }
    public bool SupportsParts => true;
    public bool ChecksumsParts => false;

    public Task CheckAsync(CancellationToken cancellationToken) => Call("checking the container", async () =>
    {
        if (!(await _container.ExistsAsync(cancellationToken)).Value)
            throw new CloudException(CloudFailure.MissingContainer, $"The container '{_container.Name}' does not exist. Create it; a dock has no right to.");
        return true;
    });

    public Task<StoredObject?> HeadAsync(string key, CancellationToken cancellationToken) => Call($"looking up {key}", async () =>
    {
        try
        {
            var properties = (await _container.GetBlobClient(key).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return new StoredObject(properties.ContentLength, properties.Metadata.TryGetValue("sha256", out var sha) ? sha : null);
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode is "BlobNotFound")
        {
            return (StoredObject?)null;
        }
    });

    public Task PutAsync(string key, Stream content, long length, ObjectMetadata metadata, CancellationToken cancellationToken) =>
        Call($"uploading {key}", async () =>
        {
            await _container.GetBlockBlobClient(key).UploadAsync(content, new BlobUploadOptions
            {
                Metadata = metadata.ToDictionary().ToDictionary(),
                HttpHeaders = new BlobHttpHeaders { ContentType = metadata.ContentType },
            }, cancellationToken);
            return true;
        });

    /// <summary>Blocks need no upload id: the staged blocks belong to the blob name until committed.</summary>
    public Task<string> BeginPartsAsync(string key, ObjectMetadata metadata, CancellationToken cancellationToken) => Task.FromResult("blocks");

    public Task<string> UploadPartAsync(string key, string uploadId, int partNumber, Stream content, long length, byte[] partSha256,
        CancellationToken cancellationToken) => Call($"staging block {partNumber} of {key}", async () =>
        {
            var blockId = BlockId(partNumber);
            await _container.GetBlockBlobClient(key).StageBlockAsync(blockId, content, new BlockBlobStageBlockOptions(), cancellationToken);
            return blockId;
        });

    public Task CompletePartsAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string Receipt)> parts, ObjectMetadata metadata,
        CancellationToken cancellationToken) => Call($"committing the blocks of {key}", async () =>
        {
            try
            {
                await _container.GetBlockBlobClient(key).CommitBlockListAsync(parts.OrderBy(p => p.PartNumber).Select(p => p.Receipt), new CommitBlockListOptions
                {
                    Metadata = metadata.ToDictionary().ToDictionary(),
                    HttpHeaders = new BlobHttpHeaders { ContentType = metadata.ContentType },
                }, cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.ErrorCode is "InvalidBlockList" or "InvalidBlockId")
            {
                throw new CloudException(CloudFailure.UploadGone, $"The store no longer holds the staged blocks of {key}.", ex);
            }
            return true;
        });

    public Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken cancellationToken) =>
        Call($"reading {key}", async () =>
        {
            var download = await _container.GetBlobClient(key).DownloadStreamingAsync(
                new Azure.Storage.Blobs.Models.BlobDownloadOptions { Range = new Azure.HttpRange(offset, Math.Max(length, 1)) }, cancellationToken);
            return download.Value.Content;
        });

    public Task<CloudVerification> VerifyAsync(string key, long size, string sha256, CancellationToken cancellationToken) =>
        Call($"verifying {key}", async () =>
        {
            var download = await _container.GetBlobClient(key).DownloadStreamingAsync(cancellationToken: cancellationToken);
            await using var stream = download.Value.Content;
            var (hash, total) = await Sha256.HashStreamAsync(stream, cancellationToken);
            var found = Sha256.ToHex(hash);
            return new CloudVerification(found == sha256 && total == size, "streamed read-back (Azure keeps no SHA-256 of a blob)", found);
        });

    public Task<FetchResult> FetchAsync(string key, string? ifNoneMatch, int maxBytes, CancellationToken cancellationToken) =>
        Call($"reading {key}", async () =>
        {
            try
            {
                var options = new BlobDownloadOptions();
                if (ifNoneMatch is not null) options.Conditions = new BlobRequestConditions { IfNoneMatch = new ETag(ifNoneMatch) };
                var download = await _container.GetBlobClient(key).DownloadStreamingAsync(options, cancellationToken);
                // A 304 is not an exception in the Azure SDK: it is a response with no value (reading Value would throw).
                if (download.GetRawResponse().Status == 304) return FetchResult.NotModified;
                await using var stream = download.Value.Content;
                var length = download.Value.Details.ContentLength;
                if (length > maxBytes)
                    throw new CloudException(CloudFailure.Rejected, $"{key} is {length} bytes, more than the {maxBytes} expected of it.");
                var content = new byte[length];
                await stream.ReadExactlyAsync(content, cancellationToken);
                return new FetchResult(FetchStatus.Found, content, download.Value.Details.ETag.ToString("H"));
            }
            catch (RequestFailedException ex) when (ex.Status == 304)
            {
                return FetchResult.NotModified;
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode is "BlobNotFound")
            {
                return FetchResult.Missing;
            }
        });

    public Task<IReadOnlyList<string>> ListAsync(string prefix, int max, CancellationToken cancellationToken) =>
        Call($"listing {prefix}", async () =>
        {
            var keys = new List<string>();
            await foreach (var blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken))
            {
                keys.Add(blob.Name);
                if (keys.Count >= max) break;
            }
            return (IReadOnlyList<string>)keys;
        });

    private static string BlockId(int partNumber) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"dock-part-{partNumber:D6}"));

    private async Task<T> Call<T>(string what, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (RequestFailedException ex) when (ex.ErrorCode is "ContainerNotFound")
        {
            throw new CloudException(CloudFailure.MissingContainer, $"The container '{_container.Name}' does not exist ({what}). Create it; a dock has no right to.", ex);
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            throw new CloudException(CloudFailure.Credentials, $"The storage account refused the credentials ({ex.ErrorCode}, {what}). Check {ConnectionVariable}.", ex);
        }
        catch (RequestFailedException ex) when (ex.Status is 0 or 408 or 429 or >= 500)
        {
            throw new CloudException(CloudFailure.Transient, $"{what}: the store answered {ex.Status} {ex.ErrorCode}; will retry.", ex);
        }
        catch (RequestFailedException ex)
        {
            throw new CloudException(CloudFailure.Rejected, $"{what}: the store refused with {ex.Status} {ex.ErrorCode}.", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or AggregateException or TimeoutException)
        {
            throw new CloudException(CloudFailure.Transient, $"{what}: cannot reach the storage account ({ex.GetType().Name}); will retry.", ex);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
