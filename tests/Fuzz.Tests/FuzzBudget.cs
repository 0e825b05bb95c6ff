using CsCheck;

namespace Dock.Fuzz.Tests;

/// <summary>
/// How long each fuzz target runs. `./test.sh` runs every target for a couple of seconds; the long run is
/// <c>DOCK_FUZZ_SECONDS=600 dotnet test tests/Fuzz.Tests</c> (README, "Fuzzing"). A failure prints CsCheck's seed, and
/// <c>DOCK_FUZZ_SEED=…</c> replays it.
/// </summary>
internal static class FuzzBudget
{
    public static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("DOCK_FUZZ_SECONDS"), out var s) && s > 0 ? s : 2;

    public static string? Seed => Environment.GetEnvironmentVariable("DOCK_FUZZ_SEED");

    /// <summary>Runs <paramref name="target"/> on inputs from <paramref name="inputs"/> for the budget; returns how many ran.</summary>
    public static long Run<T>(Gen<T> inputs, Action<T> target)
    {
        long executed = 0;
        inputs.Sample(input =>
        {
            Interlocked.Increment(ref executed);
            target(input);
        }, seed: Seed, iter: long.MaxValue, time: Seconds, threads: 1);
        return executed;
    }

    /// <summary>Random bytes, and valid samples with bytes flipped, inserted, deleted or cut: most of a parser's paths are
    /// only reached by input that is nearly right.</summary>
    public static Gen<byte[]> BytesNear(params byte[][] valid) =>
        Gen.Frequency(
            (1, Gen.Byte.Array[0, 512]),
            (4, Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Int[0, 1_000_000].Array[1, 8], Gen.Int[0, 3], (which, positions, how) =>
            {
                var bytes = new List<byte>(valid[which]);
                foreach (var p in positions)
                {
                    if (bytes.Count == 0) break;
                    int at = p % bytes.Count;
                    switch (how)
                    {
                        case 0: bytes[at] ^= (byte)(1 << (p % 8)); break;
                        case 1: bytes.Insert(at, (byte)p); break;
                        case 2: bytes.RemoveAt(at); break;
                        default: bytes.RemoveRange(at, bytes.Count - at); break;
                    }
                }
                return bytes.ToArray();
            })));
}
