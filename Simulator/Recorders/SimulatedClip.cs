using Dock.DeviceProtocol.Messages;

namespace Dock.Simulator.Recorders;

/// <summary>One clip on a simulated recorder: synthetic bytes from a seed, or a real file.</summary>
public sealed class SimulatedClip
{
    private readonly SyntheticContent? _synthetic;
    private readonly string? _path;

    private SimulatedClip(string clipId, long size, DateTimeOffset start, DateTimeOffset end, ClipFlags flags,
        SyntheticContent? synthetic, string? path)
    {
        ClipId = Identifier.Require(clipId, "clip id");
        Size = size;
        Start = start;
        End = end;
        Flags = flags;
        _synthetic = synthetic;
        _path = path;
    }

    public string ClipId { get; }
    public long Size { get; }
    public DateTimeOffset Start { get; }
    public DateTimeOffset End { get; }
    public ClipFlags Flags { get; }

    /// <summary>The SHA-256 the recorder made when it finished the clip (before any dock saw it).</summary>
    public byte[] Sha256 { get; private set; } = [];

    /// <summary>The recorder's record-time signature (docklink-v1.md §7.5), or empty if it does not sign.</summary>
    public byte[] Signature { get; private set; } = [];

    /// <summary>What the recorder does when it finishes the clip: sign it with its key; v1.1 firmware signs every listed field and
    /// the officer, v1 firmware (serial, id, size, sha256, times) only.</summary>
    /// <summary>The officer the camera was bound to when it recorded this clip (null until the recorder takes it).</summary>
    public string? OfficerId { get; internal set; }

    /// <summary>The recorder profile the camera ran when it recorded the clip (v1.5 firmware names it in CLIP_INFO and signs it); null before.</summary>
    public RecordedUnder? Config { get; private set; }

    /// <summary>v1.5 firmware signs the profile too (<paramref name="config"/> given), v1.1 every listed field and the officer, v1 the rest.</summary>
    internal void Sign(string serial, string officerId, bool v11, Func<byte[], byte[]> sign, RecordedUnder? config = null)
    {
        Config = v11 ? config : null;
        Signature = sign(Config is { } under
            ? Dock.DeviceProtocol.Session.ClipSignature.MessageV15(serial, Summary, officerId, under)
            : v11
                ? Dock.DeviceProtocol.Session.ClipSignature.MessageV11(serial, Summary, officerId)
                : Dock.DeviceProtocol.Session.ClipSignature.Message(serial, Summary));
    }

    public static SimulatedClip Synthetic(string clipId, long size, ulong seed, DateTimeOffset start, DateTimeOffset end, ClipFlags flags)
    {
        var content = new SyntheticContent(seed);
        var clip = new SimulatedClip(clipId, size, start, end, flags, content, null);
        using var hash = Dock.Crypto.Hashing.Sha256.CreateIncremental();
        var buffer = new byte[SyntheticContent.BlockSize * 16];
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            int n = (int)Math.Min(buffer.Length, size - offset);
            content.Read(offset, buffer.AsSpan(0, n));
            hash.AppendData(buffer, 0, n);
        }
        clip.Sha256 = hash.GetHashAndReset();
        return clip;
    }

    public static async Task<SimulatedClip> FromFileAsync(string clipId, string path, DateTimeOffset start, DateTimeOffset end,
        ClipFlags flags, CancellationToken cancellationToken)
    {
        var clip = new SimulatedClip(clipId, new FileInfo(path).Length, start, end, flags, null, path);
        clip.Sha256 = await Dock.Crypto.Hashing.Sha256.HashFileAsync(path, clip.Size, cancellationToken: cancellationToken).ConfigureAwait(false);
        return clip;
    }

    public ClipSummary Summary => new(ClipId, (ulong)Size, Start.ToUnixTimeMilliseconds(), End.ToUnixTimeMilliseconds(), Flags, Sha256);

    public async ValueTask<int> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        int count = (int)Math.Min(destination.Length, Math.Max(0, Size - offset));
        if (count == 0) return 0;
        if (_synthetic is not null)
        {
            _synthetic.Read(offset, destination.Span[..count]);
            return count;
        }
        using var handle = File.OpenHandle(_path!, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        int total = 0;
        while (total < count)
        {
            int read = await RandomAccess.ReadAsync(handle, destination[total..count], offset + total, cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new IOException($"{_path} shrank while being served.");
            total += read;
        }
        return total;
    }

    /// <summary>Corrupts what the recorder claims as the hash (fault injection: "wrong hash").</summary>
    public void CorruptRecordedHash() => Sha256[0] ^= 0xFF;

    /// <summary>Damages the record-time signature (fault injection: "footage not signed by this camera").</summary>
    public void CorruptSignature()
    {
        if (Signature.Length > 0) Signature[^1] ^= 0x01;
    }
}
