using Dock.Crypto.Transparency;

namespace Dock.Crypto.Tests;

/// <summary>The published RFC 6962 test vectors (certificate-transparency's merkle_tree tests), plus
/// exhaustive self-consistency for small trees.</summary>
public sealed class MerkleTreeTests
{
    private static readonly byte[][] Inputs =
        [.. new[] { "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f" }.Select(Convert.FromHexString)];

    private static readonly string[] Roots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private static readonly List<byte[]> Leaves = [.. Inputs.Select(i => MerkleTree.LeafHash(i))];

    [Fact]
    public void Root_Sizes0To8_MatchPublishedVectors()
    {
        for (int size = 0; size <= 8; size++)
            Assert.Equal(Roots[size], Convert.ToHexStringLower(MerkleTree.Root(Leaves, size)));
    }

    [Theory]
    [InlineData(0, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]
    [InlineData(5, 8, "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]
    [InlineData(2, 3, "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]
    [InlineData(1, 5, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]
    public void InclusionProof_MatchesPublishedVectorsAndVerifies(long index, long size, params string[] expected)
    {
        var proof = MerkleTree.InclusionProof(Leaves, index, size);

        Assert.Equal(expected, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleTree.VerifyInclusion(index, size, Leaves[(int)index], proof, MerkleTree.Root(Leaves, size)));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 8, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]
    [InlineData(6, 8, "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]
    [InlineData(2, 5, "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]
    public void ConsistencyProof_MatchesPublishedVectorsAndVerifies(long first, long second, params string[] expected)
    {
        var proof = MerkleTree.ConsistencyProof(Leaves, first, second);

        Assert.Equal(expected, proof.Select(Convert.ToHexStringLower));
        Assert.True(MerkleTree.VerifyConsistency(first, second, MerkleTree.Root(Leaves, first), MerkleTree.Root(Leaves, second), proof));
    }

    [Fact]
    public void Proofs_EveryIndexAndSizeUpTo40_VerifyAndRejectTampering()
    {
        var leaves = Enumerable.Range(0, 40).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToList();
        for (int size = 1; size <= 40; size++)
        {
            var root = MerkleTree.Root(leaves, size);
            for (int index = 0; index < size; index++)
            {
                var proof = MerkleTree.InclusionProof(leaves, index, size);
                Assert.True(MerkleTree.VerifyInclusion(index, size, leaves[index], proof, root));
                Assert.False(MerkleTree.VerifyInclusion(index, size, leaves[(index + 1) % 40], proof, root));
                if (proof.Count > 0)
                {
                    var bent = proof.Select(p => (byte[])p.Clone()).ToList();
                    bent[^1][0] ^= 1;
                    Assert.False(MerkleTree.VerifyInclusion(index, size, leaves[index], bent, root));
                }
            }
            for (int first = 1; first <= size; first++)
            {
                var proof = MerkleTree.ConsistencyProof(leaves, first, size);
                var firstRoot = MerkleTree.Root(leaves, first);
                Assert.True(MerkleTree.VerifyConsistency(first, size, firstRoot, root, proof));
                var wrongFirst = (byte[])firstRoot.Clone();
                wrongFirst[0] ^= 1;
                Assert.False(MerkleTree.VerifyConsistency(first, size, wrongFirst, root, proof));
            }
        }
    }

    [Fact]
    public void MerkleLevels_GivesTheSameRootsAndProofsAsTheReferenceForEveryPrefix()
    {
        var leaves = Enumerable.Range(0, 70).Select(i => MerkleTree.LeafHash([(byte)i, (byte)(i >> 8)])).ToList();
        var levels = new MerkleLevels();
        foreach (var leaf in leaves) levels.Append(leaf);
        for (int size = 0; size <= leaves.Count; size++)
        {
            Assert.Equal(MerkleTree.Root(leaves, size), levels.Root(size));
            for (int i = 0; i < size; i++)
                Assert.Equal(MerkleTree.InclusionProof(leaves, i, size), levels.InclusionProof(i, size));
            for (int first = 0; first <= size; first++)
                Assert.Equal(MerkleTree.ConsistencyProof(leaves, first, size), levels.ConsistencyProof(first, size));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => levels.Root(71));
    }
}
