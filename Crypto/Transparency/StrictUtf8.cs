using System.Text;

namespace Dock.Crypto.Transparency;

/// <summary>The exact byte forms the logs and signed objects use (custody entries, bundle-log entries, status notes) are UTF-8 and nothing
/// else: a byte sequence that is not valid UTF-8 is refused, never read with replacement characters (two different byte forms must not
/// decode to one text).</summary>
public static class StrictUtf8
{
    private static readonly UTF8Encoding Encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string text)
    {
        try
        {
            text = Encoding.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }
}
