using Dock.DeviceProtocol.Framing;
using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.Tests.Support;

/// <summary>Builds frames as bytes and feeds raw bytes through a real transport pair.</summary>
public static class Frames
{
    public static byte[] Encode(Message message, uint requestId)
    {
        using var writer = new WireWriter();
        MessageCodec.Encode(message, writer);
        return writer.Seal(message.Type, requestId).ToArray();
    }

    /// <summary>The payload alone, as MessageCodec writes it.</summary>
    public static byte[] Payload(Message message)
    {
        using var writer = new WireWriter();
        MessageCodec.Encode(message, writer);
        return writer.Payload.ToArray();
    }

    /// <summary>A reader over an in-memory link whose other end has already written <paramref name="bytes"/> and closed.</summary>
    public static async Task<FrameReader> ReaderOverAsync(byte[] bytes, int maxPayload = FrameFormat.PreHelloMaxPayload)
    {
        var (near, far) = InMemoryTransport.CreatePair();
        await far.WriteAsync(bytes, CancellationToken.None);
        await far.DisposeAsync();
        return new FrameReader(near, maxPayload);
    }
}
