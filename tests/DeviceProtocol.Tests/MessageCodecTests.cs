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
    public void Firmware_HostileSizesSlotsAndNames_AreRefusedByTheCodec()
    {
        var sha = new byte[32];
        sha[0] = 1;
        // An image above 256 MiB is refused from its announced size (the device allocates nothing for it).
        var begin = Frames.Payload(new FirmwareBegin("DSJ-V7", "3.3.0", 1024, sha, new byte[64])).ToArray();
        BitConverter.TryWriteBytes(begin.AsSpan(1 + 6 + 1 + 5), FirmwareBegin.MaxImageBytes + 1);
        Assert.Contains("outside 1", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.FirmwareBegin, begin)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Frames.Payload(new FirmwareBegin("DSJ-V7", "3.3.0", 0, sha, new byte[64])));
        // A version that could be mistaken for something else (a space, a control character) is refused both ways.
        Assert.Throws<ArgumentException>(() => Frames.Payload(new FirmwareBegin("DSJ-V7", "3.3.0 beta", 1, sha, new byte[64])));
        var spaced = Frames.Payload(new FirmwareBegin("DSJ-V7", "3.3.0", 1, sha, new byte[64])).ToArray();
        spaced[1 + 6 + 1 + 1] = (byte)' ';
        Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.FirmwareBegin, spaced));
        // A device cannot hold more of an image than its size, nor run a third slot.
        var state = Frames.Payload(new FirmwareState("3.2.1", sha, 0, false, sha, 100, 100, FirmwareFailure.None, "")).ToArray();
        BitConverter.TryWriteBytes(state.AsSpan(1 + 5 + 32 + 1 + 1 + 32 + 8), 101UL);
        Assert.Contains("staged_held", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.FirmwareState, state)).Message, StringComparison.Ordinal);
        var installing = Frames.Payload(new FirmwareInstalling(1)).ToArray();
        installing[0] = 2;
        Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.FirmwareInstalling, installing));
        // A write carries bytes, inside any image; CLIP_INFO's v1.5 tail is whole or absent.
        Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.FirmwareWrite, new byte[8]));
        var info = Frames.Payload(new ClipInfo(new ClipSummary("c-1", 1, 1_795_508_100_000, 1_795_508_700_000, ClipFlags.None, sha), "", [],
            new RecordedUnder(7, sha))).ToArray();
        Assert.Equal(7UL, Assert.IsType<ClipInfo>(MessageCodec.Decode((byte)MessageType.ClipInfo, info)).Config!.Version);
        Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipInfo, info.AsSpan(0, info.Length - 1).ToArray()));
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
