using System.Security.Cryptography;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Session;

/// <summary>
/// The recorder's side of one DockLink session: the reference for firmware. Requests are served in
/// arrival order; the host's window of pipelined READ_CLIPs keeps the link busy regardless of latency.
/// Authentication is enforced here, on the device, so no clip byte ever leaves for an unendorsed dock.
/// </summary>
public sealed class DeviceSession
{
    private readonly IDockLinkTransport _transport;
    private readonly IRecorderDevice _device;
    private readonly DeviceSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly FrameReader _reader;
    private byte[] _hostNonce = [];
    private byte[] _deviceNonce = [];
    private string _dockId = "";
    private int _hostMaxPayload = FrameFormat.PreHelloMaxPayload;

    public DeviceSession(IDockLinkTransport transport, IRecorderDevice device, DeviceSessionOptions? options = null, TimeProvider? time = null)
    {
        _transport = transport;
        _device = device;
        _options = options ?? new DeviceSessionOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _reader = new FrameReader(transport);
    }

    public DeviceSessionState State { get; private set; } = DeviceSessionState.AwaitHello;

    public FrameReaderStats Stats => _reader.Stats;

    /// <summary>The dock id that authenticated, once <see cref="State"/> is Authenticated.</summary>
    public string? AuthenticatedDock { get; private set; }

