using Dock.Crypto.Keys;

namespace Dock.Crypto.Tests;

public sealed class Ed25519KeyTests
{
    // RFC 8032 §7.1, TEST 1 (empty message) and TEST 2 (one byte 0x72).
    [Theory]
    [InlineData("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")]
    [InlineData("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")]
    public void SignAndVerify_Rfc8032Vectors(string seed, string publicKey, string message, string signature)
    {
        using var key = Ed25519Key.FromSeed(Convert.FromHexString(seed));
        var msg = Convert.FromHexString(message);

        Assert.Equal(publicKey, Convert.ToHexStringLower(key.PublicKey));
        Assert.Equal(signature, Convert.ToHexStringLower(key.Sign(msg)));
        Assert.True(Ed25519Key.Verify(key.PublicKey, msg, Convert.FromHexString(signature)));
        var tampered = Convert.FromHexString(signature);
        tampered[5] ^= 1;
        Assert.False(Ed25519Key.Verify(key.PublicKey, msg, tampered));
    }

    [Fact]
    public void PublicKeyPem_IsPkixSubjectPublicKeyInfo()
    {
        using var key = Ed25519Key.Generate();
        var pem = Ed25519Key.PublicKeyPem(key.PublicKey);

        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem, StringComparison.Ordinal);
        var der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal))));
        Assert.Equal(44, der.Length); // 12-byte Ed25519 SPKI header + 32-byte key
        Assert.Equal(key.PublicKey, der[12..]);
    }

    [Fact]
    public void KeyFile_LoadOrCreate_OwnerOnlyAndStable()
    {
        var dir = Directory.CreateTempSubdirectory("dock-keys-");
        try
        {
            var path = Path.Combine(dir.FullName, "sub", "dock.key");
            using var first = KeyFile.LoadOrCreate(path);
            using var again = KeyFile.LoadOrCreate(path);

            Assert.Equal(first.PublicKey, again.PublicKey);
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void KeyFile_Load_CorruptFile_ClearInvalidDataException()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
            var error = Assert.Throws<InvalidDataException>(() => KeyFile.Load(path));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
