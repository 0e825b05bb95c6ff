using System.Buffers.Binary;
using System.Text;
using Dock.Crypto.Keys;

namespace Dock.Crypto.Tests;

/// <summary>Key files on disk: owner-only creation, passphrase sealing (Argon2id + XChaCha20-Poly1305), and clear errors.</summary>
public sealed class KeyFileTests : IDisposable
{
    // The cheapest allowed Argon2id cost keeps the tests quick; the format records it per file.
    private static readonly KeyFile.SealParameters Cheap = new(8 * 1024, 1);
    private readonly string _dir = Directory.CreateTempSubdirectory("dock-keyfile-").FullName;

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Sealed_OpensOnlyWithThePassphrase_AndHoldsTheSameKey()
    {
        var path = PathOf("dock.key");
        byte[] publicKey;
        using (var key = KeyFile.LoadOrCreate(path, "correct horse", Cheap)) publicKey = key.PublicKey;

        Assert.True(KeyFile.IsSealed(path));
        Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(path), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using (var again = KeyFile.Load(path, "correct horse")) Assert.Equal(publicKey, again.PublicKey);
        Assert.Contains("sealed with a passphrase", Assert.Throws<KeyPassphraseException>(() => KeyFile.Load(path)).Message, StringComparison.Ordinal);
        Assert.Contains("Wrong passphrase", Assert.Throws<KeyPassphraseException>(() => KeyFile.Load(path, "battery staple")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResealAndUnseal_KeepTheKey()
    {
        var path = PathOf("dock.key");
        byte[] publicKey;
        using (var key = KeyFile.LoadOrCreate(path)) publicKey = key.PublicKey;
        KeyFile.Reseal(path, null, "first", Cheap);
        KeyFile.Reseal(path, "first", "second", Cheap);
        Assert.Throws<KeyPassphraseException>(() => KeyFile.Load(path, "first"));
        KeyFile.Unseal(path, "second");
        Assert.False(KeyFile.IsSealed(path));
        using var plain = KeyFile.Load(path);
        Assert.Equal(publicKey, plain.PublicKey);
    }

    [Fact]
    public void AlteredSealedFile_IsRefused_NotMisread()
    {
        var path = PathOf("dock.key");
        using (KeyFile.LoadOrCreate(path, "pass", Cheap)) { }
        var lines = File.ReadAllLines(path);
        var blob = Convert.FromBase64String(string.Concat(lines[1..^1]));

        // A flipped ciphertext byte: the AEAD tag fails, reported as wrong passphrase or altered file.
        var flipped = (byte[])blob.Clone();
        flipped[^20] ^= 0x01;
        File.WriteAllText(path, $"{lines[0]}\n{Convert.ToBase64String(flipped)}\n{lines[^1]}\n");
        Assert.Contains("altered", Assert.Throws<KeyPassphraseException>(() => KeyFile.Load(path, "pass")).Message, StringComparison.Ordinal);

        // A hostile KDF cost (4 TiB of memory) is refused before any derivation.
        var hostile = (byte[])blob.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(hostile.AsSpan(9), uint.MaxValue);
        File.WriteAllText(path, $"{lines[0]}\n{Convert.ToBase64String(hostile)}\n{lines[^1]}\n");
        Assert.Contains("out of range", Assert.Throws<InvalidDataException>(() => KeyFile.Load(path, "pass")).Message, StringComparison.Ordinal);

        // Damaged armour.
        File.WriteAllText(path, $"{lines[0]}\n%%%%\n{lines[^1]}\n");
        Assert.Contains("corrupt", Assert.Throws<InvalidDataException>(() => KeyFile.Load(path, "pass")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingOrGarbageFile_ClearErrors()
    {
        Assert.Throws<FileNotFoundException>(() => KeyFile.Load(PathOf("nope.key")));
        File.WriteAllBytes(PathOf("garbage.key"), Encoding.ASCII.GetBytes("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
        Assert.Contains("corrupt", Assert.Throws<InvalidDataException>(() => KeyFile.Load(PathOf("garbage.key"))).Message, StringComparison.Ordinal);
        File.WriteAllBytes(PathOf("huge.key"), new byte[100_000]);
        Assert.Contains("too large", Assert.Throws<InvalidDataException>(() => KeyFile.Load(PathOf("huge.key"))).Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
