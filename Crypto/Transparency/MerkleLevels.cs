using System.Security.Cryptography;

namespace Dock.Crypto.Transparency;

/// <summary>
/// An append-only RFC 6962 tree that keeps the hash of every complete, aligned subtree (about two
/// hashes per leaf). The root of any prefix, and inclusion and consistency proofs against it, then cost
/// O(log² n) instead of rehashing the whole log: a dock signs a checkpoint per clip, and a verifier
/// checks every checkpoint of a 100,000-entry log. Not thread-safe; callers lock.
/// </summary>
public sealed class MerkleLevels
{
    // _levels[h][i] = MTH(D[i·2^h : (i+1)·2^h]).
    private readonly List<List<byte[]>> _levels = [[]];

    public long Size => _levels[0].Count;

    public void Append(byte[] leafHash)
    {
        if (leafHash.Length != MerkleTree.HashSize) throw new ArgumentException("A leaf hash is 32 bytes.", nameof(leafHash));
        _levels[0].Add(leafHash);
        long index = Size - 1;
        for (int h = 0; (index & 1) == 1; h++, index >>= 1)
        {
            if (_levels.Count == h + 1) _levels.Add([]);
            _levels[h + 1].Add(MerkleTree.NodeHash(_levels[h][(int)index - 1], _levels[h][(int)index]));
        }
    }

    public byte[] LeafHash(long index) => _levels[0][checked((int)index)];

    /// <summary>MTH(D[0:size]).</summary>
    public byte[] Root(long size)
    {
        Check(size);
        return size == 0 ? SHA256.HashData(ReadOnlySpan<byte>.Empty) : Subtree(0, size);
    }

    public IReadOnlyList<byte[]> InclusionProof(long index, long size)
    {
        Check(size);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var proof = new List<byte[]>();
        MerkleTree.Path(Subtree, index, 0, size, proof);
        return proof;
    }

    public IReadOnlyList<byte[]> ConsistencyProof(long first, long size)
    {
        Check(size);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, size);
        var proof = new List<byte[]>();
        if (first > 0 && first < size) MerkleTree.SubProof(Subtree, first, 0, size, true, proof);
        return proof;
    }

    /// <summary>MTH(D[start:end]). Every range the RFC 6962 recursion asks for starts at a multiple of its
    /// left part's size, so complete parts are single lookups and only the ragged right edge is hashed.</summary>
    private byte[] Subtree(long start, long end)
    {
        long n = end - start;
        if ((n & (n - 1)) == 0 && start % n == 0)
        {
            int h = System.Numerics.BitOperations.Log2((ulong)n);
            return _levels[h][checked((int)(start >> h))];
        }
        long k = MerkleTree.Split(n);
        return MerkleTree.NodeHash(Subtree(start, start + k), Subtree(start + k, end));
    }

    private void Check(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, Size);
    }
}
