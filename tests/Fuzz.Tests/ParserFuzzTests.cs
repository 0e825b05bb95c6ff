using Dock.Evidence;
using System.Text;
using System.Text.Json;
using CsCheck;
using Dock.Crypto.Custody;
using Dock.Crypto.Keys;
using Dock.Crypto.Transparency;
using Dock.DeviceProtocol.CommandChannel;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Transport;
using Dock.Service.Configuration;
using Dock.Service.Custody;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace Dock.Fuzz.Tests;

/// <summary>
/// Every parser that reads what a recorder, a file or a person hands the dock, fed random and nearly-valid input: each either
/// parses or refuses with its typed error. Anything else (another exception, a hang) fails the target with the input's seed.
/// </summary>
public sealed class ParserFuzzTests(ITestOutputHelper output)
{
    private static byte[] Frame(Message message, uint id)
    {
        using var writer = new WireWriter();
        MessageCodec.Encode(message, writer);
        return writer.Seal(message.Type, id).ToArray();
    }

    private static readonly ClipSummary SampleClip = new("20261203-0001.mp4", 1000, 1_764_000_000_000, 1_764_000_600_000, ClipFlags.Mandatory, new byte[32]);

    private static readonly Message[] Samples =
    [
        new Hello(1, 1, 65536, new byte[32], "dock-1"), new Ping(7), new Pong(7), new ListClips(0, 256), new ClipList(1, [SampleClip]),
        new ReadClip("c.mp4", 0, 4096), new ClipData(0, new byte[64]), new ReleaseClip("c.mp4", new byte[32]), new Released(true),
        new SetTime(1_764_000_000_000), new TimeSet(1_764_000_000_000), new ErrorReply(ErrorCode.BadFrame, "resend"), new GetInfo(), new GetPower(),
    ];

    private void Report(string target, long executed) => output.WriteLine($"{target}: {executed:N0} inputs in {FuzzBudget.Seconds} s, no crash");

