using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Tests.Support;
using Dock.DeviceProtocol.Transport;
using Dock.Simulator.Recorders;

namespace Dock.DeviceProtocol.Tests;

/// <summary>
/// The v1.1 endorsement (docklink-v1.md §7.2, AUTH method 2): it names the agency key and expires by the recorder's own clock,
/// so an agency revokes a dock by not renewing it. v1 recorders and v1 endorsements keep working where both sides allow it.
/// </summary>
public sealed class EndorsementTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private const byte Both = AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring;
    private readonly TestKeys _keys = new();

    public void Dispose() => _keys.Dispose();

    private static async Task<(HostSession? Session, DockLinkException? Error, DeviceSession Device)> OpenAsync(SimulatedRecorder recorder, IDockCredential dock)
    {
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        var device = new DeviceSession(deviceLink, recorder);
        _ = device.RunAsync(CancellationToken.None);
        try
        {
            return (await HostSession.OpenAsync(hostLink, dock).WaitAsync(Limit), null, device);
        }
        catch (DockLinkException ex)
        {
            return (null, ex, device);
        }
    }

    [Fact]
    public async Task RecorderOffersBoth_DockHoldsBoth_ExpiringEndorsementIsUsed()
    {
        using var recorder = await _keys.RecorderAsync(authMethods: Both);
        var (session, error, device) = await OpenAsync(recorder, _keys.Dock);
        Assert.Null(error);
        await using (session)
        {
            Assert.Equal(AuthMethods.Ed25519EndorsedExpiring, session!.AuthMethod);
            Assert.Equal(DeviceSessionState.Authenticated, device.State);
            Assert.Equal(2, (await session.ListClipsAsync(CancellationToken.None)).Clips.Count);
        }
    }

    [Fact]
    public async Task V1Recorder_DockHoldsBoth_AuthenticatesWithMethod1()
    {
        using var recorder = await _keys.RecorderAsync(authMethods: AuthMethods.Ed25519Endorsed);
        var (session, error, _) = await OpenAsync(recorder, _keys.Dock);
        Assert.Null(error);
        await using (session) Assert.Equal(AuthMethods.Ed25519Endorsed, session!.AuthMethod);
    }

    [Fact]
    public async Task ExpiredEndorsement_RefusedByTheRecorder_DockSaysRenew_NoClipByte()
    {
        using var recorder = await _keys.RecorderAsync(authMethods: AuthMethods.Ed25519EndorsedExpiring);
        var (session, error, device) = await OpenAsync(recorder, _keys.Endorsed(v1: true, notAfter: DateTimeOffset.UtcNow.AddHours(-1)));

        Assert.Null(session);
        Assert.Equal(DockLinkFailure.AuthenticationFailed, error!.Failure);
        Assert.Contains("expired", error.Message, StringComparison.Ordinal);
        Assert.Contains("dock keys endorse", error.Message, StringComparison.Ordinal);
        Assert.Equal(DeviceSessionState.Closed, device.State);
        Assert.Equal(0, recorder.BytesServed);
    }

    [Fact]
    public async Task ExpiryIsJudgedByTheRecorderClock_NotTheDocks()
    {
        // The dock thinks its endorsement holds another day; the recorder's clock is two days ahead.
        using var recorder = await SimulatedRecorder.CreateAsync(new RecorderOptions
        {
            Serial = "DSJ-T-0002", ClipCount = 1, MinClipSize = 1000, MaxClipSize = 1000, TrustedAgencyKeys = [_keys.Agency.PublicKey],
            ClockOffset = TimeSpan.FromDays(2),
        });
        var (session, error, _) = await OpenAsync(recorder, _keys.Endorsed(v1: false, notAfter: DateTimeOffset.UtcNow.AddDays(1)));

        Assert.Null(session);
        Assert.Contains("by this recorder's clock", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExtendedExpiry_SignatureNoLongerVerifies_Refused()
    {
        using var recorder = await _keys.RecorderAsync();
        var genuine = _keys.Endorsed(v1: false, notAfter: DateTimeOffset.UtcNow.AddDays(1)).ExpiringEndorsement!;
        var stretched = genuine with { Terms = genuine.Terms with { NotAfterMs = DateTimeOffset.UtcNow.AddYears(50).ToUnixTimeMilliseconds() } };

        var (session, error, _) = await OpenAsync(recorder, _keys.Presenting(stretched));

        Assert.Null(session);
        Assert.Contains("not endorsed by that agency key", error!.Message, StringComparison.Ordinal);
        Assert.Equal(0, recorder.BytesServed);
    }

    [Fact]
    public async Task EndorsementByAnUntrustedAgencyKey_RefusedByKeyId()
    {
        using var recorder = await _keys.RecorderAsync();
        using var retired = Ed25519Key.Generate();
        var (session, error, _) = await OpenAsync(recorder, _keys.Endorsed(v1: false, notAfter: DateTimeOffset.UtcNow.AddDays(30), agency: retired));

        Assert.Null(session);
        Assert.Contains(Convert.ToHexStringLower(AuthTranscript.AgencyKeyId(retired.PublicKey)), error!.Message, StringComparison.Ordinal);
        Assert.Contains("not trusted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecorderAcceptsOnlyExpiring_DockHoldsOnlyV1_ClearErrorBeforeAuth()
    {
        using var recorder = await _keys.RecorderAsync(authMethods: AuthMethods.Ed25519EndorsedExpiring);
        var (session, error, _) = await OpenAsync(recorder, _keys.Endorsed(v1: true, notAfter: null));

        Assert.Null(session);
        Assert.Contains("accepts only expiring (v1.1) endorsements", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V1Recorder_DockHoldsOnlyExpiring_ClearError()
    {
        using var recorder = await _keys.RecorderAsync(authMethods: AuthMethods.Ed25519Endorsed);
        var (session, error, _) = await OpenAsync(recorder, _keys.Endorsed(v1: false, notAfter: DateTimeOffset.UtcNow.AddDays(30)));

        Assert.Null(session);
        Assert.Contains("accepts only v1 endorsements", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Method2SentToARecorderThatDoesNotOfferIt_AuthFailed()
    {
        // A host that ignores the offer (or a downgrade the other way): the recorder refuses any method it did not offer.
        using var recorder = await _keys.RecorderAsync(authMethods: AuthMethods.Ed25519EndorsedExpiring);
        var (hostLink, deviceLink) = InMemoryTransport.CreatePair();
        var serving = new DeviceSession(deviceLink, recorder).RunAsync(CancellationToken.None);
        var reader = new Framing.FrameReader(hostLink, 64 * 1024);
        var dock = _keys.Endorsed(v1: true, notAfter: null);
        var hostNonce = new byte[32];
        await hostLink.WriteAsync(Frames.Encode(new Hello(1, 1, 65536, hostNonce, dock.DockId), 1), CancellationToken.None);
        var ack = Assert.IsType<HelloAck>(await NextMessageAsync(reader));
        Assert.Equal(AuthMethods.Ed25519EndorsedExpiring, ack.AuthMethods);
        var transcript = AuthTranscript.Transcript(1, hostNonce, ack.DeviceNonce, ack.Serial, dock.DockId, dock.PublicKey.Span);
        await hostLink.WriteAsync(Frames.Encode(new Auth(AuthMethods.Ed25519Endorsed, dock.DockId, dock.PublicKey.ToArray(), dock.Endorsement.ToArray(),
            dock.Sign(AuthTranscript.HostMessage(transcript))), 2), CancellationToken.None);

        var reply = Assert.IsType<ErrorReply>(await NextMessageAsync(reader));
        Assert.Equal(ErrorCode.AuthFailed, reply.Code);
        Assert.Contains("not offered", reply.Text, StringComparison.Ordinal);
        await serving.WaitAsync(Limit);
        Assert.Equal(0, recorder.BytesServed);
    }

    private static async Task<Message> NextMessageAsync(Framing.FrameReader reader)
    {
        var result = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Limit);
        using var frame = result.Frame ?? throw new InvalidOperationException($"expected a frame, got {result.Status}");
        return MessageCodec.Decode(frame.Type, frame.Payload);
    }
}
