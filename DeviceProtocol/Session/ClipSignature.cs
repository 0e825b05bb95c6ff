using System.Buffers.Binary;
using System.Text;
using Dock.DeviceProtocol.Messages;

namespace Dock.DeviceProtocol.Session;

/// <summary>
/// The signature a recorder makes when it finishes a clip (docklink-v1.md §7.5), before any dock has
/// seen it. It binds the clip's identity, size, SHA-256 and times to the recorder's key, so a dock, or
/// anyone later, can tell footage the camera recorded from bytes that merely carry a matching hash.
/// </summary>
public static class ClipSignature
{
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("DockLink-v1 clip\0");

    /// <summary>
    /// clip_msg = "DockLink-v1 clip" ‖ 0x00 ‖ str(serial) ‖ str(clip_id) ‖ u64(size) ‖ sha256[32]
    ///            ‖ i64(start_time) ‖ i64(end_time)   (little-endian, as everywhere in DockLink)
    /// </summary>
    public static byte[] Message(string serial, string clipId, ulong size, ReadOnlySpan<byte> sha256, long startMs, long endMs)
    {
        if (sha256.Length != 32) throw new ArgumentException("A clip SHA-256 is 32 bytes.", nameof(sha256));
        var s = Encoding.ASCII.GetBytes(Identifier.Require(serial, "serial"));
        var c = Encoding.ASCII.GetBytes(Identifier.Require(clipId, "clip id"));
        var message = new byte[Label.Length + 1 + s.Length + 1 + c.Length + 8 + 32 + 8 + 8];
        var w = message.AsSpan();
        Label.CopyTo(w);
        w = w[Label.Length..];
        w[0] = (byte)s.Length;
        s.CopyTo(w[1..]);
        w = w[(1 + s.Length)..];
        w[0] = (byte)c.Length;
        c.CopyTo(w[1..]);
        w = w[(1 + c.Length)..];
        BinaryPrimitives.WriteUInt64LittleEndian(w, size);
        sha256.CopyTo(w[8..]);
        BinaryPrimitives.WriteInt64LittleEndian(w[40..], startMs);
        BinaryPrimitives.WriteInt64LittleEndian(w[48..], endMs);
        return message;
    }

    public static byte[] Message(string serial, ClipSummary clip) =>
        Message(serial, clip.ClipId, clip.Size, clip.Sha256, clip.StartMs, clip.EndMs);

    /// <summary>True if <paramref name="signature"/> is the recorder's (key <paramref name="recorderKey"/>) signature over this clip.</summary>
    public static bool Verify(ReadOnlySpan<byte> recorderKey, string serial, ClipSummary clip, ReadOnlySpan<byte> signature) =>
        AuthTranscript.Verify(recorderKey, Message(serial, clip), signature);
}
