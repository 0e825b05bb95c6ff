using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Dock.Crypto.Hashing;

namespace Dock.Service.Upload.Targets;

/// <summary>
/// AWS S3 and S3-compatible stores (MinIO, Ceph, Alibaba OSS, Huawei OBS, s3rver) through AWSSDK.S3.
/// Endpoint and credentials follow AWS conventions: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY, AWS_REGION, or the profile chain. Bodies are sent plain (not aws-chunked,
/// which some compatible stores save corrupted while answering 200), with the SHA-256 as
/// x-amz-checksum-sha256 and in the metadata; multipart parts carry their own SHA-256.
/// </summary>
public sealed class S3Target : ICloudTarget
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _endpoint;

    public S3Target(CloudTargetUri uri)
    {
        _bucket = uri.Container;
        var config = new AmazonS3Config
        {
            // Checksums only where S3 requires them; we send SHA-256 ourselves where we want it.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 1, // The uploader retries with backoff and a circuit breaker; the SDK adds one quick retry.
            Timeout = TimeSpan.FromMinutes(2),
        };
        var region = Environment.GetEnvironmentVariable("AWS_REGION") ?? Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION");
        if (Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint;
            config.ForcePathStyle = true; // Compatible stores rarely have wildcard DNS for bucket subdomains.
            config.AuthenticationRegion = region ?? "us-east-1";
            _endpoint = endpoint;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(region ?? "us-east-1");
            _endpoint = $"AWS {config.RegionEndpoint.SystemName}";
        }
        _client = new AmazonS3Client(config);
        Description = $"{uri} at {_endpoint}";
    }

    public string Description { get; }
    public bool SupportsParts => true;
    public bool ChecksumsParts => true;

    public Task CheckAsync(CancellationToken cancellationToken) => Call("checking the bucket", async () =>
    {
        // ListObjects (v1), not v2: some compatible stores (s3rver 3.7) answer v2 with max-keys=1 by a 500.
        await _client.ListObjectsAsync(new ListObjectsRequest { BucketName = _bucket, MaxKeys = 1 }, cancellationToken);
        return true;
    });

    public Task<StoredObject?> HeadAsync(string key, CancellationToken cancellationToken) => Call($"looking up {key}", async () =>
    {
        try
        {
            var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = key }, cancellationToken);
            return new StoredObject(head.ContentLength, head.Metadata["sha256"] is { Length: > 0 } sha ? sha : null);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is not "NoSuchBucket")
        {
            return (StoredObject?)null;
        }
    });

    public Task PutAsync(string key, Stream content, long length, ObjectMetadata metadata, CancellationToken cancellationToken) =>
        Call($"uploading {key}", async () =>
        {
            var request = new PutObjectRequest
            {
                BucketName = _bucket, Key = key, InputStream = content, AutoCloseStream = false, UseChunkEncoding = false,
                ContentType = metadata.ContentType, ChecksumSHA256 = Base64(metadata.Sha256),
            };
            request.Headers.ContentLength = length;
            foreach (var (name, value) in metadata.ToDictionary()) request.Metadata[name] = value;
            await _client.PutObjectAsync(request, cancellationToken);
            return true;
        });

    public Task<string> BeginPartsAsync(string key, ObjectMetadata metadata, CancellationToken cancellationToken) =>
        Call($"starting the multipart upload of {key}", async () =>
        {
            var request = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key, ContentType = metadata.ContentType };
            foreach (var (name, value) in metadata.ToDictionary()) request.Metadata[name] = value;
            return (await _client.InitiateMultipartUploadAsync(request, cancellationToken)).UploadId;
        });

    public Task<string> UploadPartAsync(string key, string uploadId, int partNumber, Stream content, long length, byte[] partSha256,
        CancellationToken cancellationToken) => Call($"uploading part {partNumber} of {key}", async () =>
        {
            var response = await _client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _bucket, Key = key, UploadId = uploadId, PartNumber = partNumber, InputStream = content, PartSize = length,
                UseChunkEncoding = false, ChecksumSHA256 = Convert.ToBase64String(partSha256),
            }, cancellationToken);
            return response.ETag;
        });

    public Task CompletePartsAsync(string key, string uploadId, IReadOnlyList<(int PartNumber, string Receipt)> parts, ObjectMetadata metadata,
        CancellationToken cancellationToken) => Call($"completing the multipart upload of {key}", async () =>
        {
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket, Key = key, UploadId = uploadId,
                PartETags = [.. parts.OrderBy(p => p.PartNumber).Select(p => new PartETag(p.PartNumber, p.Receipt))],
            }, cancellationToken);
            return true;
        });

    public Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken cancellationToken) =>
        Call($"reading {key}", async () =>
        {
            var get = await _client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _bucket, Key = key, ByteRange = new ByteRange(offset, offset + Math.Max(length, 1) - 1),
            }, cancellationToken);
            return get.ResponseStream;
        });

    public Task<CloudVerification> VerifyAsync(string key, long size, string sha256, CancellationToken cancellationToken) =>
        Call($"verifying {key}", async () =>
        {
            var head = await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _bucket, Key = key, ChecksumMode = ChecksumMode.ENABLED }, cancellationToken);
            if (head.ContentLength != size) return new CloudVerification(false, $"the store holds {head.ContentLength} bytes, not {size}", null);
            // A full-object SHA-256 the server computed is proof enough; a composite (per-part) one is not.
            if (head.ChecksumType == ChecksumType.FULL_OBJECT && head.ChecksumSHA256 is { Length: > 0 } reported)
            {
                var found = Convert.ToHexStringLower(Convert.FromBase64String(reported));
                return new CloudVerification(found == sha256, "the store's own SHA-256 (x-amz-checksum-sha256)", found);
            }
            using var get = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key }, cancellationToken);
            var (hash, total) = await Sha256.HashStreamAsync(get.ResponseStream, cancellationToken);
            var read = Sha256.ToHex(hash);
            return new CloudVerification(read == sha256 && total == size, "streamed read-back (the store reports no full-object SHA-256)", read);
        });

    public Task<FetchResult> FetchAsync(string key, string? ifNoneMatch, int maxBytes, CancellationToken cancellationToken) =>
        Call($"reading {key}", async () =>
        {
            try
            {
                using var get = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key, EtagToNotMatch = ifNoneMatch }, cancellationToken);
                if (get.ContentLength is < 0 || get.ContentLength > maxBytes)
                    throw new CloudException(CloudFailure.Rejected, $"{key} is {get.ContentLength} bytes, more than the {maxBytes} expected of it.");
                var content = new byte[get.ContentLength];
                await get.ResponseStream.ReadExactlyAsync(content, cancellationToken);
                return new FetchResult(FetchStatus.Found, content, get.ETag);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotModified)
            {
                return FetchResult.NotModified;
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is not "NoSuchBucket")
            {
                return FetchResult.Missing;
            }
        });

    public Task<IReadOnlyList<string>> ListAsync(string prefix, int max, CancellationToken cancellationToken) =>
        Call($"listing {prefix}", async () =>
        {
            var keys = new List<string>();
            string? marker = null;
            while (keys.Count < max)
            {
                // ListObjects (v1) with a marker: s3rver answers v2 badly (see CheckAsync).
                var page = await _client.ListObjectsAsync(new ListObjectsRequest
                {
                    BucketName = _bucket, Prefix = prefix, Marker = marker, MaxKeys = Math.Min(1000, max - keys.Count),
                }, cancellationToken);
                keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
                if (page.IsTruncated != true || page.S3Objects is not { Count: > 0 }) break;
                marker = page.NextMarker ?? page.S3Objects[^1].Key;
            }
            return (IReadOnlyList<string>)keys;
        });

    private static string Base64(string hex) => Convert.ToBase64String(Convert.FromHexString(hex));

    private async Task<T> Call<T>(string what, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (Map(ex, what) is { } mapped)
        {
            throw mapped;
        }
    }

    private CloudException? Map(Exception ex, string what) => ex switch
    {
        OperationCanceledException => null,
        CloudException => null,
        AmazonS3Exception { ErrorCode: "NoSuchBucket" } => new CloudException(CloudFailure.MissingContainer,
            $"The bucket '{_bucket}' does not exist at {_endpoint} ({what}). Create it; a dock has no right to.", ex),
        AmazonS3Exception { ErrorCode: "NoSuchUpload" } => new CloudException(CloudFailure.UploadGone, $"The store no longer knows this multipart upload ({what}).", ex),
        AmazonS3Exception s3 when s3.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized
            || s3.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" => new CloudException(CloudFailure.Credentials,
            $"The store at {_endpoint} refused the credentials ({s3.ErrorCode}, {what}). Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the profile.", ex),
        AmazonServiceException s when (int)s.StatusCode >= 500 || (int)s.StatusCode is 0 or 408 or 429 || s.ErrorCode is "SlowDown" or "RequestTimeout" =>
            new CloudException(CloudFailure.Transient, $"{what}: the store answered {(int)s.StatusCode} {s.ErrorCode}; will retry.", ex),
        AmazonServiceException s => new CloudException(CloudFailure.Rejected, $"{what}: the store refused with {(int)s.StatusCode} {s.ErrorCode}: {s.Message}", ex),
        AmazonClientException c when c.Message.Contains("credential", StringComparison.OrdinalIgnoreCase) => new CloudException(CloudFailure.Credentials,
            $"No AWS credentials were found ({what}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS profile.", ex),
        // The SDK fails reading an answer it cannot parse (an emulator cutting a body short while the object is rewritten, a bad ETag):
        // what was asked may not have happened; retried.
        ArgumentException or FormatException or System.Xml.XmlException => new CloudException(CloudFailure.Transient,
            $"{what}: the store's answer could not be read ({ex.GetType().Name}: {ex.Message}); will retry.", ex),
        AmazonClientException or HttpRequestException or IOException or SocketException or TimeoutException =>
            new CloudException(CloudFailure.Transient, $"{what}: cannot reach {_endpoint} ({ex.GetType().Name}: {ex.Message}); will retry.", ex),
        _ => null,
    };

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
