using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dock.Crypto.Keys;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;
using Dock.DeviceProtocol.Tests.Support;

namespace Dock.DeviceProtocol.Tests;

/// <summary>
/// hardware-specs/vectors/docklink-v1-frames.json holds one golden frame per message: its hex and
/// its decoded meaning. Each test decodes the hex and compares the meaning, and encodes the meaning
/// and compares the hex, so neither the spec's vectors nor the code can drift.
/// To regenerate after a deliberate protocol change: DOCK_WRITE_VECTORS=path/to/file dotnet test.
/// </summary>
public sealed class GoldenVectorTests
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new HexConverter(), new MemoryHexConverter(), new JsonStringEnumConverter() },
    };

    private static string VectorFile => Path.Combine(AppContext.BaseDirectory, "vectors", "docklink-v1-frames.json");

    public static TheoryData<string> Names() => [.. Vectors().Select(v => v.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Vector_DecodesToItsMeaningAndReencodesToItsBytes(string name)
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        var vector = file["frames"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == name)!;
        var bytes = Convert.FromHexString(vector["frame"]!.GetValue<string>());

        var reader = await Frames.ReaderOverAsync(bytes, FrameFormat.AbsoluteMaxPayload);
        var result = await reader.ReadAsync(CancellationToken.None);
        using var frame = result.Frame!;
        Assert.Equal(vector["request_id"]!.GetValue<uint>(), frame.RequestId);
        var message = MessageCodec.Decode(frame.Type, frame.Payload);
        Assert.Equal(vector["type"]!.GetValue<string>(), $"0x{frame.Type:X2} {message.Type}");
        Assert.True(JsonNode.DeepEquals(vector["meaning"], Meaning(message)), $"{name}: decoded {Meaning(message).ToJsonString()}");

        var expected = Vectors().Single(v => v.Name == name);
        Assert.Equal(bytes, Frames.Encode(expected.Message, expected.RequestId));
    }

    [Fact]
    public async Task AuthVector_TranscriptAndSignaturesMatchFile()
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        var auth = file["auth"]!;
        Assert.True(JsonNode.DeepEquals(auth, JsonSerializer.SerializeToNode(AuthVector(), Json)));
        var v = AuthVector();
        Assert.True(AuthTranscript.Verify(Convert.FromHexString(v.AgencyPublicKey), AuthTranscript.EndorsementMessage(v.DockId, Convert.FromHexString(v.DockPublicKey)),
            Convert.FromHexString(v.Endorsement)));
    }

    [Fact]
    public async Task VectorFile_ListsEveryMessageType()
    {
        if (Environment.GetEnvironmentVariable("DOCK_WRITE_VECTORS") is { Length: > 0 } target)
            await File.WriteAllTextAsync(target, Render() + "\n");
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        var types = file["frames"]!.AsArray().Select(v => v!["type"]!.GetValue<string>()).ToHashSet();
        foreach (var type in Enum.GetValues<MessageType>())
            Assert.Contains($"0x{(byte)type:X2} {type}", types);
    }

    /// <summary>The decoded message as JSON, with the field names of docklink-v1.md §5 (the C# records name a few differently).</summary>
    private static JsonNode Meaning(Message message)
    {
        var meaning = SpecNames(JsonSerializer.SerializeToNode(message, message.GetType(), Json)!);
        if (message is Auth auth)
        {
            // §5.3: method 2's terms are two more AUTH fields, not a nested object.
            var o = meaning.AsObject();
            o.Remove("terms");
            if (auth.Terms is { } terms)
            {
                o["agency_key_id"] = Hex(terms.AgencyKeyId);
                o["not_after"] = terms.NotAfterMs;
            }
        }
        return meaning;
    }

    private static readonly Dictionary<string, string> SpecFieldNames = new(StringComparer.Ordinal)
    {
        ["host_signature"] = "host_sig", ["device_signature"] = "device_sig", ["device_time_ms"] = "device_time", ["host_time_ms"] = "host_time",
        ["device_time_before_ms"] = "device_time_before", ["state"] = "charge_state", ["temperature_deci_c"] = "temperature",
        ["health_percent"] = "health", ["text"] = "message", ["start_ms"] = "start_time", ["end_ms"] = "end_time",
        ["time_ms"] = "time", ["lat_e7"] = "lat", ["lon_e7"] = "lon", ["accuracy_dm"] = "accuracy", ["track"] = "points",
    };

    private static JsonNode SpecNames(JsonNode node)
    {
        switch (node)
        {
            case JsonObject o:
                var renamed = new JsonObject();
                foreach (var (key, value) in o.ToList())
                {
                    o.Remove(key);
                    renamed[SpecFieldNames.GetValueOrDefault(key, key)] = value is null ? null : SpecNames(value);
                }
                return renamed;
            case JsonArray a:
                var items = a.ToList();
                a.Clear();
                foreach (var item in items) a.Add(item is null ? null : SpecNames(item));
                return a;
            default:
                return node;
        }
    }

    private static string Render()
    {
        var frames = new JsonArray();
        foreach (var (name, id, message) in Vectors())
        {
            var bytes = Frames.Encode(message, id);
            frames.Add(new JsonObject
            {
                ["name"] = name,
                ["type"] = $"0x{(byte)message.Type:X2} {message.Type}",
                ["request_id"] = id,
                ["meaning"] = Meaning(message),
                ["header"] = Convert.ToHexStringLower(bytes.AsSpan(0, FrameFormat.HeaderSize)),
                ["payload"] = Convert.ToHexStringLower(bytes.AsSpan(FrameFormat.HeaderSize, bytes.Length - FrameFormat.Overhead)),
                ["payload_crc"] = Convert.ToHexStringLower(bytes.AsSpan(bytes.Length - 4)),
                ["frame"] = Convert.ToHexStringLower(bytes),
            });
        }
        var root = new JsonObject
        {
            ["description"] = "DockLink v1 golden frames (hardware-specs/docklink-v1.md). Integers little-endian; 'frame' = header ‖ payload ‖ payload_crc.",
            ["frames"] = frames,
            ["auth"] = JsonSerializer.SerializeToNode(AuthVector(), Json),
            ["clip_signature"] = JsonSerializer.SerializeToNode(ClipSignatureVector(), Json),
            ["clip_signature_v11"] = JsonSerializer.SerializeToNode(ClipSignatureV11Vector(), Json),
            ["endorsement_v11"] = JsonSerializer.SerializeToNode(EndorsementV11Vector(), Json),
            ["clip_signature_v15"] = JsonSerializer.SerializeToNode(ClipSignatureV15Vector(), Json),
            ["firmware_signature"] = JsonSerializer.SerializeToNode(FirmwareSignatureVector(), Json),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public sealed record AuthExample(
        string AgencySeed, string AgencyPublicKey, string DockSeed, string DockPublicKey, string DockId, string DeviceSeed, string DevicePublicKey,
        string Serial, string HostNonce, string DeviceNonce, string Endorsement, string Transcript, string HostSignature, string DeviceSignature);

    /// <summary>Fixed keys and nonces, so a firmware engineer can check every byte of §7.</summary>
    private static AuthExample AuthVector()
    {
        byte[] agencySeed = Fill(0xA0), dockSeed = Fill(0xD0), deviceSeed = Fill(0xE0), hostNonce = Fill(0x10), deviceNonce = Fill(0x20);
        using var agency = Ed25519Key.FromSeed(agencySeed);
        using var dock = Ed25519Key.FromSeed(dockSeed);
        using var device = Ed25519Key.FromSeed(deviceSeed);
        const string DockId = "dock-0001", Serial = "DSJ-0001";
        var transcript = AuthTranscript.Transcript(1, hostNonce, deviceNonce, Serial, DockId, dock.PublicKey);
        return new AuthExample(Hex(agencySeed), Hex(agency.PublicKey), Hex(dockSeed), Hex(dock.PublicKey), DockId, Hex(deviceSeed), Hex(device.PublicKey),
            Serial, Hex(hostNonce), Hex(deviceNonce), Hex(agency.Sign(AuthTranscript.EndorsementMessage(DockId, dock.PublicKey))), Hex(transcript),
            Hex(dock.Sign(AuthTranscript.HostMessage(transcript))), Hex(device.Sign(AuthTranscript.DeviceMessage(transcript, device.PublicKey))));
    }

    public sealed record EndorsementV11Example(string AgencySeed, string AgencyPublicKey, string AgencyKeyId, string DockId, string DockPublicKey,
        long NotAfter, string Message, string Signature);

    /// <summary>§7.2 v1.1: the example agency endorses the example dock until 2030-01-01T00:00:00Z.</summary>
    private static EndorsementV11Example EndorsementV11Vector()
    {
        byte[] agencySeed = Fill(0xA0), dockSeed = Fill(0xD0);
        using var agency = Ed25519Key.FromSeed(agencySeed);
        using var dock = Ed25519Key.FromSeed(dockSeed);
        var terms = new EndorsementTerms(AuthTranscript.AgencyKeyId(agency.PublicKey), 1_893_456_000_000);
        var message = AuthTranscript.EndorsementMessageV11("dock-0001", dock.PublicKey, terms);
        return new EndorsementV11Example(Hex(agencySeed), Hex(agency.PublicKey), Hex(terms.AgencyKeyId), "dock-0001", Hex(dock.PublicKey),
            terms.NotAfterMs, Hex(message), Hex(agency.Sign(message)));
    }

    [Fact]
    public async Task EndorsementV11Vector_MatchesFile_AndBindsTheExpiryAndKeyId()
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        Assert.True(JsonNode.DeepEquals(file["endorsement_v11"], JsonSerializer.SerializeToNode(EndorsementV11Vector(), Json)));
        var v = EndorsementV11Vector();
        byte[] agency = Convert.FromHexString(v.AgencyPublicKey), dock = Convert.FromHexString(v.DockPublicKey), signature = Convert.FromHexString(v.Signature);
        var terms = new EndorsementTerms(Convert.FromHexString(v.AgencyKeyId), v.NotAfter);
        Assert.Equal(AuthTranscript.AgencyKeyId(agency), terms.AgencyKeyId);
        Assert.True(AuthTranscript.Verify(agency, AuthTranscript.EndorsementMessageV11(v.DockId, dock, terms), signature));
        Assert.False(AuthTranscript.Verify(agency, AuthTranscript.EndorsementMessageV11(v.DockId, dock, terms with { NotAfterMs = v.NotAfter + 1 }), signature));
        Assert.False(AuthTranscript.Verify(agency, AuthTranscript.EndorsementMessage(v.DockId, dock), signature)); // not a v1 endorsement
    }

    public sealed record ClipSignatureExample(string DeviceSeed, string DevicePublicKey, string Serial, string ClipId, ulong Size, string Sha256,
        long StartTime, long EndTime, string Message, string Signature);

    private static readonly ClipSummary ExampleClip = new("20261124-081500-0001.mp4", 104_857_600, 1_795_508_100_000, 1_795_508_700_000,
        ClipFlags.Mandatory | ClipFlags.Locked, Convert.FromHexString("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));

    /// <summary>§7.5: the record-time signature of the example clip by the example device key.</summary>
    private static ClipSignatureExample ClipSignatureVector()
    {
        var seed = Fill(0xE0);
        using var device = Ed25519Key.FromSeed(seed);
        var message = ClipSignature.Message("DSJ-0001", ExampleClip);
        return new ClipSignatureExample(Hex(seed), Hex(device.PublicKey), "DSJ-0001", ExampleClip.ClipId, ExampleClip.Size, Hex(ExampleClip.Sha256),
            ExampleClip.StartMs, ExampleClip.EndMs, Hex(message), Hex(device.Sign(message)));
    }

    public sealed record ClipSignatureV11Example(string DeviceSeed, string DevicePublicKey, string Serial, string ClipId, ulong Size, long StartTime,
        long EndTime, int Flags, string Sha256, string OfficerId, string Message, string Signature);

    /// <summary>§7.5 v1.1: the same clip, with its flags and officer, signed by the same key.</summary>
    private static ClipSignatureV11Example ClipSignatureV11Vector()
    {
        var seed = Fill(0xE0);
        using var device = Ed25519Key.FromSeed(seed);
        var message = ClipSignature.MessageV11("DSJ-0001", ExampleClip, "P100001");
        return new ClipSignatureV11Example(Hex(seed), Hex(device.PublicKey), "DSJ-0001", ExampleClip.ClipId, ExampleClip.Size, ExampleClip.StartMs,
            ExampleClip.EndMs, (int)ExampleClip.Flags, Hex(ExampleClip.Sha256), "P100001", Hex(message), Hex(device.Sign(message)));
    }

    [Fact]
    public async Task ClipSignatureV11Vector_MatchesFileAndCoversFlagsAndOfficer()
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        Assert.True(JsonNode.DeepEquals(file["clip_signature_v11"], JsonSerializer.SerializeToNode(ClipSignatureV11Vector(), Json)));
        var v = ClipSignatureV11Vector();
        byte[] key = Convert.FromHexString(v.DevicePublicKey), signature = Convert.FromHexString(v.Signature);
        Assert.True(ClipSignature.VerifyV11(key, v.Serial, ExampleClip, "P100001", signature));
        Assert.False(ClipSignature.VerifyV11(key, v.Serial, ExampleClip with { Flags = ClipFlags.Locked }, "P100001", signature)); // R11 flag dropped
        Assert.False(ClipSignature.VerifyV11(key, v.Serial, ExampleClip, "P100002", signature));
        Assert.False(ClipSignature.Verify(key, v.Serial, ExampleClip, signature)); // not a v1 signature
    }

    public sealed record ClipSignatureV15Example(string DeviceSeed, string DevicePublicKey, string Serial, string ClipId, string OfficerId,
        ulong ConfigVersion, string ConfigSha256, string Message, string Signature);

    /// <summary>§7.5 v1.5: the same clip and officer, recorded under the profile of fleet bundle version 7 (<see cref="Profile"/>).</summary>
    private static ClipSignatureV15Example ClipSignatureV15Vector()
    {
        var seed = Fill(0xE0);
        using var device = Ed25519Key.FromSeed(seed);
        var under = new RecordedUnder(7, System.Security.Cryptography.SHA256.HashData(Profile));
        var message = ClipSignature.MessageV15("DSJ-0001", ExampleClip, "P100001", under);
        return new ClipSignatureV15Example(Hex(seed), Hex(device.PublicKey), "DSJ-0001", ExampleClip.ClipId, "P100001", under.Version, Hex(under.Sha256),
            Hex(message), Hex(device.Sign(message)));
    }

    [Fact]
    public async Task ClipSignatureV15Vector_MatchesFile_AndCoversTheProfile()
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        Assert.True(JsonNode.DeepEquals(file["clip_signature_v15"], JsonSerializer.SerializeToNode(ClipSignatureV15Vector(), Json)));
        var v = ClipSignatureV15Vector();
        byte[] key = Convert.FromHexString(v.DevicePublicKey), signature = Convert.FromHexString(v.Signature);
        var under = new RecordedUnder(v.ConfigVersion, Convert.FromHexString(v.ConfigSha256));
        Assert.True(ClipSignature.VerifyV15(key, v.Serial, ExampleClip, v.OfficerId, under, signature));
        Assert.False(ClipSignature.VerifyV15(key, v.Serial, ExampleClip, v.OfficerId, under with { Version = 6 }, signature)); // another bundle
        Assert.False(ClipSignature.VerifyV15(key, v.Serial, ExampleClip, v.OfficerId, under with { Sha256 = new byte[32] }, signature)); // another profile
        Assert.False(ClipSignature.VerifyV11(key, v.Serial, ExampleClip, v.OfficerId, signature)); // not a v1.1 signature
    }

    public sealed record FirmwareSignatureExample(string AgencySeed, string AgencyPublicKey, string Model, string Version, ulong Size, string Sha256,
        string Message, string Signature);

    /// <summary>§7.6: the example agency signs a 3 MiB image for the DSJ-V7 (its SHA-256 is that of the ASCII text "firmware").</summary>
    private static FirmwareSignatureExample FirmwareSignatureVector()
    {
        var seed = Fill(0xA0);
        using var agency = Ed25519Key.FromSeed(seed);
        var sha = System.Security.Cryptography.SHA256.HashData("firmware"u8);
        var message = FirmwareSignature.Message("DSJ-V7", "3.3.0", 3 << 20, sha);
        return new FirmwareSignatureExample(Hex(seed), Hex(agency.PublicKey), "DSJ-V7", "3.3.0", 3 << 20, Hex(sha), Hex(message), Hex(agency.Sign(message)));
    }

    [Fact]
    public async Task FirmwareSignatureVector_MatchesFile_AndBindsModelVersionSizeAndHash()
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        Assert.True(JsonNode.DeepEquals(file["firmware_signature"], JsonSerializer.SerializeToNode(FirmwareSignatureVector(), Json)));
        var v = FirmwareSignatureVector();
        ReadOnlyMemory<byte> agency = Convert.FromHexString(v.AgencyPublicKey);
        var begin = new FirmwareBegin(v.Model, v.Version, v.Size, Convert.FromHexString(v.Sha256), Convert.FromHexString(v.Signature));
        Assert.True(FirmwareSignature.Verify([agency], begin));
        Assert.False(FirmwareSignature.Verify([agency], begin with { Model = "DSJ-V8" }));
        Assert.False(FirmwareSignature.Verify([agency], begin with { Version = "3.2.9" }));
        Assert.False(FirmwareSignature.Verify([agency], begin with { Size = v.Size + 1 }));
        // An endorsement by the same key is not a firmware signature (the labels differ).
        var endorsement = EndorsementV11Vector();
        Assert.False(FirmwareSignature.Verify([agency], begin with { Signature = Convert.FromHexString(endorsement.Signature) }));
    }

    [Fact]
    public async Task ClipSignatureVector_MatchesFileAndVerifies()
    {
        var file = JsonNode.Parse(await File.ReadAllTextAsync(VectorFile))!;
        Assert.True(JsonNode.DeepEquals(file["clip_signature"], JsonSerializer.SerializeToNode(ClipSignatureVector(), Json)));
        var v = ClipSignatureVector();
        Assert.True(ClipSignature.Verify(Convert.FromHexString(v.DevicePublicKey), v.Serial, ExampleClip, Convert.FromHexString(v.Signature)));
        // Any other size, hash, time or serial: the signature no longer verifies.
        Assert.False(ClipSignature.Verify(Convert.FromHexString(v.DevicePublicKey), v.Serial, ExampleClip with { Size = ExampleClip.Size + 1 },
            Convert.FromHexString(v.Signature)));
        Assert.False(ClipSignature.Verify(Convert.FromHexString(v.DevicePublicKey), "DSJ-0002", ExampleClip, Convert.FromHexString(v.Signature)));
        Assert.False(ClipSignature.Verify(Convert.FromHexString(v.DevicePublicKey), v.Serial, ExampleClip with { EndMs = ExampleClip.EndMs + 1 },
            Convert.FromHexString(v.Signature)));
    }

    private static IReadOnlyList<(string Name, uint RequestId, Message Message)> Vectors()
    {
        var auth = AuthVector();
        var sha = Convert.FromHexString("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        var clip = new ClipSummary("20261124-081500-0001.mp4", 104_857_600, 1_795_508_100_000, 1_795_508_700_000, ClipFlags.Mandatory | ClipFlags.Locked, sha);
        return
        [
            ("hello", 0x01020304, new Hello(1, 1, 1_048_640, Convert.FromHexString(auth.HostNonce), auth.DockId)),
            ("hello_ack", 0x01020304, new HelloAck(1, 65_536, 1_048_576, 16, DeviceCapabilities.Release | DeviceCapabilities.RecordSignatures,
                Convert.FromHexString(auth.DeviceNonce), AuthMethods.Ed25519Endorsed, auth.Serial)),
            ("auth", 0x01020305, new Auth(AuthMethods.Ed25519Endorsed, auth.DockId, Convert.FromHexString(auth.DockPublicKey),
                Convert.FromHexString(auth.Endorsement), Convert.FromHexString(auth.HostSignature))),
            ("hello_ack_v11", 0x01020304, new HelloAck(1, 65_536, 1_048_576, 16,
                DeviceCapabilities.Release | DeviceCapabilities.RecordSignatures | DeviceCapabilities.RecordSignaturesV11, Convert.FromHexString(auth.DeviceNonce),
                AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring, auth.Serial)),
            ("auth_v11", 0x01020305, new Auth(AuthMethods.Ed25519EndorsedExpiring, auth.DockId, Convert.FromHexString(auth.DockPublicKey),
                Convert.FromHexString(EndorsementV11Vector().Signature), Convert.FromHexString(auth.HostSignature),
                new EndorsementTerms(Convert.FromHexString(EndorsementV11Vector().AgencyKeyId), EndorsementV11Vector().NotAfter))),
            ("auth_ok", 0x01020305, new AuthOk(Convert.FromHexString(auth.DevicePublicKey), Convert.FromHexString(auth.DeviceSignature))),
            ("get_info", 6, new GetInfo()),
            ("info", 6, new Info("DSJ-0001", "DSJ-V7", "3.2.1", "P100001", 64_000_000_000, 41_500_000_000, 37, 1_795_510_000_000)),
            ("set_time", 7, new SetTime(1_795_510_000_250)),
            ("time_set", 7, new TimeSet(1_795_509_931_000)),
            ("get_power", 8, new GetPower()),
            ("power", 8, new Power(57, 3813, ChargeState.Charging, 312, 214, 93)),
            ("list_clips", 9, new ListClips(0, 256)),
            ("clip_list", 9, new ClipList(2, [clip, clip with { ClipId = "20261124-090000-0002.mp4", Size = 5, Flags = ClipFlags.None }])),
            ("get_clip", 10, new GetClip(clip.ClipId)),
            ("clip_info", 10, new ClipInfo(clip, "P100001", [])),
            ("clip_info_signed", 10, new ClipInfo(clip, "P100001", Convert.FromHexString(ClipSignatureVector().Signature))),
            ("read_clip", 11, new ReadClip(clip.ClipId, 262_144, 16)),
            ("clip_data", 11, new ClipData(262_144, Enumerable.Range(0, 16).Select(i => (byte)(0xD0 + i)).ToArray())),
            ("hello_ack_v12", 0x01020304, new HelloAck(1, 65_536, 1_048_576, 16,
                DeviceCapabilities.Release | DeviceCapabilities.RecordSignatures | DeviceCapabilities.RecordSignaturesV11 | DeviceCapabilities.ClipMetadata,
                Convert.FromHexString(auth.DeviceNonce), AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring, auth.Serial)),
            ("get_clip_meta", 16, new GetClipMeta(clip.ClipId)),
            // Three fixes on Xidan North Street, Beijing (one with no accuracy stated), the mark button and a photo; marked important after it closed.
            ("clip_meta", 16, new ClipMeta(clip.ClipId, true,
                [new TrackPoint(1_795_508_100_000, 399_087_200, 1_163_741_000, 42), new TrackPoint(1_795_508_105_000, 399_088_350, 1_163_741_250, 38),
                 new TrackPoint(1_795_508_110_000, 399_089_510, 1_163_741_420, 0)],
                [new ClipMarker(1_795_508_220_000, MarkerKind.Officer, "标记"), new ClipMarker(1_795_508_400_000, MarkerKind.Photo, "")])),
            // v1.3: checkout binds the camera to 张三 of 西城交警支队; it held P100009 before.
            ("set_officer", 17, new SetOfficer("P200001", "张三", "XC-01", "西城交警支队")),
            ("officer_set", 17, new OfficerSet("P200001", "P100009")),
            // v1.4: the camera runs its factory settings; the dock writes the profile of fleet bundle version 7; it reads back the same hash.
            ("hello_ack_v14", 0x01020304, new HelloAck(1, 65_536, 1_048_576, 16,
                DeviceCapabilities.Release | DeviceCapabilities.RecordSignatures | DeviceCapabilities.RecordSignaturesV11 | DeviceCapabilities.ClipMetadata
                | DeviceCapabilities.SetOfficer | DeviceCapabilities.Configuration,
                Convert.FromHexString(auth.DeviceNonce), AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring, auth.Serial)),
            ("get_config", 18, new GetConfig()),
            ("config_factory", 18, new RecorderConfig(0, new byte[32], [])),
            ("put_config", 19, new PutConfig(7, System.Security.Cryptography.SHA256.HashData(Profile), Profile)),
            ("config_set", 19, new ConfigSet(7, System.Security.Cryptography.SHA256.HashData(Profile))),
            ("config", 20, new RecorderConfig(7, System.Security.Cryptography.SHA256.HashData(Profile), Profile)),
            // v1.5: a camera that takes firmware; it runs 3.2.1 from slot A and holds a third of 3.3.0 from an interrupted transfer; the dock
            // announces 3.3.0 again, is told to resume at 1 MiB, writes, installs (slot B), and confirms it after the reboot. CLIP_INFO of a v1.5
            // camera names the profile its clip was recorded under, and its signature covers it.
            ("hello_ack_v15", 0x01020304, new HelloAck(1, 65_536, 1_048_576, 16,
                DeviceCapabilities.Release | DeviceCapabilities.RecordSignatures | DeviceCapabilities.RecordSignaturesV11 | DeviceCapabilities.ClipMetadata
                | DeviceCapabilities.SetOfficer | DeviceCapabilities.Configuration | DeviceCapabilities.Firmware | DeviceCapabilities.RecordSignaturesV15,
                Convert.FromHexString(auth.DeviceNonce), AuthMethods.Ed25519Endorsed | AuthMethods.Ed25519EndorsedExpiring, auth.Serial)),
            ("get_firmware", 21, new GetFirmware()),
            ("firmware_state", 21, new FirmwareState("3.2.1", System.Security.Cryptography.SHA256.HashData("3.2.1"u8), 0, false,
                Convert.FromHexString(FirmwareSignatureVector().Sha256), 3 << 20, 1 << 20, FirmwareFailure.None, "")),
            ("fw_begin", 22, new FirmwareBegin("DSJ-V7", "3.3.0", 3 << 20, Convert.FromHexString(FirmwareSignatureVector().Sha256),
                Convert.FromHexString(FirmwareSignatureVector().Signature))),
            ("fw_ready", 22, new FirmwareReady(1 << 20, 65_528)),
            ("fw_write", 23, new FirmwareWrite(1 << 20, Enumerable.Range(0, 16).Select(i => (byte)(0xF0 + i)).ToArray())),
            ("fw_written", 23, new FirmwareWritten((1 << 20) + 16)),
            ("fw_install", 24, new FirmwareInstall(Convert.FromHexString(FirmwareSignatureVector().Sha256))),
            ("fw_installing", 24, new FirmwareInstalling(1)),
            ("firmware_state_trial", 25, new FirmwareState("3.3.0", Convert.FromHexString(FirmwareSignatureVector().Sha256), 1, true,
                new byte[32], 0, 0, FirmwareFailure.None, "")),
            ("fw_confirm", 26, new FirmwareConfirm(Convert.FromHexString(FirmwareSignatureVector().Sha256))),
            ("fw_confirmed", 26, new FirmwareConfirmed(1)),
            ("firmware_state_rolled_back", 27, new FirmwareState("3.2.1", System.Security.Cryptography.SHA256.HashData("3.2.1"u8), 0, false,
                new byte[32], 0, 0, FirmwareFailure.BootFailed, "3.3.0")),
            ("clip_info_v15", 10, new ClipInfo(clip, "P100001", Convert.FromHexString(ClipSignatureV15Vector().Signature),
                new RecordedUnder(7, System.Security.Cryptography.SHA256.HashData(Profile)))),
            ("error_bad_image", 22, new ErrorReply(ErrorCode.BadImage, "the image is not signed by an agency this recorder trusts")),
            ("release_clip", 12, new ReleaseClip(clip.ClipId, sha)),
            ("released", 12, new Released(true)),
            ("ping", 13, new Ping(0x0102030405060708)),
            ("pong", 13, new Pong(0x0102030405060708)),
            ("bye", 14, new Bye()),
            ("bye_ack", 14, new ByeAck()),
            ("error_not_authenticated", 15, new ErrorReply(ErrorCode.NotAuthenticated, "authenticate first")),
        ];
    }

    /// <summary>A recorder profile as a fleet bundle gives it (compact JSON, in the bundle's order).</summary>
    private static readonly byte[] Profile = System.Text.Encoding.UTF8.GetBytes(
        """{"model":"DSJ-V7","resolution":"1920x1080","codec":"h265","preRecordSeconds":30,"postRecordSeconds":30,"gps":true,"audio":true,"timeZone":"Asia/Shanghai"}""");

    private static byte[] Fill(byte start) => Enumerable.Range(0, 32).Select(i => (byte)(start + i)).ToArray();

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private sealed class HexConverter : JsonConverter<byte[]>
    {
        public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Convert.FromHexString(reader.GetString()!);
        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options) => writer.WriteStringValue(Convert.ToHexStringLower(value));
    }

    private sealed class MemoryHexConverter : JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Convert.FromHexString(reader.GetString()!);
        public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) => writer.WriteStringValue(Convert.ToHexStringLower(value.Span));
    }
}
