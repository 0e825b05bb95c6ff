using System.Security.Cryptography;
using Dock.DeviceProtocol.Messages;

namespace Dock.Simulator.Recorders;

/// <summary>
/// `dock-sim --hostile`: a recorder whose answers are well formed (they pass every CRC and decode) but absurd, chosen at
/// random per request from what broke docks before: listings whose total is never reached or whose ids repeat, ids named
/// like the dock's own files or Windows devices, sizes and times no clip has, clocks at the ends of i64, batteries at 255 %,
/// CLIP_INFO that contradicts CLIP_LIST, PONGs to another ping. A dock must stay bounded, keep its other bays working and
/// write nothing outside its vault (docklink-v1.md §12, the conformance list).
/// </summary>
public static class HostileAnswers
{
    private static readonly string[] Names = ["x.mp4.manifest.json", "x.mp4.manifest.json.sig", "X.MP4", "x.mp4", "CON", "nul.mp4", "lpt1", "x.", "a..b",
        "checkpoint-000000000001", "journal", "catalog.db", "dock.lock"];

    /// <summary>A rewrite for <see cref="DeviceProtocol.Session.DeviceSessionOptions.Rewrite"/>, seeded so a run can be repeated.</summary>
    public static Func<Message, Message, Message> Create(int seed)
    {
        var random = new Random(seed);
        return (request, reply) =>
        {
            lock (random) return Answer(random, request, reply);
        };
    }

    private static Message Answer(Random random, Message request, Message reply)
    {
        if (random.Next(4) == 0) return reply; // Now and then honest, so the dock gets far enough to be hurt.
        return (request, reply) switch
        {
            (ListClips list, ClipList page) => random.Next(4) switch
            {
                0 => new ClipList(uint.MaxValue, page.Clips.Count > 0 ? [page.Clips[0]] : [Absurd(random)]), // never ends, repeats
                1 => new ClipList(1000, []),                                                                  // empty page short of the total
                2 => new ClipList((uint)random.Next(0, 3), [.. Enumerable.Range(0, random.Next(1, 40)).Select(_ => Absurd(random))]),
                _ => new ClipList(list.StartIndex + 256 + 1, [.. Enumerable.Range(0, 256).Select(i => Absurd(random) with { ClipId = $"c{list.StartIndex + i}" })]),
            },
            (SetTime, TimeSet) => new TimeSet(random.Next(3) switch { 0 => long.MinValue, 1 => long.MaxValue, _ => random.NextInt64() }),
            (GetInfo, Info info) => info with { StorageTotal = ulong.MaxValue, StorageFree = ulong.MaxValue, ClipCount = uint.MaxValue, DeviceTimeMs = long.MinValue },
            (GetPower, Power) => new Power(255, ushort.MaxValue, (ChargeState)random.Next(4, 256), short.MinValue, ushort.MaxValue, 255),
            (GetClip, ClipInfo info) => info with { Clip = Absurd(random) with { ClipId = info.Clip.ClipId }, Signature = RandomNumberGenerator.GetBytes(64) },
            (Ping ping, Pong) => new Pong(ping.Token + 1),
            _ => reply,
        };
    }

    private static ClipSummary Absurd(Random random)
    {
        long start = random.Next(3) switch { 0 => long.MaxValue, 1 => 253_402_300_800_000, _ => 1_764_000_000_000 };
        return new ClipSummary(Names[random.Next(Names.Length)], random.Next(3) switch { 0 => ulong.MaxValue, 1 => long.MaxValue, _ => (ulong)random.Next(1, 1 << 20) },
            start, random.Next(2) == 0 ? start - 1 : start, (ClipFlags)random.Next(0, 65536), RandomNumberGenerator.GetBytes(32));
    }
}
