using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Session;

/// <summary>
/// The dock's side of one DockLink session (docklink-v1.md §8). One reader loop dispatches
/// responses by request id, so any number of requests (bounded by the recorder's max_in_flight)
/// can be outstanding; that windowing is what makes throughput independent of link latency.
/// Thread-safe: requests may be issued concurrently.
/// </summary>
public sealed partial class HostSession : IAsyncDisposable
{
    public const byte ProtocolVersion = 1;

    private readonly IDockLinkTransport _transport;
    private readonly HostSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly FrameReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<FrameReadResult>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private SemaphoreSlim _inFlight = new(1, 1);
    private Task _readLoop = Task.CompletedTask;
    private Task _keepAlive = Task.CompletedTask;
    private Exception? _failure;
    private ReadPacer? _pacer;
    private int _nextId;
    private long _lastSendTicks;

    private HostSession(IDockLinkTransport transport, HostSessionOptions options, TimeProvider time)
    {
        _transport = transport;
        _options = options;
        _time = time;
        _reader = new FrameReader(transport);
        // A random first id (§4.2): stale answers left on a serial line by a previous session
        // then cannot be mistaken for answers to this one.
        _nextId = System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue);
    }

    /// <summary>The recorder's HELLO_ACK: serial, limits, capabilities.</summary>
    public HelloAck Device { get; private set; } = null!;

    /// <summary>The recorder's Ed25519 public key, proven by its AUTH_OK signature.</summary>
    public byte[] DeviceKey { get; private set; } = [];

    public string Endpoint => _transport.Endpoint;

    public FrameReaderStats Stats => _reader.Stats;

    /// <summary>Completes when the link ends; faulted with the reason when it was not a clean BYE.</summary>
    public Task Completion => _readLoop;

    /// <summary>HELLO, then mutual authentication. On any failure the transport is disposed.</summary>
    public static async Task<HostSession> OpenAsync(IDockLinkTransport transport, IDockCredential credential,
        HostSessionOptions? options = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        options ??= new HostSessionOptions();
        options.Validate();
        var session = new HostSession(transport, options, time ?? TimeProvider.System);
        try
        {
            session._readLoop = session.ReadLoopAsync();
            await session.HandshakeAsync(credential, cancellationToken).ConfigureAwait(false);
            session._keepAlive = session.KeepAliveLoopAsync();
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task HandshakeAsync(IDockCredential credential, CancellationToken cancellationToken)
    {
        var hostNonce = RandomNumberGenerator.GetBytes(MessageCodec.NonceSize);
        var ack = await RequestAsync<HelloAck>(
            new Hello(ProtocolVersion, ProtocolVersion, (uint)_options.MaxPayload, hostNonce, credential.DockId),
            _options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        if (ack.Version != ProtocolVersion)
            throw DockLinkErrors.VersionMismatch(ProtocolVersion, ProtocolVersion, ack.Version);
        if (ack.MaxPayload < FrameFormat.MinAdvertisedPayload || ack.MaxInFlight == 0 || ack.MaxRead < 512)
            throw DockLinkErrors.Malformed(MessageType.HelloAck,
                $"limits out of range (max_payload {ack.MaxPayload}, max_read {ack.MaxRead}, max_in_flight {ack.MaxInFlight})");
        var expiring = credential.ExpiringEndorsement;
        var method = ChooseAuthMethod(ack, expiring is not null, !credential.Endorsement.IsEmpty);
        Device = ack;
        _reader.MaxPayload = _options.MaxPayload;
        _inFlight = new SemaphoreSlim(Math.Min((int)ack.MaxInFlight, 64));

        var transcript = AuthTranscript.Transcript(ProtocolVersion, hostNonce, ack.DeviceNonce, ack.Serial,
            credential.DockId, credential.PublicKey.Span);
        var auth = method == AuthMethods.Ed25519EndorsedExpiring
            ? new Auth(method, credential.DockId, credential.PublicKey.ToArray(), expiring!.Signature,
                credential.Sign(AuthTranscript.HostMessage(transcript)), expiring.Terms)
            : new Auth(method, credential.DockId, credential.PublicKey.ToArray(), credential.Endorsement.ToArray(),
                credential.Sign(AuthTranscript.HostMessage(transcript)));
        AuthOk ok;
        try
        {
            ok = await RequestAsync<AuthOk>(auth, _options.HandshakeTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.RemoteCode == ErrorCode.AuthFailed)
        {
            var expired = method == AuthMethods.Ed25519EndorsedExpiring && _time.GetUtcNow().ToUnixTimeMilliseconds() >= expiring!.Terms.NotAfterMs
                ? " This dock's endorsement has expired: renew it with `dock keys endorse`." : "";
            throw DockLinkErrors.AuthenticationFailed($"recorder {ack.Serial} rejected this dock ({ex.Message}); is the dock key endorsed by " +
                $"the agency the recorder trusts?{expired}");
        }
        AuthMethod = method;
        if (!AuthTranscript.Verify(ok.DeviceKey, AuthTranscript.DeviceMessage(transcript, ok.DeviceKey), ok.DeviceSignature))
            throw DockLinkErrors.AuthenticationFailed($"recorder {ack.Serial} did not prove possession of its key");
        DeviceKey = ok.DeviceKey;
    }

    /// <summary>
    /// Method 2 (the expiring v1.1 endorsement) when the recorder offers it and the agency issued one, else method 1; a recorder
    /// that offers only what this dock cannot prove gets an error that says which endorsement to ask the agency for.
    /// </summary>
    private static byte ChooseAuthMethod(HelloAck ack, bool hasExpiring, bool hasV1)
    {
        bool offersExpiring = (ack.AuthMethods & AuthMethods.Bit(AuthMethods.Ed25519EndorsedExpiring)) != 0;
        bool offersV1 = (ack.AuthMethods & AuthMethods.Bit(AuthMethods.Ed25519Endorsed)) != 0;
        if (offersExpiring && hasExpiring) return AuthMethods.Ed25519EndorsedExpiring;
        if (offersV1 && hasV1) return AuthMethods.Ed25519Endorsed;
        if (offersExpiring)
            throw DockLinkErrors.AuthenticationFailed($"recorder {ack.Serial} accepts only expiring (v1.1) endorsements and this dock holds none: " +
                "endorse it again with `dock keys endorse`");
        if (offersV1)
            throw DockLinkErrors.AuthenticationFailed($"recorder {ack.Serial} accepts only v1 endorsements and this dock holds only an expiring one: " +
                "endorse it again without --expiring-only");
        throw DockLinkErrors.AuthenticationFailed($"recorder {ack.Serial} offers no authentication method we support (auth_methods {ack.AuthMethods})");
    }

    /// <summary>The authentication method this session used (1, or 2 for the expiring endorsement).</summary>
    public byte AuthMethod { get; private set; }

    public Task<Info> GetInfoAsync(CancellationToken cancellationToken) =>
        RequestAsync<Info>(new GetInfo(), _options.RequestTimeout, cancellationToken);

    /// <summary>Sets the recorder clock to ours and returns its offset before the set (device − dock),
    /// corrected by half the round trip.</summary>
    public async Task<TimeSpan> SyncTimeAsync(CancellationToken cancellationToken)
    {
        long sent = _time.GetTimestamp();
        var now = _time.GetUtcNow();
        var reply = await RequestAsync<TimeSet>(new SetTime(now.ToUnixTimeMilliseconds()), _options.RequestTimeout, cancellationToken)
            .ConfigureAwait(false);
        var halfTrip = _time.GetElapsedTime(sent) / 2;
        var hostAtDevice = now + halfTrip;
        // Any i64 can arrive; an offset is only computed from a time a clock can show (a dead RTC's 1970 is refused too).
        if (!ClipBounds.IsTime(reply.DeviceTimeBeforeMs))
            throw DockLinkErrors.ClockOutOfRange(reply.DeviceTimeBeforeMs);
        return TimeSpan.FromMilliseconds(reply.DeviceTimeBeforeMs - hostAtDevice.ToUnixTimeMilliseconds());
    }

    public Task<Power> GetPowerAsync(CancellationToken cancellationToken) =>
        RequestAsync<Power>(new GetPower(), _options.RequestTimeout, cancellationToken);

    /// <summary>
    /// Lists every clip, page by page (docklink-v1.md §5.7), within bounds a recorder cannot stretch: at most
    /// <see cref="HostSessionOptions.MaxListedClips"/> clips and <see cref="HostSessionOptions.ListingDeadline"/> for all pages.
    /// The listing is incomplete (the dock then must not conclude that an unlisted clip is gone) when the recorder stops short
    /// of the total it announced, changes that total, repeats an id, or a bound is reached; a protocol violation also comes
    /// back as <see cref="ClipListing.Problem"/>. Entries up to the violation are kept: each is a distinct, well-formed clip.
    /// </summary>
    public async Task<ClipListing> ListClipsAsync(CancellationToken cancellationToken)
    {
        var all = new List<ClipSummary>();
        var refused = new List<(string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long started = _time.GetTimestamp();
        uint? announced = null;
        ClipListing Done(bool complete, string? problem = null) => new(all, complete, problem) { Refused = refused };
        while (true)
        {
            if (_time.GetElapsedTime(started) > _options.ListingDeadline)
                return Done(false, $"the listing took longer than {_options.ListingDeadline.TotalSeconds:0} s; {seen.Count} clip(s) listed so far");
            var page = await RequestAsync<ClipList>(new ListClips((uint)seen.Count, ListClips.MaxPage), _options.RequestTimeout,
                cancellationToken).ConfigureAwait(false);
            if (announced is { } first && page.Total != first)
                return Done(false, $"total changed from {first} to {page.Total} between pages");
            announced = page.Total;
            if (page.Clips.Count > ListClips.MaxPage)
                return Done(false, $"a page held {page.Clips.Count} entries, more than the {ListClips.MaxPage} asked for");
            if (page.Clips.Count == 0)
                return seen.Count >= page.Total ? Done(true) : Done(false, $"an empty page at index {seen.Count} while the total is {page.Total}");
            foreach (var clip in page.Clips)
            {
                if (!seen.Add(clip.ClipId))
                    return Done(false, $"clip id {clip.ClipId} listed twice (index {seen.Count})");
                if (seen.Count > _options.MaxListedClips)
                    return Done(false, $"the recorder lists more than {_options.MaxListedClips} clips (Dock:Link:MaxListedClips); " +
                        "the rest are taken at a later docking");
                if (ClipBounds.Check(clip) is { } reason) refused.Add((clip.ClipId, reason));
                else all.Add(clip);
            }
            if (seen.Count > page.Total)
                return Done(false, $"{seen.Count} clips listed, more than the total of {page.Total}");
            if (seen.Count == page.Total) return Done(true);
        }
    }

    public Task<ClipInfo> GetClipAsync(string clipId, CancellationToken cancellationToken) =>
        RequestAsync<ClipInfo>(new GetClip(clipId), _options.RequestTimeout, cancellationToken);

    /// <summary>The clip's GPS track, markers and importance flag (v1.2, docklink-v1.md §5.14; only when the recorder announced capability
    /// bit 3). The answer must name the clip asked for.</summary>
    public async Task<ClipMeta> GetClipMetaAsync(string clipId, CancellationToken cancellationToken)
    {
        var meta = await RequestAsync<ClipMeta>(new GetClipMeta(clipId), _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return meta.ClipId == clipId ? meta : throw DockLinkErrors.Malformed(MessageType.ClipMeta, $"CLIP_META names clip {meta.ClipId}, not {clipId}");
    }

    /// <summary>Binds the recorder to an officer (v1.3, docklink-v1.md §5.15; only when it announced capability bit 4). Returns what it says it
    /// holds now, and held before; the caller compares.</summary>
    public Task<OfficerSet> SetOfficerAsync(SetOfficer officer, CancellationToken cancellationToken) =>
        RequestAsync<OfficerSet>(officer, _options.RequestTimeout, cancellationToken);

    /// <summary>The recorder profile it runs (v1.4, docklink-v1.md §5.16; only when it announced capability bit 5).</summary>
    public Task<RecorderConfig> GetConfigAsync(CancellationToken cancellationToken) =>
        RequestAsync<RecorderConfig>(new GetConfig(), _options.RequestTimeout, cancellationToken);

    /// <summary>Writes a recorder profile (v1.4, docklink-v1.md §5.16). Returns what it says it runs now; the caller compares the hash.</summary>
    public Task<ConfigSet> PutConfigAsync(PutConfig config, CancellationToken cancellationToken) =>
        RequestAsync<ConfigSet>(config, _options.RequestTimeout, cancellationToken);

    /// <summary>Tells the recorder it may delete the clip (docklink-v1.md §5.10). Returns whether it did.</summary>
    public async Task<bool> ReleaseClipAsync(string clipId, byte[] sha256, CancellationToken cancellationToken) =>
        (await RequestAsync<Released>(new ReleaseClip(clipId, sha256), _options.RequestTimeout, cancellationToken)
            .ConfigureAwait(false)).Deleted;

    public async Task ByeAsync(CancellationToken cancellationToken)
    {
        await RequestAsync<ByeAck>(new Bye(), _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> RequestAsync<T>(Message request, TimeSpan timeout, CancellationToken cancellationToken) where T : Message
    {
        using var frame = await SendAsync(request, timeout, cancellationToken).ConfigureAwait(false);
        return Expect<T>(request.Type, frame);
    }

    private static T Expect<T>(MessageType request, Frame frame) where T : Message
    {
        var message = MessageCodec.Decode(frame.Type, frame.Payload);
        return message switch
        {
            T typed => typed,
            ErrorReply error => throw DockLinkErrors.Remote(request, error.Code, error.Text),
            _ => throw DockLinkErrors.UnexpectedResponse(request, message.Type),
        };
    }

    /// <summary>Sends one request and waits for the frame that answers it. Caller disposes the frame.</summary>
    private async Task<Frame> SendAsync(Message request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        uint id = 0;
        try
        {
            if (_failure is not null) throw DockLinkErrors.ConnectionLost($"the session already ended ({_failure.Message})", _failure);
            do { id = (uint)Interlocked.Increment(ref _nextId); } while (id == 0);
            var tcs = new TaskCompletionSource<FrameReadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[id] = tcs;
            await WriteAsync(request, id, cancellationToken).ConfigureAwait(false);
            FrameReadResult result;
            try
            {
                result = await tcs.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw DockLinkErrors.Timeout(request.Type, timeout);
            }
            return result.Status switch
            {
                FrameReadStatus.Frame => result.Frame!,
                FrameReadStatus.CorruptPayload => throw DockLinkErrors.CorruptFrame(id),
                _ => throw DockLinkErrors.TooLarge($"{request.Type} response", result.Header.PayloadLength, _reader.MaxPayload),
            };
        }
        finally
        {
            if (id != 0 && _pending.TryRemove(id, out var orphan))
            {
                // Timed out or cancelled: a late answer is dropped by the read loop.
                if (orphan.Task.IsCompletedSuccessfully) orphan.Task.Result.Frame?.Dispose();
            }
            _inFlight.Release();
        }
    }

    private async Task WriteAsync(Message message, uint requestId, CancellationToken cancellationToken)
    {
        using var writer = new WireWriter();
        MessageCodec.Encode(message, writer);
        var bytes = writer.Seal(message.Type, requestId);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _transport.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastSendTicks, _time.GetTimestamp());
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                if (_pending.TryRemove(result.Header.RequestId, out var tcs))
                {
                    if (!tcs.TrySetResult(result)) result.Frame?.Dispose();
                }
                else
                {
                    // An answer nobody waits for any more (timed out) or noise that passed both CRCs.
                    result.Frame?.Dispose();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            Fail(DockLinkErrors.ConnectionLost("the session was closed"));
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }
    }

    private void Fail(Exception reason)
    {
        Interlocked.CompareExchange(ref _failure, reason, null);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var tcs))
                tcs.TrySetException(reason is DockLinkException ? reason : DockLinkErrors.ConnectionLost(reason.Message, reason));
        }
    }

    private async Task KeepAliveLoopAsync()
    {
        ulong token = 0;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(_options.KeepAliveInterval, _time, _stop.Token).ConfigureAwait(false);
                if (_time.GetElapsedTime(Volatile.Read(ref _lastSendTicks)) < _options.KeepAliveInterval) continue;
                await RequestAsync<Pong>(new Ping(++token), _options.RequestTimeout, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or DockLinkException)
        {
            // The link ended; Completion reports why.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_readLoop, _keepAlive).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or DockLinkException)
        {
            // Ending the link is the point of disposal.
        }
        Fail(DockLinkErrors.ConnectionLost("the session was closed"));
        _stop.Dispose();
        _writeLock.Dispose();
    }
}