    /// <summary>Serves the link until BYE, an authentication failure, a timeout, or the link ending.
    /// Returns normally in every one of those cases; only cancellation propagates.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _device.OnLinkChanged(true);
        try
        {
            while (State != DeviceSessionState.Closed)
            {
                var timeout = State == DeviceSessionState.AwaitHello ? _options.HelloTimeout : _options.IdleTimeout;
                using var timer = new CancellationTokenSource(timeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                FrameReadResult result;
                try
                {
                    result = await _reader.ReadAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    State = DeviceSessionState.Closed; // Silence: forget the session (§9).
                    break;
                }
                await HandleAsync(result, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (DockLinkException ex) when (ex.Failure is DockLinkFailure.ConnectionLost or DockLinkFailure.ProtocolViolation)
        {
            // The link ended, or the host damaged more frames than a session may (§3.4): drop it.
            State = DeviceSessionState.Closed;
        }
        finally
        {
            _device.OnLinkChanged(false);
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(FrameReadResult result, CancellationToken cancellationToken)
    {
        uint id = result.Header.RequestId;
        switch (result.Status)
        {
            case FrameReadStatus.CorruptPayload:
                await ReplyAsync(new ErrorReply(ErrorCode.BadFrame, "payload CRC mismatch; resend"), id, cancellationToken).ConfigureAwait(false);
                return;
            case FrameReadStatus.Oversize:
                await ReplyAsync(new ErrorReply(ErrorCode.TooLarge, $"frame payload above {_reader.MaxPayload} bytes"), id, cancellationToken)
                    .ConfigureAwait(false);
                return;
        }
        using var frame = result.Frame!;
        if (MessageTypes.IsResponse((MessageType)frame.Type) && MessageTypes.IsKnown(frame.Type))
        {
            await ReplyAsync(new ErrorReply(ErrorCode.BadState, "a device does not accept responses"), id, cancellationToken).ConfigureAwait(false);
            return;
        }
        Message request;
        try
        {
            request = MessageCodec.Decode(frame.Type, frame.Payload);
        }
        catch (DockLinkException ex)
        {
            var code = MessageTypes.IsKnown(frame.Type) ? ErrorCode.BadMessage : ErrorCode.UnknownType;
            await ReplyAsync(new ErrorReply(code, ex.Message), id, cancellationToken).ConfigureAwait(false);
            return;
        }
        try
        {
            await DispatchAsync(request, id, cancellationToken).ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.RemoteError && ex.RemoteCode is { } code)
        {
            await ReplyAsync(new ErrorReply(code, ex.Message), id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The recorder's own storage failed: say so (§6) and keep serving; the dock retries later.
            await ReplyAsync(new ErrorReply(ErrorCode.StorageError, ex.Message), id, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DispatchAsync(Message request, uint id, CancellationToken cancellationToken)
    {
        if (State == DeviceSessionState.AwaitHello && request is not Hello)
            throw DockLinkErrors.Refuse(ErrorCode.BadState, "HELLO first");
        if (State == DeviceSessionState.AwaitAuth && request is not (Hello or Auth or GetInfo or GetPower or Ping or Bye))
            throw DockLinkErrors.Refuse(ErrorCode.NotAuthenticated, "authenticate first");

        Message reply = request switch
        {
            Hello hello => OnHello(hello),
            Auth auth => OnAuth(auth),
            GetInfo => _device.GetInfo(),
            GetPower => _device.GetPower(),
            SetTime set => new TimeSet(_device.SetTime(set.HostTimeMs)),
            SetOfficer officer => OnSetOfficer(officer),
            ListClips list => OnList(list),
            GetClip get => _device.GetClip(get.ClipId),
            GetClipMeta meta => ClipMetaBounds.Fit(_device.GetClipMeta(meta.ClipId), _hostMaxPayload),
            GetConfig => OnGetConfig(),
            PutConfig put => _device.PutConfig(put),
            GetFirmware => _device.GetFirmware(),
            FirmwareBegin begin => _device.BeginFirmware(begin),
            FirmwareWrite write => new FirmwareWritten(_device.WriteFirmware(write.Offset, write.Data.Span)),
            FirmwareInstall install => new FirmwareInstalling(_device.InstallFirmware(install.Sha256)),
            FirmwareConfirm confirm => new FirmwareConfirmed(_device.ConfirmFirmware(confirm.Sha256)),
            ReleaseClip release => new Released(await _device.ReleaseAsync(release.ClipId, release.Sha256, cancellationToken).ConfigureAwait(false)),
            Ping ping => new Pong(ping.Token),
            Bye => new ByeAck(),
            ReadClip read => await OnReadAsync(read, id, cancellationToken).ConfigureAwait(false),
            _ => throw DockLinkErrors.Refuse(ErrorCode.BadState, $"{request.Type} is not a request"),
        };
        if (_options.Rewrite is { } rewrite && reply is not ClipData) reply = rewrite(request, reply);
        if (reply is not ClipData)
            await ReplyAsync(reply, id, cancellationToken).ConfigureAwait(false);
        // BYE ends the session; so does an install, after its answer: the device reboots into the new image (§5.17).
        if (request is Bye or FirmwareInstall) State = DeviceSessionState.Closed;
    }

    /// <summary>The profile, when it fits the host's receive limit (§5.16: a host that sets profiles offers enough); else TOO_LARGE.</summary>
    private RecorderConfig OnGetConfig()
    {
        var config = _device.GetConfig();
        return 8 + MessageCodec.Sha256Size + 2 + config.Profile.Length <= _hostMaxPayload
            ? config
            : throw DockLinkErrors.Refuse(ErrorCode.TooLarge, $"the profile ({config.Profile.Length} bytes) does not fit the host's max_payload");
    }

    private OfficerSet OnSetOfficer(SetOfficer officer)
    {
        var before = _device.SetOfficer(officer);
        return new OfficerSet(_device.GetInfo().OfficerId, before);
    }

    private HelloAck OnHello(Hello hello)
    {
        // HELLO in any state starts a new session (§8): on a serial line the device cannot see the
        // host close and reopen the port, so a fresh HELLO is how it learns. Authentication is forgotten.
        State = DeviceSessionState.AwaitHello;
        AuthenticatedDock = null;
        if (hello.MinVersion > HostSession.ProtocolVersion || hello.MaxVersion < HostSession.ProtocolVersion)
            throw DockLinkErrors.Refuse(ErrorCode.UnsupportedVersion, $"this device speaks version {HostSession.ProtocolVersion} only");
        if (hello.MaxPayload < FrameFormat.MinAdvertisedPayload)
            throw DockLinkErrors.Refuse(ErrorCode.BadMessage, $"max_payload below {FrameFormat.MinAdvertisedPayload}");
        _hostMaxPayload = (int)Math.Min(hello.MaxPayload, FrameFormat.AbsoluteMaxPayload);
        _hostNonce = hello.HostNonce;
        _dockId = hello.DockId;
        _deviceNonce = RandomNumberGenerator.GetBytes(MessageCodec.NonceSize);
        _reader.MaxPayload = _options.MaxPayload;
        State = DeviceSessionState.AwaitAuth;
        return new HelloAck(HostSession.ProtocolVersion, (uint)_options.MaxPayload, (uint)_options.MaxRead, _options.MaxInFlight,
            _device.Capabilities, _deviceNonce, _device.OfferedAuthMethods, _device.Serial);
    }

    private AuthOk OnAuth(Auth auth)
    {
        if (State != DeviceSessionState.AwaitAuth)
            throw DockLinkErrors.Refuse(ErrorCode.BadState, "already authenticated");
        // Any failure closes the link: one guess per connection, and a fresh nonce for the next.
        State = DeviceSessionState.Closed;
        if (auth.Method is not (AuthMethods.Ed25519Endorsed or AuthMethods.Ed25519EndorsedExpiring)
            || (_device.OfferedAuthMethods & AuthMethods.Bit(auth.Method)) == 0)
            throw DockLinkErrors.Refuse(ErrorCode.AuthFailed, $"method {auth.Method} is not offered");
        if (auth.DockId != _dockId)
            throw DockLinkErrors.Refuse(ErrorCode.AuthFailed, "dock id differs from HELLO");
        if (auth.Terms is { } terms)
        {
            // §7.2 v1.1: the key id picks the agency key; the expiry is judged by this device's own clock, which no dock can
            // have set before it authenticated.
            var agency = _device.TrustedAgencyKeys.FirstOrDefault(k => AuthTranscript.AgencyKeyId(k.Span).AsSpan().SequenceEqual(terms.AgencyKeyId));
            if (agency.IsEmpty)
                throw DockLinkErrors.Refuse(ErrorCode.AuthFailed, $"agency key {Convert.ToHexStringLower(terms.AgencyKeyId)} is not trusted here");
            if (!AuthTranscript.Verify(agency.Span, AuthTranscript.EndorsementMessageV11(auth.DockId, auth.DockKey, terms), auth.Endorsement))
                throw DockLinkErrors.Refuse(ErrorCode.AuthFailed, "dock key is not endorsed by that agency key");
            if (!ClipBounds.IsTime(terms.NotAfterMs) || _device.GetInfo().DeviceTimeMs >= terms.NotAfterMs)
                throw DockLinkErrors.Refuse(ErrorCode.AuthFailed, $"the dock's endorsement expired at {DescribeTime(terms.NotAfterMs)} by this recorder's clock");
        }
        else
        {
            var endorsement = AuthTranscript.EndorsementMessage(auth.DockId, auth.DockKey);
            if (!_device.TrustedAgencyKeys.Any(agency => AuthTranscript.Verify(agency.Span, endorsement, auth.Endorsement)))
                throw DockLinkErrors.Refuse(ErrorCode.AuthFailed, "dock key is not endorsed by a trusted agency");
        }
        var transcript = AuthTranscript.Transcript(HostSession.ProtocolVersion, _hostNonce, _deviceNonce, _device.Serial, auth.DockId, auth.DockKey);
        if (!AuthTranscript.Verify(auth.DockKey, AuthTranscript.HostMessage(transcript), auth.HostSignature))
            throw DockLinkErrors.Refuse(ErrorCode.AuthFailed, "host signature does not verify for this session");
        State = DeviceSessionState.Authenticated;
        AuthenticatedDock = auth.DockId;
        var deviceKey = _device.Credential.PublicKey;
        return new AuthOk(deviceKey.ToArray(), _device.Credential.Sign(AuthTranscript.DeviceMessage(transcript, deviceKey.Span)));
    }

    private static string DescribeTime(long unixMs) =>
        ClipBounds.IsTime(unixMs) ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) : $"{unixMs} ms";

    private ClipList OnList(ListClips list)
    {
        var clips = _device.ListClips();
        // Each entry is at most 123 bytes; stay inside the host's receive limit.
        int fit = Math.Max(1, (_hostMaxPayload - 6) / 123);
        var page = clips.Skip((int)Math.Min(list.StartIndex, int.MaxValue)).Take(Math.Min(list.MaxCount, fit)).ToList();
        return new ClipList((uint)clips.Count, page);
    }

    private async Task<Message> OnReadAsync(ReadClip read, uint id, CancellationToken cancellationToken)
    {
        if (read.Length > _options.MaxRead || read.Length + 8L > _hostMaxPayload)
            throw DockLinkErrors.Refuse(ErrorCode.TooLarge,
                $"length {read.Length} above max_read {_options.MaxRead} or the host's max_payload {_hostMaxPayload} - 8");
        if (read.Offset > long.MaxValue)
            throw DockLinkErrors.Refuse(ErrorCode.BadRange, "offset out of range");
        using var writer = new WireWriter(8 + (int)read.Length);
        writer.U64(read.Offset);
        var destination = writer.Claim((int)read.Length);
        int got = await _device.ReadClipAsync(read.ClipId, (long)read.Offset, destination, cancellationToken).ConfigureAwait(false);
        writer.Unclaim((int)read.Length - got);
        await WriteFrameAsync(writer.Seal(MessageType.ClipData, id), cancellationToken).ConfigureAwait(false);
        return new ClipData(read.Offset, ReadOnlyMemory<byte>.Empty);
    }

    private async Task ReplyAsync(Message reply, uint id, CancellationToken cancellationToken)
    {
        using var writer = new WireWriter();
        MessageCodec.Encode(reply, writer);
        await WriteFrameAsync(writer.Seal(reply.Type, id), cancellationToken).ConfigureAwait(false);
    }

    private ValueTask WriteFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        _transport.WriteAsync(frame, cancellationToken);
}
