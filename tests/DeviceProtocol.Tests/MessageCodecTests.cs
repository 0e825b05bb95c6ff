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
    public void Decode_TruncatedPayload_NamesTheMissingField()
    {
        var frame = Frames.Encode(new ReadClip("clip-1", 10, 20), 1);
        var payload = frame.AsSpan(16, frame.Length - 20 - 3).ToArray();

        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ReadClip, payload));

        Assert.Contains("length", error.Message, StringComparison.Ordinal);
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
}
