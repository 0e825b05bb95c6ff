using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Dock.Crypto.Keys;

/// <summary>
/// Private keys on disk: PKCS#8 PEM, created with owner-only permissions (0600) before any byte of
/// key material is written; optionally sealed with a passphrase (Argon2id, then XChaCha20-Poly1305),
/// so a copied disk image does not give away the dock's identity.
/// </summary>
/// <remarks>
/// Sealed format, inside "-----BEGIN DOCK SEALED KEY-----" armour, base64 of:
/// "DOCKSEAL" ‖ u8 version (1) ‖ u32be memory KiB ‖ u32be passes ‖ salt[16] ‖ nonce[24] ‖ ciphertext(PKCS#8 PEM) ‖ tag[16].
/// The header (everything before the ciphertext) is the AEAD associated data, so the KDF settings cannot be altered unnoticed.
/// </remarks>
public static class KeyFile
{
    private const string SealedBegin = "-----BEGIN DOCK SEALED KEY-----";
    private const string SealedEnd = "-----END DOCK SEALED KEY-----";
    private static readonly byte[] Magic = "DOCKSEAL"u8.ToArray();
    private const int HeaderSize = 8 + 1 + 4 + 4 + 16 + 24;
    private const int MaxFileBytes = 8192;

    /// <summary>Argon2id cost for new sealed keys: 64 MiB and 3 passes (about 0.1 s here; a guesser pays the same per try).</summary>
    public static readonly SealParameters DefaultSeal = new(64 * 1024, 3);

    /// <summary>Argon2id cost. Memory in KiB (8 MiB–1 GiB), passes 1–10; parallelism is 1 (libsodium).</summary>
    public sealed record SealParameters(int MemoryKiB, int Passes)
    {
        internal bool InRange => MemoryKiB is >= 8 * 1024 and <= 1024 * 1024 && Passes is >= 1 and <= 10;
    }

    /// <summary>Loads the key at <paramref name="path"/>, creating it first if the file does not exist
    /// (sealed when a <paramref name="passphrase"/> is given).</summary>
    public static Ed25519Key LoadOrCreate(string path, string? passphrase = null, SealParameters? seal = null)
    {
        if (File.Exists(path)) return Load(path, passphrase);
        using var key = Ed25519Key.Generate();
        var pem = key.ExportPem();
        WriteNew(path, passphrase is null ? pem : Seal(pem, passphrase, seal ?? DefaultSeal));
        return Load(path, passphrase);
    }

