using System.Security.Cryptography;

namespace Dock.Crypto.Transparency;

/// <summary>
/// RFC 6962 / RFC 9162 Merkle tree hashing over a list of leaf hashes: roots, inclusion and
/// consistency proofs, and their verification. Leaf hash = SHA-256(0x00 ‖ entry); node hash =
/// SHA-256(0x01 ‖ left ‖ right); the empty tree's root is SHA-256 of nothing.
/// </summary>
public static class MerkleTree
{
    public const int HashSize = 32;

    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([0x00]);
        hash.AppendData(entry);
        return hash.GetHashAndReset();
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>MTH(D[0:size]).</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leaves, long size)
    {
        CheckSize(leaves, size);
        return size == 0 ? SHA256.HashData(ReadOnlySpan<byte>.Empty) : Subtree(leaves, 0, size);
    }

    /// <summary>PATH(index, D[0:size]): the audit path proving leaf <paramref name="index"/> is in the tree of <paramref name="size"/>.</summary>
    public static IReadOnlyList<byte[]> InclusionProof(IReadOnlyList<byte[]> leaves, long index, long size)
    {
        CheckSize(leaves, size);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var proof = new List<byte[]>();
        Path((a, b) => Subtree(leaves, a, b), index, 0, size, proof);
        return proof;
    }

    /// <summary>PROOF(first, D[0:size]): proves the tree of <paramref name="first"/> leaves is a prefix of the tree of <paramref name="size"/>.</summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(IReadOnlyList<byte[]> leaves, long first, long size)
    {
        CheckSize(leaves, size);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, size);
        var proof = new List<byte[]>();
        if (first > 0 && first < size) SubProof((a, b) => Subtree(leaves, a, b), first, 0, size, true, proof);
        return proof;
    }

    /// <summary>RFC 9162 §2.1.3.2.</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (index < 0 || index >= size || leafHash.Length != HashSize || root.Length != HashSize) return false;
        long fn = index, sn = size - 1;
        byte[] r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0 || p.Length != HashSize) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && CryptographicOperations.FixedTimeEquals(r, root);
    }

    /// <summary>RFC 9162 §2.1.4.2. A tree of 0 leaves is consistent with any tree, with an empty proof.</summary>
    public static bool VerifyConsistency(long first, long second, ReadOnlySpan<byte> firstRoot, ReadOnlySpan<byte> secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first < 0 || first > second || firstRoot.Length != HashSize || secondRoot.Length != HashSize) return false;
        if (first == second) return proof.Count == 0 && firstRoot.SequenceEqual(secondRoot);
        if (first == 0) return proof.Count == 0;
        if (proof.Any(p => p.Length != HashSize)) return false;
        var path = new List<byte[]>(proof);
        if ((first & (first - 1)) == 0) path.Insert(0, firstRoot.ToArray());
        if (path.Count == 0) return false;
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = NodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && CryptographicOperations.FixedTimeEquals(fr, firstRoot) && CryptographicOperations.FixedTimeEquals(sr, secondRoot);
    }

    // The largest power of two strictly below n (n ≥ 2).
    internal static long Split(long n)
    {
        long k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }

    private static byte[] Subtree(IReadOnlyList<byte[]> leaves, long start, long end)
    {
        long n = end - start;
        if (n == 1) return leaves[(int)start];
        long k = Split(n);
        return NodeHash(Subtree(leaves, start, start + k), Subtree(leaves, start + k, end));
    }

    /// <summary>PATH over any source of subtree hashes MTH(D[start:end]).</summary>
    internal static void Path(Func<long, long, byte[]> subtree, long index, long start, long end, List<byte[]> proof)
    {
        long n = end - start;
        if (n <= 1) return;
        long k = Split(n);
        if (index - start < k)
        {
            Path(subtree, index, start, start + k, proof);
            proof.Add(subtree(start + k, end));
        }
        else
        {
            Path(subtree, index, start + k, end, proof);
            proof.Add(subtree(start, start + k));
        }
    }

    /// <summary>SUBPROOF over any source of subtree hashes.</summary>
    internal static void SubProof(Func<long, long, byte[]> subtree, long m, long start, long end, bool complete, List<byte[]> proof)
    {
        long n = end - start;
        if (m == n)
        {
            if (!complete) proof.Add(subtree(start, end));
            return;
        }
        long k = Split(n);
        if (m <= k)
        {
            SubProof(subtree, m, start, start + k, complete, proof);
            proof.Add(subtree(start + k, end));
        }
        else
        {
            SubProof(subtree, m - k, start + k, end, false, proof);
            proof.Add(subtree(start, start + k));
        }
    }

    private static void CheckSize(IReadOnlyList<byte[]> leaves, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, leaves.Count);
    }
}
