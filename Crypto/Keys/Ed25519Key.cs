using NSec.Cryptography;

namespace Dock.Crypto.Keys;

/// <summary>
/// An Ed25519 signing key (NSec/libsodium). Public keys are 32 raw bytes on the wire and PKIX PEM
/// for people and OpenSSL; private keys are stored as PKCS#8 PEM, which OpenSSL also reads.
/// </summary>
public sealed class Ed25519Key : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private Ed25519Key(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>32-byte raw public key.</summary>
    public byte[] PublicKey { get; }

    public static Ed25519Key Generate() =>
        new(Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>A key from a 32-byte seed (deterministic keys for the simulator and test vectors).</summary>
    public static Ed25519Key FromSeed(ReadOnlySpan<byte> seed) =>
        new(Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>Parses PKCS#8 PEM ("BEGIN PRIVATE KEY"). Throws <see cref="FormatException"/> on anything else.</summary>
    public static Ed25519Key FromPem(ReadOnlySpan<byte> pem)
    {
        if (!Key.TryImport(Algorithm, pem, KeyBlobFormat.PkixPrivateKeyText, out var key,
                new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }) || key is null)
            throw new FormatException("Not an Ed25519 private key in PKCS#8 PEM form.");
        return new Ed25519Key(key);
    }

    public byte[] ExportPem() => _key.Export(KeyBlobFormat.PkixPrivateKeyText);

    public byte[] Sign(ReadOnlySpan<byte> message) => Algorithm.Sign(_key, message);

    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64) return false;
        return NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key)
            && key is not null && Algorithm.Verify(key, message, signature);
    }

    /// <summary>The public key as PKIX PEM ("BEGIN PUBLIC KEY"), for <c>openssl pkeyutl -verify</c>.</summary>
    public static string PublicKeyPem(ReadOnlySpan<byte> publicKey)
    {
        var key = NSec.Cryptography.PublicKey.Import(Algorithm, publicKey, KeyBlobFormat.RawPublicKey);
        return System.Text.Encoding.ASCII.GetString(key.Export(KeyBlobFormat.PkixPublicKeyText));
    }

    /// <summary>A short, stable id for logs and the catalog: the first 8 bytes of SHA-256(public key), hex.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> publicKey) =>
        Hashing.Sha256.ToHex(Hashing.Sha256.Hash(publicKey).AsSpan(0, 8));

    public void Dispose() => _key.Dispose();
}
