using Dock.Crypto.Custody;
using Dock.Crypto.Hashing;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Dock.Service.Ingest;
using Dock.Service.Vault;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Dock.Service.Upload;

/// <summary>
/// Forwards verified clips to the cloud target (R1: 即时上传云存储) from the durable queue in the catalog:
/// R11 recordings first; a concurrency limit, an optional bandwidth cap and blackout windows; multipart
/// uploads resumed part by part after a restart; retries with backoff and jitter behind a circuit
/// breaker; and then a check of what the store holds. Only a clip whose cloud copy verified may be
/// released (ReleasePolicy.AfterCloudVerify). Every step is a custody event.
/// </summary>
public sealed partial class Uploader
{
    private readonly CatalogStores _catalog;
    private readonly ClipVault _vault;
    private readonly CustodyLog _log;
    private readonly ICloudTarget _target;
    private readonly CloudTargetUri _uri;
    private readonly CloudOptions _options;
    private readonly DockActivity _activity;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BandwidthLimiter? _limiter;
    private readonly ResiliencePipeline _calls;
    private readonly IReadOnlyList<UploadWindow> _blackout;
    private readonly HashSet<long> _busy = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _alerted = new(StringComparer.Ordinal);
    // Queuing (row + "queued" event) and claiming take turns, so no upload starts before its "queued" is in the log.
    private readonly SemaphoreSlim _queueTurn = new(1, 1);
    private readonly UploadOutbox _outbox;
    // Target-wide trouble a person must fix (credentials, a missing bucket or folder): uploads pause, and the target is
    // checked again every TargetRecheckInterval until it works, then everything pending is due at once.
    private string? _targetProblem;
    private readonly ChangeSignal _targetChanged = new();
    private readonly Release.ReleaseCoordinator _releases;
    private readonly Ingest.RecheckRequests _rechecks;
    // A store that fails every call: since when, and why (the outage alert, after OutageAlertAfter).
    private DateTimeOffset? _failingSince;
    private string? _lastFailure;

    // The clips' tags follow them to the cloud as signed sidecars (Metadata/MetadataSidecar).
    private readonly Metadata.ClipTagging _tagging;
    private readonly Metadata.TagStore _tags;
    private readonly Func<byte[], byte[]> _sign;
    private readonly Metadata.TagChanges? _tagChanges;

    /// <summary>Changes made by another process (`dock clips tag`) reach the cloud within this.</summary>
    private static readonly TimeSpan MetadataSweep = TimeSpan.FromSeconds(60);

