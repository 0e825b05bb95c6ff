using System.Buffers.Binary;
using System.Text;
using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Session;

/// <summary>
/// The agency's signature over a firmware image (docklink-v1.md §7.6). A recorder installs only an image signed by an agency key it already
/// trusts for dock endorsements: the label makes a firmware signature unusable as an endorsement and the other way round, so one key can
/// serve both purposes without either signature standing in for the other.
/// </summary>
public static class FirmwareSignature
{
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("DockLink-v1.5 firmware\0");

    /// <summary>fw_msg = "DockLink-v1.5 firmware" ‖ 0x00 ‖ str(model) ‖ str(version) ‖ u64(size) ‖ sha256[32]</summary>
    public static byte[] Message(string model, string version, ulong size, ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != MessageCodec.Sha256Size) throw new ArgumentException("An image SHA-256 is 32 bytes.", nameof(sha256));
        if (!MessageCodec.IsFirmwareName(model) || !MessageCodec.IsFirmwareName(version) || model.Length == 0 || version.Length == 0)
            throw new ArgumentException($"Model and version are 1 … {FirmwareBegin.MaxNameBytes} printable ASCII characters without spaces.");
        var message = new byte[Label.Length + 1 + model.Length + 1 + version.Length + 8 + 32];
        var w = message.AsSpan();
        Label.CopyTo(w);
        w = w[Label.Length..];
        w[0] = (byte)model.Length;
        Encoding.ASCII.GetBytes(model, w[1..]);
        w = w[(1 + model.Length)..];
        w[0] = (byte)version.Length;
        Encoding.ASCII.GetBytes(version, w[1..]);
        w = w[(1 + version.Length)..];
        BinaryPrimitives.WriteUInt64LittleEndian(w, size);
        sha256.CopyTo(w[8..]);
        return message;
    }

    public static byte[] Message(FirmwareBegin begin) => Message(begin.Model, begin.Version, begin.Size, begin.Sha256);

    /// <summary>True if one of <paramref name="agencyKeys"/> signed this image.</summary>
    public static bool Verify(IEnumerable<ReadOnlyMemory<byte>> agencyKeys, FirmwareBegin begin)
    {
        var message = Message(begin);
        return agencyKeys.Any(key => AuthTranscript.Verify(key.Span, message, begin.Signature));
    }
}
