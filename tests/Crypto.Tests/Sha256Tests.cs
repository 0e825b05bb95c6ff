using System.Text;
using Dock.Crypto.Hashing;

namespace Dock.Crypto.Tests;

public sealed class Sha256Tests
{
    [Fact]
    public void Hash_Abc_MatchesFips180Vector()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Sha256.ToHex(Sha256.Hash(Encoding.ASCII.GetBytes("abc"))));
    }

    [Fact]
    public async Task HashFileAsync_PrefixInto_EqualsHashOfPrefixPlusRest()
    {
        var path = Path.GetTempFileName();
        try
        {
            var data = new byte[3_000_017];
            new Random(7).NextBytes(data);
            await File.WriteAllBytesAsync(path, data);
            using var hash = Sha256.CreateIncremental();

            await Sha256.HashFileAsync(path, 1_234_567, hash);
            hash.AppendData(data.AsSpan(1_234_567));

            Assert.Equal(Sha256.Hash(data), hash.GetHashAndReset());
            Assert.Equal(Sha256.Hash(data), await Sha256.HashFileAsync(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task HashFileAsync_FileShorterThanExpected_ThrowsIOException()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, new byte[10]);
            await Assert.ThrowsAsync<IOException>(() => Sha256.HashFileAsync(path, 11));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a")]
    public void TryParseHex_Malformed_False(string? text) => Assert.False(Sha256.TryParseHex(text, out _));
}
