using System.Security.Cryptography;
using Dock.Crypto.Hashing;
using Dock.Crypto.Keys;
using Dock.Service.Configuration;
using Dock.Service.Vault;
using Dock.Service.Vault.Encryption;

namespace Dock.Service.Tests;

/// <summary>The vault's chunked AES-GCM format and its wrapped data keys: what is written reads back; a pull resumes across a crash at any
/// offset; a range decrypts alone; a changed, cut or swapped chunk fails with the chunk named; a KEK rotation rewraps keys, not clips.</summary>
public sealed class VaultEncryptionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("dock-vault-enc-");
    private readonly Ed25519Key _dockKey = Ed25519Key.Generate();

    private ClipVault Vault(bool encrypt = true, string? keyFile = null) =>
        VaultEncryption.Configure(new ClipVault(_dir.FullName), new VaultOptions { Encryption = encrypt, KeyFile = keyFile }, m => _dockKey.Sign(m));

    private static byte[] Data(int length, int seed = 7)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private async Task<string> StoreAsync(ClipVault vault, string clip, byte[] data, int piece = 256 * 1024)
    {
        await using (var partial = vault.OpenPartial("R1", clip, 0))
        {
            Assert.True(partial.Encrypted);
            for (int at = 0; at < data.Length; at += piece) partial.Write(data.AsSpan(at, Math.Min(piece, data.Length - at)));
            partial.Complete();
            partial.FlushToDisk();
            await partial.DisposeAsync();
            return vault.Resolve(vault.Commit(partial, "R1", clip));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ChunkedAead.ChunkSize)]
    [InlineData(3 * ChunkedAead.ChunkSize + 12345)]
    public async Task WhatIsWritten_ReadsBack_WholeAndInRanges_AndIsNotOnDiskInTheClear(int length)
    {
        var vault = Vault();
        var data = Data(length);
        var path = await StoreAsync(vault, "c" + length, data);
        Assert.Equal(SHA256.HashData(data), await vault.HashAsync(path, CancellationToken.None));
        await using (var whole = vault.OpenRead(path))
            Assert.Equal(length, whole.Length);
        if (length > 100)
        {
            // A range in the middle, across a chunk boundary when there is one: only those chunks are read.
            long from = Math.Max(0, length / 2 - 50);
            await using var range = vault.OpenRead(path, from, 100);
            var read = new byte[100];
            await range.ReadExactlyAsync(read);
            Assert.Equal(data.AsSpan((int)from, 100).ToArray(), read);
            var disk = await File.ReadAllBytesAsync(path);
            Assert.Equal(-1, disk.AsSpan().IndexOf(data.AsSpan(length / 2, 64)));
        }
    }

    [Fact]
    public async Task APull_ResumesAtTheDurableOffset_InsideAChunk_AndTheResultIsWhole()
    {
        var vault = Vault();
        var data = Data(2 * ChunkedAead.ChunkSize + 777_777);
        await using (var partial = vault.OpenPartial("R1", "c", 0))
        {
            partial.Write(data.AsSpan(0, 1_500_000));
            partial.FlushToDisk();                          // durable: 1,500,000 (a full chunk and a partial one)
            partial.Write(data.AsSpan(1_500_000, 600_000)); // written, never flushed: lost in the "crash"
        }
        long durable = 1_400_000;                           // the catalog's last checkpoint was earlier still
        using var hash = Sha256.CreateIncremental();
        await using (var resumed = vault.OpenPartial("R1", "c", durable))
        {
            Assert.True(resumed.Encrypted);
            Assert.Equal(durable, resumed.ResumedAt);
            await resumed.HashResumedAsync(hash, CancellationToken.None);
            resumed.Write(data.AsSpan((int)durable));
            resumed.Complete();
            resumed.FlushToDisk();
        }
        hash.AppendData(data.AsSpan((int)durable));
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
        Assert.Equal(SHA256.HashData(data), await vault.HashAsync(vault.PartialPath("R1", "c"), CancellationToken.None));
    }

    [Fact]
    public async Task ATornLastChunk_ResumesFromItsStart_AndTheResultIsWhole()
    {
        // A crash while the growing last chunk was being rewritten leaves it torn: the pull goes on from that chunk's start.
        var vault = Vault();
        var data = Data(ChunkedAead.ChunkSize + 600_000);
        await using (var partial = vault.OpenPartial("R1", "t", 0))
        {
            partial.Write(data.AsSpan(0, ChunkedAead.ChunkSize + 300_000));
            partial.FlushToDisk();
        }
        var path = vault.PartialPath("R1", "t");
        await using (var file = new FileStream(path, FileMode.Open))
        {
            file.Position = ChunkedAead.HeaderSize + ChunkedAead.Stride + 100;
            file.WriteByte(0x5A);
        }
        using var hash = Sha256.CreateIncremental();
        await using (var resumed = vault.OpenPartial("R1", "t", ChunkedAead.ChunkSize + 300_000))
        {
            Assert.Equal(ChunkedAead.ChunkSize, resumed.ResumedAt);
            await resumed.HashResumedAsync(hash, CancellationToken.None);
            resumed.Write(data.AsSpan(ChunkedAead.ChunkSize));
            resumed.Complete();
            resumed.FlushToDisk();
        }
        hash.AppendData(data.AsSpan(ChunkedAead.ChunkSize));
        Assert.Equal(SHA256.HashData(data), hash.GetHashAndReset());
        Assert.Equal(SHA256.HashData(data), await vault.HashAsync(path, CancellationToken.None));
    }

    [Fact]
    public async Task AChangedChunk_FailsAuthentication_NamingIt_AndACutOrSwappedFileFailsToo()
    {
        var vault = Vault();
        var data = Data(3 * ChunkedAead.ChunkSize + 5);
        var path = await StoreAsync(vault, "c", data);
        var original = await File.ReadAllBytesAsync(path);

        var flipped = (byte[])original.Clone();
        flipped[ChunkedAead.HeaderSize + ChunkedAead.Stride + 5000] ^= 0x01;   // a byte of chunk 1
        await File.WriteAllBytesAsync(path, flipped);
        await using (var first = vault.OpenRead(path, 0, 1000))
            Assert.Equal(1000, await first.ReadAsync(new byte[1000]));                 // chunk 0 still reads: random access
        var error = await Assert.ThrowsAsync<VaultDecryptionException>(() => vault.HashAsync(path, CancellationToken.None));
        Assert.Contains("chunk 1 ", error.Message, StringComparison.Ordinal);
        Assert.Contains("fails authentication", error.Message, StringComparison.Ordinal);

        // Cut at a chunk boundary: the new last chunk was not sealed as the last.
        await File.WriteAllBytesAsync(path, original.AsSpan(0, ChunkedAead.HeaderSize + 2 * ChunkedAead.Stride).ToArray());
        await Assert.ThrowsAsync<VaultDecryptionException>(() => vault.HashAsync(path, CancellationToken.None));

        // Two chunks swapped: each names its own position.
        var swapped = (byte[])original.Clone();
        original.AsSpan(ChunkedAead.HeaderSize, ChunkedAead.Stride).CopyTo(swapped.AsSpan(ChunkedAead.HeaderSize + ChunkedAead.Stride));
        original.AsSpan(ChunkedAead.HeaderSize + ChunkedAead.Stride, ChunkedAead.Stride).CopyTo(swapped.AsSpan(ChunkedAead.HeaderSize));
        await File.WriteAllBytesAsync(path, swapped);
        await Assert.ThrowsAsync<VaultDecryptionException>(() => vault.HashAsync(path, CancellationToken.None));
    }

    [Fact]
    public async Task KekRotation_RewrapsTheSmallKeyFiles_NotTheClips_AndTheWrongKeyIsAClearError()
    {
        var data = Data(1_000_000);
        var path = await StoreAsync(Vault(), "c", data);
        var clipBefore = await File.ReadAllBytesAsync(path);
        var keyFile = Path.Combine(_dir.FullName, "vault.key");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

        // Add the new KEK's wrap, then keep only it: the clip file is untouched, and opens with the key file alone.
        var both = Vault(keyFile: "vault.key");
        Assert.Equal(1, both.Keys!.AddWrap(both.Keys.Current));
        Assert.Equal(1, both.Keys.KeepOnly(both.Keys.Current));
        Assert.Equal(clipBefore, await File.ReadAllBytesAsync(path));
        var onlyFile = new VaultKeys(Path.Combine(_dir.FullName, "vault"), [KeyEncryptionKey.FromFile(keyFile)]);
        var vault = new ClipVault(_dir.FullName) { Keys = onlyFile };
        Assert.Equal(SHA256.HashData(data), await vault.HashAsync(path, CancellationToken.None));

        // The dock key alone no longer opens it: the error names the wrap and what this dock has.
        var error = Assert.Throws<VaultKeyException>(() => Vault().OpenRead(path));
        Assert.Contains("wrapped by key", error.Message, StringComparison.Ordinal);
        Assert.Throws<VaultKeyException>(() => KeyEncryptionKey.FromFile(Path.Combine(_dir.FullName, "missing.key")));
    }

    [Fact]
    public async Task APlainVault_ReadsItsPlainClips_AndARecordersBytesThatLookEncryptedStayPlain()
    {
        var plain = Vault(encrypt: false);
        // A hostile recorder's clip that starts like an encrypted file: no data key of this vault names it, so it is read as it is.
        var data = ChunkedAead.Header(RandomNumberGenerator.GetBytes(16)).Concat(Data(100_000)).ToArray();
        await using (var partial = plain.OpenPartial("R1", "fake", 0))
        {
            Assert.False(partial.Encrypted);
            partial.Write(data);
            partial.FlushToDisk();
            await partial.DisposeAsync();
            plain.Commit(partial, "R1", "fake");
        }
        Assert.Equal(SHA256.HashData(data), await plain.HashAsync(plain.FinalPath("R1", "fake"), CancellationToken.None));
    }

    public void Dispose()
    {
        _dockKey.Dispose();
        _dir.Delete(recursive: true);
    }
}