    public Uploader(CatalogStores catalog, ClipVault vault, CustodyLog log, ICloudTarget target, CloudTargetUri uri, CloudOptions options,
        DockActivity activity, Release.ReleaseCoordinator releases, Ingest.RecheckRequests rechecks, ILogger<Uploader> logger, TimeProvider time,
        Metadata.ClipTagging tagging, Func<byte[], byte[]> sign, Metadata.TagChanges? tagChanges = null, UploadOutbox? outbox = null)
    {
        _tagging = tagging;
        _tags = new Metadata.TagStore(catalog.Database);
        _sign = sign;
        _tagChanges = tagChanges;
        _releases = releases;
        _rechecks = rechecks;
        _outbox = outbox ?? new UploadOutbox(uri);
        _catalog = catalog;
        _vault = vault;
        _log = log;
        _target = target;
        _uri = uri;
        _options = options;
        _activity = activity;
        _logger = logger;
        _time = time;
        _limiter = options.MaxMBps > 0 ? new BandwidthLimiter(options.MaxMBps * 1e6, time) : null;
        _blackout = [.. options.Blackout.Select(w => UploadWindows.TryParse(w, out var window, out _) ? window : null!)];
        // Quick retries for a blip, inside a breaker that stops hammering a store that is down; the queue's
        // own backoff (persisted, so it survives restarts) takes over for long outages.
        _calls = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<CloudException>(e => e.Failure == CloudFailure.Transient),
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<CloudException>(e => e.Failure == CloudFailure.Transient),
                FailureRatio = 0.5,
                MinimumThroughput = 8,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = TimeSpan.FromSeconds(15),
            })
            .Build();
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await CheckTargetAsync(stoppingToken);
            int moved = await _catalog.Uploads.RetargetPendingUploadsAsync(_uri.ToString(), stoppingToken);
            if (moved > 0) LogRetargeted(_logger, moved, _uri.ToString());
            await _catalog.Uploads.MakePendingUploadsDueAsync(stoppingToken);
            await EnqueueVerifiedAsync(stoppingToken);
            var workers = Enumerable.Range(0, _options.MaxConcurrentUploads).Select(_ => WorkerAsync(stoppingToken)).ToList();
            workers.Add(WatchBacklogAsync(stoppingToken));
            workers.Add(WatchOutageAsync(stoppingToken));
            workers.Add(WatchTargetAsync(stoppingToken));
            workers.Add(SyncMetadataAsync(stoppingToken));
            await Task.WhenAll(workers);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the queue is durable; whatever was in flight resumes at the next start.
        }
    }

    /// <summary>Checks the target; returns whether it can be used. A target a person must fix pauses the uploads.</summary>
    private async Task<bool> CheckTargetAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _target.CheckAsync(cancellationToken);
            LogTargetReady(_logger, _target.Description);
            await TargetWorksAsync(cancellationToken);
            return true;
        }
        catch (CloudException ex)
        {
            // The dock keeps ingesting (getting footage off the cameras matters most); nothing is released meanwhile.
            if (ex.Failure is CloudFailure.Credentials or CloudFailure.MissingContainer) await TargetNeedsAPersonAsync(ex.Message, cancellationToken);
            else await AlertAsync("cloud-target", null, null, $"the cloud target {_target.Description} cannot be used: {ex.Message} " +
                "Clips stay queued and on the recorders until it works.", cancellationToken);
            return false;
        }
    }

    /// <summary>Pauses the uploads until the target works again (a person must act), with the alert that says so.</summary>
    private async Task TargetNeedsAPersonAsync(string problem, CancellationToken cancellationToken)
    {
        bool isNew;
        lock (_lock)
        {
            isNew = _targetProblem is null;
            _targetProblem = problem;
        }
        _activity.SetCloudProblem(problem);
        await AlertAsync("cloud-target", null, null, $"the cloud target {_target.Description} cannot be used: {problem} " +
            "Uploads are paused and clips stay in the vault and on the recorders until it works; the dock checks it again every " +
            $"{_options.TargetRecheckInterval.TotalSeconds:0.#} s.", cancellationToken);
        if (isNew) SignalTarget();
    }

    /// <summary>The target works: resume uploads now, and resolve what was alerted about it.</summary>
    private async Task TargetWorksAsync(CancellationToken cancellationToken)
    {
        bool wasDown;
        lock (_lock)
        {
            wasDown = _targetProblem is not null;
            _targetProblem = null;
        }
        _activity.SetCloudProblem(null);
        await _catalog.Alerts.ResolveAlertsAsync("cloud-target", null, null, $"the cloud target {_target.Description} works again", cancellationToken);
        if (!wasDown) return;
        await _catalog.Uploads.MakePendingUploadsDueAsync(cancellationToken);
        LogTargetBack(_logger, _target.Description);
        SignalTarget();
    }

    private void SignalTarget() => _targetChanged.Signal();

    /// <summary>While the target needs a person, checks it again every TargetRecheckInterval; once it works, uploads resume.</summary>
    private async Task WatchTargetAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var changed = _targetChanged.Next;
            string? problem;
            lock (_lock) problem = _targetProblem;
            if (problem is null)
            {
                await changed.WaitAsync(stoppingToken);
                continue;
            }
            await Task.Delay(_options.TargetRecheckInterval, _time, stoppingToken);
            await CheckTargetAsync(stoppingToken);
        }
    }

    /// <summary>
    /// R10: a store that fails every call for OutageAlertAfter (minutes, not the day the backlog alert waits) is an outage:
    /// alerted while clips wait, resolved at the first call that works again.
    /// </summary>
    private async Task WatchOutageAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(_options.OutageAlertAfter.Ticks / 4, TimeSpan.FromMilliseconds(250).Ticks, TimeSpan.FromSeconds(30).Ticks));
        while (true)
        {
            await Task.Delay(period, _time, stoppingToken);
            DateTimeOffset? since;
            string? why;
            lock (_lock) (since, why) = (_failingSince, _lastFailure);
            if (since is not { } start || _time.GetUtcNow() - start < _options.OutageAlertAfter) continue;
            if (await _catalog.Uploads.OldestPendingUploadAsync(stoppingToken) is null) continue;
            await AlertAsync("cloud-outage", null, null, $"the cloud target {_target.Description} has failed every call since {start:u} " +
                $"({(_time.GetUtcNow() - start).TotalMinutes:0.#} min): {why}. Verified clips stay in the vault and on the recorders; uploads resume " +
                "by themselves when it answers.", stoppingToken);
        }
    }

    private async Task NoteCallAsync(Exception? failure)
    {
        bool recovered = false;
        lock (_lock)
        {
            if (failure is null)
            {
                recovered = _failingSince is not null;
                _failingSince = null;
            }
            else
            {
                _failingSince ??= _time.GetUtcNow();
                _lastFailure = failure is BrokenCircuitException ? "the store keeps failing; calls are paused" : failure.Message;
            }
        }
        if (recovered)
            await _catalog.Alerts.ResolveAlertsAsync("cloud-outage", null, null, $"the cloud target {_target.Description} answers again", CancellationToken.None);
    }

    /// <summary>At start: queues verified clips that are not queued yet (each a custody event): clips verified while the dock had no
    /// cloud target, or by a version without the outbox. Clips verified from now on are queued by the ingest pipeline itself.</summary>
    private async Task EnqueueVerifiedAsync(CancellationToken cancellationToken)
    {
        await _queueTurn.WaitAsync(cancellationToken);
        try
        {
            var added = await _catalog.Uploads.EnqueueVerifiedAsync(_uri.ToString(), c => ObjectLayout.Clip(_uri.Prefix, c.DeviceStart, c.RecorderSerial, c.ClipId),
                cancellationToken);
            foreach (var (upload, clip) in added)
                await RecordAsync(CustodyEventKind.Queued, clip, $"for {_uri}/{upload.ObjectKey} (priority {upload.Priority})", CancellationToken.None);
        }
        finally
        {
            _queueTurn.Release();
        }
    }

    private async Task WorkerAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await WorkOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is StorageException or IOException && !StorageException.IsDamage(ex))
            {
                // The catalog is busy or its disk is full for a moment: the queue is durable, so wait and look again (unless it is damaged).
                await _catalog.Database.ThrowIfDamagedAsync(ex, stoppingToken);
                LogQueueError(_logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), _time, stoppingToken);
            }
        }
    }

    private async Task WorkOnceAsync(CancellationToken stoppingToken)
    {
        stoppingToken.ThrowIfCancellationRequested();
        // Woken when the ingest pipeline queues a clip (the outbox); the queue grows whatever the target's state: it is what waits for it.
        var changed = _outbox.Next;
        var targetChanged = _targetChanged.Next;
        string? problem;
        lock (_lock) problem = _targetProblem;
        if (problem is not null)
        {
            // Paused until the target works again (WatchTargetAsync): no upload can succeed, and each attempt would be noise.
            await Task.WhenAny(targetChanged, changed).WaitAsync(stoppingToken);
            return;
        }
        var wait = UploadWindows.WaitAt(_blackout, TimeOnly.FromDateTime(_time.GetLocalNow().DateTime));
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait < TimeSpan.FromMinutes(1) ? wait : TimeSpan.FromMinutes(1), _time, stoppingToken);
            return;
        }
        var upload = await ClaimNextAsync(stoppingToken);
        if (upload is null)
        {
            var due = await _catalog.Uploads.NextUploadDueAtAsync(stoppingToken);
            var idle = due is { } at ? at - _time.GetUtcNow() : TimeSpan.FromSeconds(30);
            idle = idle < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : idle > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : idle;
            await Task.WhenAny(changed, Task.Delay(idle, _time, stoppingToken));
            return;
        }
        try
        {
            await ProcessAsync(upload, stoppingToken);
        }
        finally
        {
            lock (_lock) _busy.Remove(upload.Id);
        }
    }

    private async Task<UploadRecord?> ClaimNextAsync(CancellationToken cancellationToken)
    {
        await _queueTurn.WaitAsync(cancellationToken);
        try
        {
            long[] busy;
            lock (_lock) busy = [.. _busy];
            var next = await _catalog.Uploads.NextDueUploadAsync(_time.GetUtcNow(), busy, cancellationToken);
            if (next is null) return null;
            lock (_lock) _busy.Add(next.Id);
            return next;
        }
        finally
        {
            _queueTurn.Release();
        }
    }

    private async Task ProcessAsync(UploadRecord upload, CancellationToken stoppingToken)
    {
        var clip = await _catalog.Clips.GetClipAsync(upload.ClipRow, stoppingToken)
            ?? throw new StorageException($"Upload {upload.Id} names clip row {upload.ClipRow}, which does not exist.");
        try
        {
            await UploadAndVerifyAsync(upload, clip, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (CloudException ex) when (ex.Failure == CloudFailure.UploadGone)
        {
            await _catalog.Uploads.ResetUploadAsync(upload.Id, CancellationToken.None);
            await RetryLaterAsync(upload, clip, ex.Message, TimeSpan.Zero);
        }
        catch (CloudException ex) when (ex.Failure is CloudFailure.Credentials or CloudFailure.MissingContainer)
        {
            // The whole target needs a person: pause every upload until it works (then this one is due at once).
            await RetryLaterAsync(upload, clip, ex.Message, _options.MaxRetryDelay);
            await TargetNeedsAPersonAsync(ex.Message, CancellationToken.None);
        }
        catch (CloudException ex) when (ex.NeedsAPerson)
        {
            await AlertAsync("cloud-rejected", clip.RecorderSerial, clip.ClipId, $"the cloud target refused {clip.RecorderSerial}/{clip.ClipId}: {ex.Message}",
                CancellationToken.None);
            await RetryLaterAsync(upload, clip, ex.Message, _options.MaxRetryDelay);
        }
        catch (VaultCopyMissingException ex)
        {
            await VaultCopyMissingAsync(upload, clip, ex.Path);
        }
        catch (Exception ex) when (ex is CloudException or BrokenCircuitException or IOException or OperationCanceledException)
        {
            // Transient (including an HTTP timeout): back off, with jitter so a fleet of docks does not retry in step.
            await RetryLaterAsync(upload, clip, ex is BrokenCircuitException ? "the store keeps failing; pausing uploads" : ex.Message, Backoff(upload.Attempts));
        }
    }

    private async Task UploadAndVerifyAsync(UploadRecord upload, ClipRecord clip, CancellationToken cancellationToken)
    {
        var key = upload.ObjectKey;
        var path = _vault.Resolve(clip.VaultPath ?? throw new StorageException($"{clip.RecorderSerial}/{clip.ClipId} has no vault copy to upload."));
        var manifest = _vault.Resolve(clip.ManifestPath ?? throw new StorageException($"{clip.RecorderSerial}/{clip.ClipId} has no manifest."));
        if (upload.State != UploadState.Uploaded && !File.Exists(path)) throw new VaultCopyMissingException(clip.VaultPath!);
        var metadata = new ObjectMetadata(clip.DeviceSha256, _log.DockId, clip.RecorderSerial, clip.ClipId, "application/octet-stream");

        if (upload.State != UploadState.Uploaded)
        {
            var existing = await Call(ct => _target.HeadAsync(key, ct), cancellationToken);
            if (existing is { } found && found.Size == clip.Size && found.Sha256Metadata == clip.DeviceSha256)
            {
                // Idempotent: the store already holds this content under this name (an earlier run got this far).
                await RecordAsync(CustodyEventKind.Uploaded, clip, $"{_uri}/{key}: already in the store with this sha256", cancellationToken);
            }
            else
            {
                var parts = await _catalog.Uploads.ListUploadPartsAsync(upload.Id, cancellationToken);
                await RecordAsync(CustodyEventKind.Uploading, clip, parts.Count == 0
                    ? $"to {_uri}/{key}"
                    : $"to {_uri}/{key}, resuming: {parts.Count} part(s) already in the store", cancellationToken);
                await _catalog.Uploads.SetUploadStateAsync(upload.Id, UploadState.Uploading, cancellationToken);
                if (_target.SupportsParts && clip.Size > _options.MultipartThreshold)
                    await UploadPartsAsync(upload, clip, path, key, metadata, cancellationToken);
                else
                {
                    if (_limiter is not null) await _limiter.AcquireAsync(clip.Size, cancellationToken);
                    await Call(async ct =>
                    {
                        // The plaintext the custody log commits to, decrypted as it goes when the vault copy is encrypted.
                        await using var body = _vault.OpenRead(path, 0, clip.Size);
                        await _target.PutAsync(key, body, clip.Size, metadata, ct);
                        return true;
                    }, cancellationToken);
                }
                await RecordAsync(CustodyEventKind.Uploaded, clip, $"{_uri}/{key}", cancellationToken);
            }
            await PutSmallAsync(ObjectLayout.Manifest(_uri.Prefix, key), manifest, metadata with { ContentType = "application/json" }, cancellationToken);
            await PutSmallAsync(ObjectLayout.ManifestSignature(_uri.Prefix, key), manifest + ".sig", metadata, cancellationToken);
            await PublishMetadataAsync(clip, key, cancellationToken);
            await _catalog.Uploads.SetUploadStateAsync(upload.Id, UploadState.Uploaded, cancellationToken);
        }

        var check = await Call(ct => _target.VerifyAsync(key, clip.Size, clip.DeviceSha256, ct), cancellationToken);
        if (!check.Matches)
        {
            // The store holds something else: never count it as a copy. Upload again from the start.
            await _catalog.Uploads.ResetUploadAsync(upload.Id, CancellationToken.None);
            throw new CloudException(CloudFailure.Transient, $"{_uri}/{key} did not verify ({check.How}: found sha256 {check.FoundSha256 ?? "none"}, " +
                $"expected {clip.DeviceSha256}); uploading it again.");
        }
        await RecordAsync(CustodyEventKind.CloudVerified, clip, $"{_uri}/{key}: {check.How}", cancellationToken);
        // The cloud gets a checkpoint covering this clip's trail before the clip may be released.
        await UploadCheckpointAsync(cancellationToken);
        await _catalog.Uploads.SetUploadStateAsync(upload.Id, UploadState.Verified, cancellationToken);
        _activity.SetCloudProblem(null);
        _activity.ClipCloudVerified();
        // The release decision is the coordinator's: it wakes the recorder's docking if it is docked.
        _releases.CloudCopyVerified(clip.RecorderSerial, clip.Id);
        LogCloudVerified(_logger, clip.RecorderSerial, clip.ClipId, key, check.How);
    }

    /// <summary>A parts upload, resumed from the parts the catalog says the store already holds.</summary>
    private async Task UploadPartsAsync(UploadRecord upload, ClipRecord clip, string path, string key, ObjectMetadata metadata, CancellationToken cancellationToken)
    {
        long partSize = upload.PartSize ?? _options.PartSize;
        var uploadId = upload.UploadId;
        if (uploadId is null)
        {
            uploadId = await Call(ct => _target.BeginPartsAsync(key, metadata, ct), cancellationToken);
            await _catalog.Uploads.SetUploadIdAsync(upload.Id, uploadId, partSize, cancellationToken);
        }
        var done = (await _catalog.Uploads.ListUploadPartsAsync(upload.Id, cancellationToken)).ToDictionary(p => p.PartNumber, p => (p.Receipt, p.Size));
        await PartTransfer.RunAsync(_target, key, uploadId, (offset, length) => _vault.OpenRead(path, offset, length), clip.Size, partSize, metadata, done,
            (part, receipt, length, ct) => _catalog.Uploads.AddUploadPartAsync(upload.Id, part, receipt, length, ct), _limiter,
            (action, ct) => Call(action, ct), cancellationToken);
    }

    /// <summary>Writes the clip's tags as its signed sidecar beside its manifest, unless the cloud holds this version already. The version
    /// is read before the tags, so a sidecar never claims a version its content does not reach (a change in between is written next).</summary>
    private async Task PublishMetadataAsync(ClipRecord clip, string key, CancellationToken cancellationToken)
    {
        var (version, published) = await _tags.VersionAsync(clip.Id, cancellationToken);
        if (published >= version) return;
        var document = Metadata.MetadataSidecar.Build(_log.DockId, clip, await _tagging.ReadAsync(clip, cancellationToken), version);
        var metadata = new ObjectMetadata(clip.DeviceSha256, _log.DockId, clip.RecorderSerial, clip.ClipId, "application/json");
        await PutBytesAsync(ObjectLayout.Metadata(_uri.Prefix, key), document, metadata, cancellationToken);
        await PutBytesAsync(ObjectLayout.MetadataSignature(_uri.Prefix, key), _sign(document), metadata with { ContentType = "application/octet-stream" },
            cancellationToken);
        await _tags.MarkPublishedAsync(clip.Id, version, cancellationToken);
    }

    /// <summary>Tags changed after their clip went up: the sidecar follows, at once for changes made in this process, within
    /// <see cref="MetadataSweep"/> for others. A failure waits for the next turn (the queue's own retries are for clips).</summary>
    private async Task SyncMetadataAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            var changed = _tagChanges?.Next ?? Task.Delay(Timeout.Infinite, stoppingToken);
            bool targetDown;
            lock (_lock) targetDown = _targetProblem is not null;
            if (!targetDown)
            {
                foreach (var row in await _tags.UnpublishedAsync(100, stoppingToken))
                {
                    if (await _catalog.Clips.GetClipAsync(row, stoppingToken) is not { } clip
                        || await _catalog.Uploads.GetUploadForClipAsync(row, stoppingToken) is not { } upload) continue;
                    try
                    {
                        await PublishMetadataAsync(clip, upload.ObjectKey, stoppingToken);
                    }
                    catch (Exception ex) when (ex is CloudException or BrokenCircuitException or IOException)
                    {
                        LogMetadataRetry(_logger, clip.RecorderSerial, clip.ClipId, ex.Message);
                        break;
                    }
                }
            }
            await Task.WhenAny(changed, Task.Delay(MetadataSweep, _time, stoppingToken));
            stoppingToken.ThrowIfCancellationRequested();
        }
    }

    private async Task PutBytesAsync(string key, byte[] bytes, ObjectMetadata metadata, CancellationToken cancellationToken) =>
        await Call(async ct =>
        {
            await _target.PutAsync(key, new MemoryStream(bytes, writable: false), bytes.Length, metadata with { Sha256 = Sha256.ToHex(Sha256.Hash(bytes)) }, ct);
            return true;
        }, cancellationToken);

    private async Task PutSmallAsync(string key, string path, ObjectMetadata metadata, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        await Call(async ct =>
        {
            await _target.PutAsync(key, new MemoryStream(bytes, writable: false), bytes.Length, metadata with { Sha256 = Sha256.ToHex(Sha256.Hash(bytes)) }, ct);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// The vault copy of a clip not yet verified in the cloud is gone (deleted outside the dock). Custody gets a missing
    /// entry; the clip goes back to be pulled again (its recorder still holds it unless it was released after a local
    /// verify), leaving its orphaned manifest in quarantine; the upload is dropped and made again once it verifies. If
    /// the recorder is docked now, it is asked to pull at once.
    /// </summary>
    private async Task VaultCopyMissingAsync(UploadRecord upload, ClipRecord clip, string relativePath)
    {
        var onRecorder = clip.LeftRecorderAt is null;
        var detail = $"the vault copy {relativePath} is gone (deleted outside the dock) before its cloud copy was verified; " + (onRecorder
            ? "its recorder still holds the clip, so it is pulled again at its next docking"
            : "its recorder released it already: no copy is left on this dock or in the cloud");
        var sidecars = new List<string>();
        foreach (var sidecar in new[] { clip.ManifestPath, clip.ManifestPath is null ? null : clip.ManifestPath + ".sig" })
        {
            if (sidecar is null || !File.Exists(_vault.Resolve(sidecar))) continue;
            sidecars.Add(_vault.Quarantine(_vault.Resolve(sidecar), clip.RecorderSerial, Path.GetFileName(sidecar), _time.GetUtcNow(), encoded: true));
        }
        await _log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.Missing, at, _log.DockId, _log.DockId, clip.RecorderSerial,
            clip.ClipId, clip.DeviceSha256, clip.Size, Detail: detail), CancellationToken.None,
            (c, tx, _) => _catalog.Lifecycle.VaultCopyMissingAsync(c, tx, clip.Id, upload.Id, onRecorder, detail +
                (sidecars.Count > 0 ? $"; its manifest moved to {string.Join(", ", sidecars)}" : "")));
        await AlertAsync("vault-copy-missing", clip.RecorderSerial, clip.ClipId, $"{clip.RecorderSerial}/{clip.ClipId}: {detail}", CancellationToken.None);
        LogVaultCopyMissing(_logger, clip.RecorderSerial, clip.ClipId, relativePath);
        if (onRecorder) _rechecks.Request(clip.RecorderSerial);
    }

    /// <summary>Puts the latest signed checkpoint under PREFIX/custody/DOCKID/, so the cloud holds what the manifests are proven against.</summary>
    private async Task UploadCheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (checkpoint, note) = await _log.CheckpointAsync(cancellationToken);
            var bytes = System.Text.Encoding.UTF8.GetBytes(note);
            var metadata = new ObjectMetadata(Sha256.ToHex(Sha256.Hash(bytes)), _log.DockId, null, null, "text/plain; charset=utf-8");
            var key = ObjectLayout.Checkpoint(_uri.Prefix, _log.DockId, checkpoint.Size);
            // A published checkpoint is never overwritten: the same size with another note would hide a fork the store must keep.
            if (await Call(ct => _target.HeadAsync(key, ct), cancellationToken) is { } existing)
            {
                if (existing.Sha256Metadata != metadata.Sha256)
                    await AlertAsync("custody-fork", null, null, $"the cloud already holds a different checkpoint for {checkpoint.Size} custody entries " +
                        $"({_uri}/{key}): this dock's log contradicts one it published (a catalog put back from an old copy, or a second dock with the " +
                        "same id and target). The dock did not overwrite it. Stop the dock and have the custody log examined.", cancellationToken);
                return;
            }
            await Call(async ct =>
            {
                await _target.PutAsync(key, new MemoryStream(bytes), bytes.Length, metadata, ct);
                return true;
            }, cancellationToken);
        }
        catch (CloudException ex)
        {
            LogCheckpointUploadFailed(_logger, ex.Message); // The next verified clip uploads a newer one.
        }
    }

    private async Task<T> Call<T>(Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _calls.ExecuteAsync(async ct => await action(ct), cancellationToken);
            await NoteCallAsync(null);
            return result;
        }
        catch (Exception ex) when (ex is CloudException { Failure: CloudFailure.Transient } or BrokenCircuitException)
        {
            await NoteCallAsync(ex);
            throw;
        }
    }

    private async Task RetryLaterAsync(UploadRecord upload, ClipRecord clip, string error, TimeSpan delay)
    {
        await _catalog.Uploads.ScheduleUploadRetryAsync(upload.Id, error, _time.GetUtcNow() + delay, CancellationToken.None);
        LogRetry(_logger, clip.RecorderSerial, clip.ClipId, error, delay);
    }

    /// <summary>Exponential from 1 s to MaxRetryDelay, with "full jitter" in its upper half.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var ceiling = TimeSpan.FromSeconds(Math.Min(_options.MaxRetryDelay.TotalSeconds, Math.Pow(2, Math.Min(attempts, 20))));
        return ceiling * (0.5 + Random.Shared.NextDouble() / 2);
    }

    /// <summary>R10: the dock may be offline for days; say so when the oldest waiting clip gets too old.</summary>
    private async Task WatchBacklogAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(_options.PendingAlertAfter.Ticks / 4, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(5).Ticks));
        while (true)
        {
            var oldest = await _catalog.Uploads.OldestPendingUploadAsync(stoppingToken);
            if (oldest is not null && _time.GetUtcNow() - oldest.QueuedAt > _options.PendingAlertAfter)
                await AlertAsync("cloud-backlog", null, null, $"the oldest clip waiting for the cloud was queued {oldest.QueuedAt:u} " +
                    $"(more than {_options.PendingAlertAfter} ago); last error: {oldest.LastError ?? "none"}", stoppingToken);
            await Task.Delay(period, _time, stoppingToken);
        }
    }

    /// <summary>An alert in the catalog (one open per cause) and the log (when new, then at most hourly per kind).</summary>
    private async Task AlertAsync(string kind, string? serial, string? clipId, string message, CancellationToken cancellationToken)
    {
        bool raised = await _catalog.Alerts.RaiseAlertAsync(kind, serial, clipId, message, cancellationToken);
        lock (_lock)
        {
            // The catalog keeps one open alert per cause; the log says it when it is new, and at most hourly while it lasts.
            var now = _time.GetUtcNow();
            if (!raised && _alerted.TryGetValue(kind, out var last) && now - last < TimeSpan.FromHours(1)) return;
            _alerted[kind] = now;
        }
        LogAlert(_logger, kind, message);
    }

    private Task<CustodyEvent> RecordAsync(CustodyEventKind kind, ClipRecord clip, string detail, CancellationToken cancellationToken) =>
        _log.AppendAsync((index, at) => new CustodyEvent(index, kind, at, _log.DockId, _log.DockId, clip.RecorderSerial, clip.ClipId, clip.DeviceSha256,
            clip.Size, Detail: detail), cancellationToken);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Cloud target ready: {Target}")]
    private static partial void LogTargetReady(ILogger logger, string target);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "{Serial}/{ClipId} verified in the cloud as {Key} ({How})")]
    private static partial void LogCloudVerified(ILogger logger, string serial, string clipId, string key, string how);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Upload of {Serial}/{ClipId} failed: {Error}. Next try in {Delay}")]
    private static partial void LogRetry(ILogger logger, string serial, string clipId, string error, TimeSpan delay);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "ALERT {Kind}: {Message}")]
    private static partial void LogAlert(ILogger logger, string kind, string message);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Could not upload the custody checkpoint: {Error}")]
    private static partial void LogCheckpointUploadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Information, Message = "The cloud target {Target} works again: uploads resume")]
    private static partial void LogTargetBack(ILogger logger, string target);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Error, Message = "ALERT vault copy of {Serial}/{ClipId} is gone before its cloud copy was verified: {Path}")]
    private static partial void LogVaultCopyMissing(ILogger logger, string serial, string clipId, string path);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Upload queue: {Error}; trying again in 5 s")]
    private static partial void LogQueueError(ILogger logger, string error);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "The tags of {Serial}/{ClipId} did not reach the cloud ({Error}); trying again shortly")]
    private static partial void LogMetadataRetry(ILogger logger, string serial, string clipId, string error);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "{Count} pending upload(s) moved to the new target {Target}")]
    private static partial void LogRetargeted(ILogger logger, int count, string target);
}

/// <summary>A clip's vault copy is not where the catalog says (deleted outside the dock).</summary>
internal sealed class VaultCopyMissingException(string path) : IOException($"the vault copy {path} is missing")
{
    public string Path { get; } = path;
}
