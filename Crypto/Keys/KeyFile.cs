namespace Dock.Crypto.Keys;

/// <summary>
/// Private keys on disk: PKCS#8 PEM, created with owner-only permissions (0600) before any byte of
/// key material is written. (Passphrase sealing comes with the chain-of-custody work.)
/// </summary>
public static class KeyFile
{
    /// <summary>Loads the key at <paramref name="path"/>, creating it first if the file does not exist.</summary>
    public static Ed25519Key LoadOrCreate(string path)
    {
        if (File.Exists(path)) return Load(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var key = Ed25519Key.Generate();
        var pem = key.ExportPem();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(path, options))
        {
            file.Write(pem);
            file.Flush(flushToDisk: true);
        }
        return Load(path);
    }

    /// <summary>Loads a key; a clear <see cref="InvalidDataException"/> when the file is not one.</summary>
    public static Ed25519Key Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"Key file {path} does not exist.", path);
        if (info.Length > 4096) throw new InvalidDataException($"Key file {path} is {info.Length} bytes: too large to be an Ed25519 key.");
        try
        {
            return Ed25519Key.FromPem(File.ReadAllBytes(path));
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"Key file {path} is corrupt or not an Ed25519 private key: {ex.Message}", ex);
        }
    }
}
