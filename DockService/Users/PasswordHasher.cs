using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Dock.Service.Users;

/// <summary>
/// Argon2id password hashes (NSec/libsodium), stored as <c>argon2id$m=KiB,t=passes$salt$hash</c> (base64), so the cost can rise
/// later without invalidating stored hashes. 19 MiB and 2 passes by default (OWASP's floor; about 40 ms here): a login costs
/// that once, a guesser pays it per try, and login is rate-limited and locked out besides.
/// </summary>
public static class PasswordHasher
{
    public const int MinLength = 10;
    public const int MaxLength = 256;
    private const int DefaultMemoryKiB = 19 * 1024;
    private const int DefaultPasses = 2;

    public static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Derive(password, salt, DefaultMemoryKiB, DefaultPasses);
        return $"argon2id$m={DefaultMemoryKiB},t={DefaultPasses}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "argon2id") return false;
        var cost = parts[1].Split(',');
        if (cost.Length != 2 || !cost[0].StartsWith("m=", StringComparison.Ordinal) || !cost[1].StartsWith("t=", StringComparison.Ordinal)
            || !int.TryParse(cost[0][2..], NumberStyles.None, CultureInfo.InvariantCulture, out var memory)
            || !int.TryParse(cost[1][2..], NumberStyles.None, CultureInfo.InvariantCulture, out var passes)
            || memory is < 8 * 1024 or > 1024 * 1024 || passes is < 1 or > 10)
            return false;
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        if (salt.Length != 16 || expected.Length != 32) return false;
        return CryptographicOperations.FixedTimeEquals(Derive(password, salt, memory, passes), expected);
    }

    /// <summary>Why a new password cannot be used, or null.</summary>
    public static string? Weakness(string password) =>
        password.Length < MinLength ? $"a password needs at least {MinLength} characters"
        : password.Length > MaxLength ? $"a password has at most {MaxLength} characters"
        : null;

    private static byte[] Derive(string password, byte[] salt, int memoryKiB, int passes)
    {
        var kdf = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1, MemorySize = memoryKiB, NumberOfPasses = passes,
        });
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return kdf.DeriveBytes(bytes, salt, 32);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