    [Fact]
    public void FrameReader_AnyBytes_FramesOrTypedErrors()
    {
        var valid = Samples.Select((m, i) => Frame(m, (uint)i)).ToArray();
        var inputs = FuzzBudget.BytesNear([.. valid.Select(v => v.Concat(valid[0]).ToArray())]).Array[1, 6].Select(parts => parts.SelectMany(p => p).ToArray());
        Report("frame reader", FuzzBudget.Run(inputs, bytes =>
        {
            var (near, far) = InMemoryTransport.CreatePair();
            far.WriteAsync(bytes, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            far.DisposeAsync().AsTask().GetAwaiter().GetResult();
            var reader = new FrameReader(near, 64 * 1024);
            for (int frames = 0; ; frames++)
            {
                if (frames > bytes.Length) throw new InvalidOperationException("more results than bytes: the reader does not advance");
                try
                {
                    var result = reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
                    result.Frame?.Dispose();
                }
                catch (DockLinkException ex) when (ex.Failure is DockLinkFailure.ConnectionLost or DockLinkFailure.ProtocolViolation)
                {
                    break;
                }
            }
        }));
    }

    [Fact]
    public void MessageCodec_AnyPayload_MessageOrProtocolError_AndDecodedMessagesRoundTrip()
    {
        var payloads = Samples.Select(m =>
        {
            using var writer = new WireWriter();
            MessageCodec.Encode(m, writer);
            var sealedFrame = writer.Seal(m.Type, 1);
            return new[] { (byte)m.Type }.Concat(sealedFrame[FrameFormat.HeaderSize..^FrameFormat.TrailerSize].ToArray()).ToArray();
        }).ToArray();
        Report("message codec", FuzzBudget.Run(FuzzBudget.BytesNear(payloads).Where(b => b.Length > 0), input =>
        {
            Message message;
            try
            {
                message = MessageCodec.Decode(input[0], input.AsMemory(1));
            }
            catch (DockLinkException ex) when (ex.Failure is DockLinkFailure.ProtocolViolation or DockLinkFailure.TooLarge)
            {
                return;
            }
            if (message is ClipData) return; // Its payload is the rest of the frame.
            using var writer = new WireWriter();
            MessageCodec.Encode(message, writer);
            var again = writer.Seal(message.Type, 1);
            var decoded = MessageCodec.Decode((byte)message.Type, again[FrameFormat.HeaderSize..^FrameFormat.TrailerSize]);
            if (decoded.Type != message.Type) throw new InvalidOperationException("a decoded message does not round-trip");
        }));
    }

    [Fact]
    public void CommandChannel_AnyBytes_FramesOrTypedErrors()
    {
        Report("command channel", FuzzBudget.Run(Gen.Byte.Array[0, 600].Array[1, 4].Select(p => p.SelectMany(b => b).ToArray()), bytes =>
        {
            var (near, far) = InMemoryTransport.CreatePair();
            far.WriteAsync(bytes, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            far.DisposeAsync().AsTask().GetAwaiter().GetResult();
            var reader = new CommandFrameReader(near);
            for (int frames = 0; frames <= bytes.Length; frames++)
            {
                try
                {
                    if (reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult() is null) return;
                }
                catch (DockLinkException)
                {
                    return;
                }
            }
            throw new InvalidOperationException("more frames than bytes");
        }));
    }

    [Fact]
    public void SignedNoteCheckpointAndCustodyEntry_AnyText_ParsedOrRefused()
    {
        using var key = Ed25519Key.Generate();
        var body = "dock.example/custody/dock-1\n12\n" + Convert.ToBase64String(new byte[32]) + "\n";
        var note = SignedNote.Sign(body, "dock.example/custody/dock-1", key);
        var entry = new CustodyEvent(3, CustodyEventKind.Stored, DateTimeOffset.UnixEpoch.AddYears(56), "dock-1", "dock-1", "DSJ-1", "c.mp4",
            new string('a', 64), 1000, 5, "stored").ToBytes();
        Report("signed note, checkpoint, custody entry", FuzzBudget.Run(FuzzBudget.BytesNear(Encoding.UTF8.GetBytes(note), entry), bytes =>
        {
            var text = Encoding.UTF8.GetString(bytes);
            SignedNote.TryOpen(text, "dock.example/custody/dock-1", key.PublicKey, out _, out _);
            _ = SignedNote.SignatureKeys(text);
            Checkpoint.TryParse(text, out _, out _);
            CustodyEvent.TryParse(bytes, out _, out _);
        }));
    }

    [Fact]
    public void FleetBundleStatusAndLogEntry_AnyText_OpenedOrRefusedWithAReason()
    {
        using var key = Ed25519Key.Generate();
        var note = Dock.Service.Fleet.BundleNote.Sign("""
            {"format":"dock-fleet-bundle/v1","version":3,"created":"2026-12-04T08:00:00Z","dock":{"cloud":{"target":"s3://b/p","blackout":["07:00-09:00"]},
            "releasePolicy":"Never","bays":[{"id":"1","endpoint":"tcp://127.0.0.1:7001"}]},"recorderProfiles":[{"model":"DSJ-T9","codec":"h265"}],
            "rollout":{"cohorts":"site","steps":[["a"],["b","c"]],"failureThreshold":0.1}}
            """, key);
        var trusted = new[] { new Dock.Service.Fleet.ConfigKey(key.PublicKey, "fuzz") };
        var entry = new Dock.Service.Fleet.FleetLogEntry(2, 3, new string('a', 64), DateTimeOffset.UnixEpoch.AddYears(56), "it@host").ToBytes();
        Report("fleet bundle, status, log entry", FuzzBudget.Run(FuzzBudget.BytesNear(Encoding.UTF8.GetBytes(note), entry), bytes =>
        {
            var text = Encoding.UTF8.GetString(bytes);
            try
            {
                var opened = Dock.Service.Fleet.BundleNote.Open(text, trusted);
                _ = Dock.Service.Fleet.FleetSettings.For(opened.Bundle, "dock-1", "a");
                _ = opened.Bundle.RecorderProfiles;
                _ = opened.Bundle.Rollout.Covers(1, "dock-1", "b");
            }
            catch (Dock.Service.Fleet.FleetBundleException ex) when (ex.Message.Length > 0)
            {
                // Refused, with a reason: what the dock alerts.
            }
            Dock.Service.Fleet.DockStatus.TryOpen(bytes, key.PublicKey, out _, out _);
            Dock.Service.Fleet.FleetLogEntry.TryParse(bytes, out _, out _);
        }));
    }

    [Fact]
    public void Manifest_AnyBytes_VerifiesAsMalformedOrFails_NeverThrows()
    {
        var dir = Directory.CreateTempSubdirectory("dock-fuzz-manifest-").FullName;
        try
        {
            var clip = Path.Combine(dir, "c.mp4");
            File.WriteAllBytes(clip, new byte[100]);
            var manifest = clip + ".manifest.json";
            var sample = Encoding.UTF8.GetBytes("""
                {"format":"dock-manifest/v1","clip":{"recorderSerial":"DSJ-1","clipId":"c.mp4","size":100,"sha256":"00","flags":0,
                "deviceStart":"2026-12-03T00:00:00Z","deviceEnd":"2026-12-03T00:10:00Z"},"custody":{"index":1,"entry":"x","proof":[],"checkpoint":"y"}}
                """);
            File.WriteAllBytes(manifest + ".sig", new byte[64]);
            Report("manifest", FuzzBudget.Run(FuzzBudget.BytesNear(sample), bytes =>
            {
                File.WriteAllBytes(manifest, bytes);
                var report = ClipVerifier.VerifyAsync(clip, manifest, null, CancellationToken.None).GetAwaiter().GetResult();
                if (report.Outcome == VerifyOutcome.Verified) throw new InvalidOperationException("a random manifest verified");
            }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EnrolmentFile_AnyText_EntriesOrOneLineError()
    {
        var sample = Encoding.UTF8.GetBytes("# unit 7\nDSJ-1 " + new string('a', 64) + "\nDSJ-2 keyless\n");
        Report("enrolment file", FuzzBudget.Run(FuzzBudget.BytesNear(sample), bytes =>
        {
            try
            {
                Service.Enrolment.EnrolmentFile.Parse(Encoding.UTF8.GetString(bytes).Split('\n'), "fuzz.txt");
            }
            catch (Service.Catalog.EnrolmentException ex) when (!ex.Message.Contains('\n', StringComparison.Ordinal))
            {
                // A line-numbered refusal is the expected answer to a bad file.
            }
        }));
    }

    [Fact]
    public void ConfigurationFile_AnyJson_BindsAndValidatesOrRefusesWithAMessage()
    {
        var sample = Encoding.UTF8.GetBytes("""
            {"Dock":{"DataDirectory":"data","ReconnectInterval":"00:00:02","VaultReserveBytes":"1GiB","Cloud":{"Target":"file:cloud"},
             "Link":{"ReadChunkSize":"256KiB","MaxListedClips":10000},"Bays":[{"Id":"1","Endpoint":"tcp://127.0.0.1:7001"}]}}
            """);
        Report("configuration file", FuzzBudget.Run(FuzzBudget.BytesNear(sample), bytes =>
        {
            IConfigurationRoot configuration;
            try
            {
                configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes)).Build();
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException or JsonException)
            {
                return; // Not JSON: the host says which file and where.
            }
            _ = ConfigurationKeysValidator.Unknown(configuration.GetSection("Dock"), "Dock", typeof(DockOptions));
            var options = new DockOptions();
            try
            {
                configuration.GetSection("Dock").Bind(options);
            }
            catch (InvalidOperationException)
            {
                return; // A value of the wrong type: the binder names the key.
            }
            _ = new DockOptionsValidator().Validate(null, options);
        }));
    }
}
