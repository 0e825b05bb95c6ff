namespace Dock.Crypto.Hashing;

/// <summary>Hex of a known length (hashes, keys, signatures) read from files and the command line.</summary>
public static class Hex
{
    /// <summary>False unless <paramref name="hex"/> is exactly <paramref name="length"/> bytes of hex.</summary>
    public static bool TryParse(string? hex, int length, out byte[] bytes)
    {
        bytes = [];
        if (hex is null || hex.Length != length * 2) return false;
        try
        {
            bytes = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
