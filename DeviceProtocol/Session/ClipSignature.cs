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
        var w = Start(message, Label, s, c);
        BinaryPrimitives.WriteUInt64LittleEndian(w, size);
        sha256.CopyTo(w[8..]);
        BinaryPrimitives.WriteInt64LittleEndian(w[40..], startMs);
        BinaryPrimitives.WriteInt64LittleEndian(w[48..], endMs);
        return message;
    }

    /// <summary>Writes label ‖ str(serial) ‖ str(clip_id) at the start of <paramref name="message"/>; returns the rest.</summary>
    private static Span<byte> Start(byte[] message, byte[] label, byte[] serial, byte[] clipId)
    {
        var w = message.AsSpan();
        label.CopyTo(w);
        w = w[label.Length..];
        w[0] = (byte)serial.Length;
        serial.CopyTo(w[1..]);
        w = w[(1 + serial.Length)..];
        w[0] = (byte)clipId.Length;
        clipId.CopyTo(w[1..]);
        return w[(1 + clipId.Length)..];
    }

    public static byte[] Message(string serial, ClipSummary clip) =>
        Message(serial, clip.ClipId, clip.Size, clip.Sha256, clip.StartMs, clip.EndMs);

    private static readonly byte[] LabelV11 = Encoding.ASCII.GetBytes("DockLink-v1.1 clip\0");

    /// <summary>
    /// The v1.1 record-time signature (capability bit 2) covers every field the recorder lists, in CLIP_LIST's order, and the
    /// officer the clip was recorded for, so flags (R11 priority, protection from overwrite) and officer cannot be changed:
    /// clip_msg_v11 = "DockLink-v1.1 clip" ‖ 0x00 ‖ str(serial) ‖ str(clip_id) ‖ u64(size) ‖ i64(start_time) ‖ i64(end_time)
    ///                ‖ u16(flags) ‖ sha256[32] ‖ str(officer_id)   (officer_id may be empty)
    /// </summary>
    public static byte[] MessageV11(string serial, ClipSummary clip, string officerId)
    {
        if (clip.Sha256.Length != 32) throw new ArgumentException("A clip SHA-256 is 32 bytes.", nameof(clip));
        var s = Encoding.ASCII.GetBytes(Identifier.Require(serial, "serial"));
        var c = Encoding.ASCII.GetBytes(Identifier.Require(clip.ClipId, "clip id"));
        var o = Encoding.ASCII.GetBytes(officerId.Length == 0 ? "" : Identifier.Require(officerId, "officer id"));
        var message = new byte[LabelV11.Length + 1 + s.Length + 1 + c.Length + 8 + 8 + 8 + 2 + 32 + 1 + o.Length];
        var w = Start(message, LabelV11, s, c);
        BinaryPrimitives.WriteUInt64LittleEndian(w, clip.Size);
        BinaryPrimitives.WriteInt64LittleEndian(w[8..], clip.StartMs);
        BinaryPrimitives.WriteInt64LittleEndian(w[16..], clip.EndMs);
        BinaryPrimitives.WriteUInt16LittleEndian(w[24..], (ushort)clip.Flags);
        clip.Sha256.CopyTo(w[26..]);
        w = w[58..];
        w[0] = (byte)o.Length;
        o.CopyTo(w[1..]);
        return message;
    }

    private static readonly byte[] LabelV15 = Encoding.ASCII.GetBytes("DockLink-v1.5 clip\0");

    /// <summary>
    /// The v1.5 record-time signature (capability bit 7) adds the recorder profile the camera ran when it recorded the clip, so an auditor can
    /// tie the footage to the configuration (and through it to the fleet bundle) it was made under:
    /// clip_msg_v15 = "DockLink-v1.5 clip" ‖ 0x00 ‖ (clip_msg_v11 after its label) ‖ u64(config_version) ‖ config_sha256[32]
    /// </summary>
    public static byte[] MessageV15(string serial, ClipSummary clip, string officerId, RecordedUnder config)
    {
        if (config.Sha256.Length != 32) throw new ArgumentException("A profile SHA-256 is 32 bytes.", nameof(config));
        var v11 = MessageV11(serial, clip, officerId);
        var body = v11.AsSpan(LabelV11.Length);
        var message = new byte[LabelV15.Length + body.Length + 8 + 32];
        LabelV15.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(LabelV15.Length));
        BinaryPrimitives.WriteUInt64LittleEndian(message.AsSpan(LabelV15.Length + body.Length), config.Version);
        config.Sha256.CopyTo(message, LabelV15.Length + body.Length + 8);
        return message;
    }

    /// <summary>True if <paramref name="signature"/> is the recorder's v1.5 signature over this clip, officer and profile.</summary>
    public static bool VerifyV15(ReadOnlySpan<byte> recorderKey, string serial, ClipSummary clip, string officerId, RecordedUnder config,
        ReadOnlySpan<byte> signature) =>
        AuthTranscript.Verify(recorderKey, MessageV15(serial, clip, officerId, config), signature);

    /// <summary>True if <paramref name="signature"/> is the recorder's (key <paramref name="recorderKey"/>) signature over this clip.</summary>
    public static bool Verify(ReadOnlySpan<byte> recorderKey, string serial, ClipSummary clip, ReadOnlySpan<byte> signature) =>
        AuthTranscript.Verify(recorderKey, Message(serial, clip), signature);

    /// <summary>True if <paramref name="signature"/> is the recorder's v1.1 signature over this clip and officer.</summary>
    public static bool VerifyV11(ReadOnlySpan<byte> recorderKey, string serial, ClipSummary clip, string officerId, ReadOnlySpan<byte> signature) =>
        AuthTranscript.Verify(recorderKey, MessageV11(serial, clip, officerId), signature);
}
