using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Tests.Support;

namespace Dock.DeviceProtocol.Tests;

public sealed class MessageCodecTests
{
    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("")]
    public void Decode_ClipIdThatIsNotAnIdentifier_ProtocolViolation(string clipId)
    {
        var payload = new List<byte> { (byte)clipId.Length };
        payload.AddRange(System.Text.Encoding.UTF8.GetBytes(clipId));
        payload.AddRange(new byte[12]);

        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ReadClip, payload.ToArray()));

        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
        Assert.Contains("clip_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_ProfileBoundsAndHash_CheckedBeforeAnythingIsApplied()
    {
        var profile = System.Text.Encoding.UTF8.GetBytes("""{"model":"DSJ-V7","codec":"h265"}""");
        var sha = System.Security.Cryptography.SHA256.HashData(profile);
        var good = Frames.Payload(new PutConfig(7, sha, profile));
        var decoded = Assert.IsType<PutConfig>(MessageCodec.Decode((byte)MessageType.PutConfig, good));
        Assert.Equal(profile, decoded.Profile);

        // A byte of the profile changed: its hash no longer holds.
        var changed = good.ToArray();
        changed[^1] ^= 1;
        Assert.Contains("do not hash", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.PutConfig, changed)).Message, StringComparison.Ordinal);
        // A length above 16 KiB is refused from the length alone (the bytes are not even there).
        var hostile = new byte[8 + 32 + 2];
        hostile[40] = 0xFF; hostile[41] = 0xFF;
        var tooLong = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.PutConfig, hostile));
        Assert.Equal(DockLinkFailure.ProtocolViolation, tooLong.Failure);
        Assert.Contains("above 16384", tooLong.Message, StringComparison.Ordinal);
        // An empty profile is no profile; a factory answer carries none and a zero hash.
        Assert.Throws<ArgumentException>(() => Frames.Payload(new PutConfig(1, new byte[32], [])));
        Assert.True(Assert.IsType<RecorderConfig>(MessageCodec.Decode((byte)MessageType.Config, Frames.Payload(new RecorderConfig(0, new byte[32], [])))).IsFactory);
        var factoryWithBytes = Frames.Payload(new RecorderConfig(7, sha, profile)).ToArray();
        factoryWithBytes[0] = 0; // version 0, yet bytes and a hash
        Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.Config, factoryWithBytes));
        Assert.Throws<ArgumentException>(() => Frames.Payload(new PutConfig(1, sha, new byte[RecorderConfig.MaxProfileBytes + 1])));
    }

    [Fact]
    public void Decode_TruncatedPayload_NamesTheMissingField()
    {
        var frame = Frames.Encode(new ReadClip("clip-1", 10, 20), 1);
        var payload = frame.AsSpan(16, frame.Length - 20 - 3).ToArray();

        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ReadClip, payload));

        Assert.Contains("length", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("P200001", "张三", "XC-01", "西城交警支队", null)]
    [InlineData("P200001", "张三丰张三丰张三丰张三丰张三丰张三丰张三丰张", "XC-01", "", "name")] // 22 characters: 66 bytes
    [InlineData("P200001", "张三\n", "XC-01", "", "control")]
    [InlineData("../x", "张三", "XC-01", "", "officer_id")]
    [InlineData("", "", "", "", null)] // bound to nobody
    public void SetOfficer_BoundsAreChecked_BeforeAnythingIsBound(string officer, string name, string unit, string unitName, string? refusedFor)
    {
        var payload = new List<byte>();
        foreach (var field in new[] { officer, name, unit, unitName })
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(field);
            payload.Add((byte)bytes.Length);
            payload.AddRange(bytes);
        }
        if (refusedFor is null)
        {
            var decoded = Assert.IsType<SetOfficer>(MessageCodec.Decode((byte)MessageType.SetOfficer, payload.ToArray()));
            Assert.Equal(new SetOfficer(officer, name, unit, unitName), decoded);
            return;
        }
        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.SetOfficer, payload.ToArray()));
        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
        Assert.Contains(refusedFor, error.Message, StringComparison.Ordinal);
        // A host never sends what a device would refuse.
        if (refusedFor == "name") Assert.Throws<ArgumentException>(() => Frames.Encode(new SetOfficer(officer, name, unit, unitName), 1));
    }

    [Fact]
    public void Decode_TrailingBytes_Rejected()
    {
        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.Ping, new byte[9]));
        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
    }

    [Fact]
    public void Decode_UnknownType_Rejected()
    {
        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode(0x55, ReadOnlyMemory<byte>.Empty));
        Assert.Contains("0x55", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ClipListClaimingMoreEntriesThanPresent_RejectedNotAllocated()
    {
        byte[] payload = [0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01]; // total = 2^32-1, count = 256, no entries

        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipList, payload));

        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
    }

    private static Auth ExpiringAuth(long notAfter) => new(AuthMethods.Ed25519EndorsedExpiring, "dock-1", new byte[32], new byte[64], new byte[64],
        new EndorsementTerms([1, 2, 3, 4, 5, 6, 7, 8], notAfter));

    [Fact]
    public void Auth_Method2_CarriesItsTermsAfterHostSig_RoundTrips()
    {
        var auth = ExpiringAuth(1_893_456_000_000);
        var payload = Frames.Payload(auth);
        // §5.3: method, str(dock_id), dock_key, endorsement, host_sig, then agency_key_id[8] and not_after (i64).
        Assert.Equal(1 + 1 + 6 + 32 + 64 + 64 + 8 + 8, payload.Length);

        var decoded = Assert.IsType<Auth>(MessageCodec.Decode((byte)MessageType.Auth, payload));
        Assert.Equal(auth.Terms!.AgencyKeyId, decoded.Terms!.AgencyKeyId);
        Assert.Equal(auth.Terms.NotAfterMs, decoded.Terms.NotAfterMs);
    }

    [Fact]
    public void Auth_Method2WithoutTerms_Truncated_Method1WithTerms_TrailingBytes_AllRejected()
    {
        var method2 = Frames.Payload(ExpiringAuth(1_893_456_000_000));
        var truncated = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.Auth, method2.AsMemory(0, method2.Length - 16)));
        Assert.Contains("agency_key_id", truncated.Message, StringComparison.Ordinal);

        method2[0] = AuthMethods.Ed25519Endorsed;
        Assert.Equal(DockLinkFailure.ProtocolViolation,
            Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.Auth, method2)).Failure);

        Assert.Throws<ArgumentException>(() => Frames.Payload(ExpiringAuth(0) with { Terms = null }));
    }
}