    /// <summary>Writes an existing key to a new file (sealed when a passphrase is given) and loads it back from there.</summary>
    public static Ed25519Key LoadOrCreateFrom(string path, Ed25519Key key, string? passphrase = null, SealParameters? seal = null)
    {
        var pem = key.ExportPem();
        try
        {
            WriteNew(path, passphrase is null ? pem : Seal(pem, passphrase, seal ?? DefaultSeal));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pem);
        }
        return Load(path, passphrase);
    }

    /// <summary>Loads a key. A clear <see cref="InvalidDataException"/> when the file is not one;
    /// <see cref="KeyPassphraseException"/> when it is sealed and the passphrase is missing or wrong.</summary>
    public static Ed25519Key Load(string path, string? passphrase = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Key file {path} does not exist.", path);
        if (info.Length > MaxFileBytes) throw new InvalidDataException($"Key file {path} is {info.Length} bytes: too large to be an Ed25519 key.");
        var bytes = File.ReadAllBytes(path);
        if (IsSealedContent(bytes))
        {
            if (passphrase is null)
                throw new KeyPassphraseException($"Key file {path} is sealed with a passphrase. Give it in DOCK_KEY_PASSPHRASE, or a file named by " +
                    "DOCK_KEY_PASSPHRASE_FILE (or Dock:Identity:PassphraseFile).");
            bytes = Unseal(bytes, passphrase, path);
        }
        try
        {
            return Ed25519Key.FromPem(bytes);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"Key file {path} is corrupt or not an Ed25519 private key: {ex.Message}", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public static bool IsSealed(string path) => File.Exists(path) && new FileInfo(path).Length <= MaxFileBytes && IsSealedContent(File.ReadAllBytes(path));

    /// <summary>Seals (or re-seals with a new passphrase) the key at <paramref name="path"/> in place, atomically.</summary>
    public static void Reseal(string path, string? oldPassphrase, string newPassphrase, SealParameters? seal = null)
    {
        using var key = Load(path, oldPassphrase);
        Replace(path, Seal(key.ExportPem(), newPassphrase, seal ?? DefaultSeal));
    }

    /// <summary>Removes the passphrase: the key is stored as plain PKCS#8 PEM (mode 0600) again.</summary>
    public static void Unseal(string path, string passphrase)
    {
        using var key = Load(path, passphrase);
        Replace(path, key.ExportPem());
    }

    private static byte[] Seal(byte[] pem, string passphrase, SealParameters parameters)
    {
        if (!parameters.InRange) throw new ArgumentOutOfRangeException(nameof(parameters), "Argon2id memory must be 8 MiB–1 GiB and passes 1–10.");
        if (passphrase.Length == 0) throw new ArgumentException("An empty passphrase protects nothing.", nameof(passphrase));
        var header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        header[8] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(9), (uint)parameters.MemoryKiB);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(13), (uint)parameters.Passes);
        RandomNumberGenerator.Fill(header.AsSpan(17, 16 + 24));
        using var aeadKey = DeriveKey(passphrase, header);
        var sealedBytes = AeadAlgorithm.XChaCha20Poly1305.Encrypt(aeadKey, header.AsSpan(33, 24), header, pem);
        var base64 = Convert.ToBase64String([.. header, .. sealedBytes], Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n");
        return Encoding.ASCII.GetBytes($"{SealedBegin}\n{base64}\n{SealedEnd}\n");
    }

    private static byte[] Unseal(byte[] file, string passphrase, string path)
    {
        byte[] blob;
        try
        {
            var text = Encoding.ASCII.GetString(file).Trim();
            blob = Convert.FromBase64String(text[SealedBegin.Length..^SealedEnd.Length]);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"Sealed key file {path} is corrupt: its armour or base64 is damaged.", ex);
        }
        if (blob.Length < HeaderSize + 16 || !blob.AsSpan(0, 8).SequenceEqual(Magic) || blob[8] != 1)
            throw new InvalidDataException($"Sealed key file {path} is corrupt or from a newer Dock (unknown header).");
        var header = blob.AsSpan(0, HeaderSize).ToArray();
        var parameters = new SealParameters((int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(9))),
            (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(13))));
        // A hostile file must not make us allocate gigabytes or spin for minutes.
        if (!parameters.InRange) throw new InvalidDataException($"Sealed key file {path} asks for Argon2id settings out of range: corrupt or hostile.");
        using var aeadKey = DeriveKey(passphrase, header);
        return AeadAlgorithm.XChaCha20Poly1305.Decrypt(aeadKey, header.AsSpan(33, 24), header, blob.AsSpan(HeaderSize))
            ?? throw new KeyPassphraseException($"Wrong passphrase for key file {path} (or the sealed file was altered).");
    }

    private static Key DeriveKey(string passphrase, byte[] header)
    {
        var memory = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(9));
        var passes = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(13));
        var kdf = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters { DegreeOfParallelism = 1, MemorySize = memory, NumberOfPasses = passes });
        var secret = kdf.DeriveBytes(passphrase, header.AsSpan(17, 16), 32);
        try
        {
            return Key.Import(AeadAlgorithm.XChaCha20Poly1305, secret, KeyBlobFormat.RawSymmetricKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static bool IsSealedContent(ReadOnlySpan<byte> bytes) => bytes.TrimStart((byte)'\n').StartsWith(Encoding.ASCII.GetBytes(SealedBegin));

    private static void WriteNew(string path, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var file = new FileStream(path, options);
        file.Write(content);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Write beside, flush, then rename over: a crash leaves the old key or the new one, never half of either.</summary>
    private static void Replace(string path, byte[] content)
    {
        var temporary = path + ".new";
        File.Delete(temporary);
        WriteNew(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>A sealed key file and no passphrase, or the wrong one.</summary>
public sealed class KeyPassphraseException(string message) : Exception(message);
