using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Dock.Simulator.Recorders;

/// <summary>
/// Deterministic clip bytes from a seed, generated at several GB/s so the simulator is never the
/// bottleneck of a benchmark. A 64 KiB table comes from SplitMix64(seed); block k of the clip is
/// the table XOR-ed with a per-block word, so every byte depends on its position and a shifted,
/// dropped or duplicated chunk changes the SHA-256.
/// </summary>
public sealed class SyntheticContent
{
    public const int BlockSize = 64 * 1024;
    private readonly ulong[] _table = new ulong[BlockSize / 8];
    private readonly ulong _seed;

    public SyntheticContent(ulong seed)
    {
        _seed = seed;
        ulong state = seed;
        for (int i = 0; i < _table.Length; i++) _table[i] = SplitMix64(ref state);
    }

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="offset"/>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            long blockIndex = offset / BlockSize;
            int within = (int)(offset % BlockSize);
            int count = Math.Min(BlockSize - within, destination.Length);
            ulong word = _seed ^ ((ulong)blockIndex * 0x9E3779B97F4A7C15UL);
            if (within == 0 && count == BlockSize)
            {
                var target = MemoryMarshal.Cast<byte, ulong>(destination[..BlockSize]);
                if (BitConverter.IsLittleEndian)
                {
                    for (int i = 0; i < target.Length; i++) target[i] = _table[i] ^ word;
                }
                else
                {
                    for (int i = 0; i < target.Length; i++) target[i] = BinaryPrimitives.ReverseEndianness(_table[i] ^ word);
                }
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    int pos = within + i;
                    ulong value = _table[pos >> 3] ^ word;
                    destination[i] = (byte)(value >> ((pos & 7) * 8));
                }
            }
            destination = destination[count..];
            offset += count;
        }
    }

    public static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
