using System.Buffers.Binary;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Tests.Support;

namespace Dock.DeviceProtocol.Tests;

/// <summary>CLIP_META (docklink-v1.md §5.14, v1.2): what a host refuses, and how a device fits a long track into the host's max_payload.</summary>
public sealed class ClipMetaTests
{
    private const long Start = 1_795_508_100_000;

    private static ClipMeta Meta(int points, int markers = 0) => new("c1.mp4", false,
        [.. Enumerable.Range(0, points).Select(i => new TrackPoint(Start + i * 1000L, 399_000_000 + i, 1_163_000_000 + i, 50))],
        [.. Enumerable.Range(0, markers).Select(i => new ClipMarker(Start + i, MarkerKind.Officer, new string('m', 64)))]);

    private static byte[] Payload(ClipMeta meta)
    {
        var frame = Frames.Encode(meta, 1);
        return frame.AsSpan(16, frame.Length - 20).ToArray();
    }

    /// <summary>The offset of point <paramref name="index"/>'s field at <paramref name="field"/> (0 time, 8 lat, 12 lon, 16 accuracy).</summary>
    private static int PointOffset(int index, int field) => 1 + "c1.mp4".Length + 1 + 2 + index * TrackPoint.WireSize + field;

    [Fact]
    public void RoundTrip_KeepsEveryField()
    {
        var meta = Meta(3, 2) with { Important = true };
        var back = Assert.IsType<ClipMeta>(MessageCodec.Decode((byte)MessageType.ClipMeta, Payload(meta)));
        Assert.Equal(meta.Track, back.Track);
        Assert.Equal(meta.Markers, back.Markers);
        Assert.True(back.Important);
    }

    [Theory]
    [InlineData(8, 900_000_001, "latitude")]
    [InlineData(12, -1_800_000_001, "longitude")]
    [InlineData(0, 0, "time")]
    public void Decode_AFixOutOfBounds_IsMalformed(int field, long value, string named)
    {
        var payload = Payload(Meta(2));
        if (field == 0) BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(PointOffset(1, 0)), value);
        else BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(PointOffset(1, field)), (int)value);
        var error = Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipMeta, payload));
        Assert.Equal(DockLinkFailure.ProtocolViolation, error.Failure);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ATrackGoingBackInTime_IsMalformed()
    {
        var payload = Payload(Meta(2));
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(PointOffset(1, 0)), Start - 1);
        Assert.Contains("back in time", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipMeta, payload)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_APointCountThePayloadCannotHold_IsRefusedBeforeAnyAllocation()
    {
        var payload = Payload(Meta(1));
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(PointOffset(0, 0) - 2), ClipMeta.MaxPoints); // claims 2,048, carries 1
        Assert.Contains("do not fit", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipMeta, payload)).Message,
            StringComparison.Ordinal);
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(PointOffset(0, 0) - 2), ClipMeta.MaxPoints + 1);
        Assert.Contains("above", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipMeta, payload)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_AnUnknownMarkerKindOrImportanceValue_IsMalformed()
    {
        var payload = Payload(Meta(0, 1));
        payload[1 + "c1.mp4".Length] = 2; // important: 2
        Assert.Contains("important", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipMeta, payload)).Message,
            StringComparison.Ordinal);
        payload = Payload(Meta(0, 1));
        payload[1 + "c1.mp4".Length + 1 + 2 + 2 + 8] = 9; // the marker's kind
        Assert.Contains("kind 9", Assert.Throws<DockLinkException>(() => MessageCodec.Decode((byte)MessageType.ClipMeta, payload)).Message,
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5000, 4_194_304)] // more points than a message holds
    [InlineData(2048, 1024)]      // the smallest limit a host may advertise
    [InlineData(300, 4096)]
    public void Fit_ThinsTheTrackEvenly_KeepingFirstAndLast_UntilItFits(int points, int maxPayload)
    {
        var meta = Meta(points, 2);
        var fitted = ClipMetaBounds.Fit(meta, maxPayload);
        Assert.True(ClipMetaBounds.WireSize(fitted) <= maxPayload, $"{ClipMetaBounds.WireSize(fitted)} bytes");
        Assert.True(fitted.Track.Count <= ClipMeta.MaxPoints);
        Assert.True(fitted.Track.Count > 1);
        Assert.Equal(meta.Track[0], fitted.Track[0]);
        Assert.Equal(meta.Track[^1], fitted.Track[^1]);
        Assert.Equal(Payload(fitted).Length, ClipMetaBounds.WireSize(fitted));
        // Evenly: no gap between kept fixes more than twice the average.
        var gaps = fitted.Track.Zip(fitted.Track.Skip(1), (a, b) => b.TimeMs - a.TimeMs).ToList();
        Assert.True(gaps.Max() <= 2 * gaps.Average() + 1000, $"gaps {gaps.Min()}..{gaps.Max()}");
    }
}
