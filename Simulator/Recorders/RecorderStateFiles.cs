using System.Collections.Concurrent;
using System.Text.Json;
using Dock.DeviceProtocol.Messages;

namespace Dock.Simulator.Recorders;

/// <summary>
/// A simulated recorder's state as an outside observer (a fault-testing harness) counts it, independently of the dock:
/// <c>DIR/SERIAL.json</c>, the clips it still holds (id, size, SHA-256), replaced atomically at every change; and
/// <c>DIR/releases.jsonl</c>, one line per release request and what the recorder did with it, written before it answers.
/// Both are on disk (fsync) before the recorder goes on, so a dock killed at any moment is judged against what happened.
/// </summary>
public sealed class RecorderStateFiles
{
    private static readonly ConcurrentDictionary<string, Lock> AppendLocks = new(StringComparer.Ordinal);
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly Lock _writeLock = new();

    public RecorderStateFiles(string directory)
    {
        Directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string ReleasesPath => Path.Combine(Directory, "releases.jsonl");

    public string StatePath(string serial) => Path.Combine(Directory, serial + ".json");

    public sealed record HeldClip(string Id, long Size, string Sha256);

    public sealed record RecorderState(string Serial, DateTimeOffset UpdatedAt, IReadOnlyList<HeldClip> Clips);

    public sealed record ReleaseRecord(DateTimeOffset At, string Serial, string Clip, string Sha256, string Outcome, long ReplyDelayMs);

    /// <summary>Replaces SERIAL.json with the clips held now (temporary file, fsync, rename).</summary>
    public void Write(string serial, IReadOnlyList<ClipSummary> clips)
    {
        var state = new RecorderState(serial, DateTimeOffset.UtcNow,
            [.. clips.Select(c => new HeldClip(c.ClipId, (long)c.Size, Convert.ToHexStringLower(c.Sha256)))]);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(state, Json);
        lock (_writeLock)
        {
            var path = StatePath(serial);
            var temporary = path + ".tmp";
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
    }

    /// <summary>Appends what the recorder did with a release request, then rewrites SERIAL.json.</summary>
    public void Released(string serial, string clipId, string sha256, string outcome, TimeSpan replyDelay, IReadOnlyList<ClipSummary> clipsNow)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(new ReleaseRecord(DateTimeOffset.UtcNow, serial, clipId, sha256, outcome,
            (long)replyDelay.TotalMilliseconds), Json);
        lock (AppendLocks.GetOrAdd(ReleasesPath, _ => new Lock()))
        {
            using var file = new FileStream(ReleasesPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            file.Write([.. line, (byte)'\n']);
            file.Flush(flushToDisk: true);
        }
        Write(serial, clipsNow);
    }

    /// <summary>Reads SERIAL.json (for tests and harnesses).</summary>
    public static RecorderState Read(string path) =>
        JsonSerializer.Deserialize<RecorderState>(File.ReadAllBytes(path), Json) ?? throw new InvalidDataException($"{path} is empty.");

    /// <summary>Reads releases.jsonl (for tests and harnesses).</summary>
    public static IReadOnlyList<ReleaseRecord> ReadReleases(string path) => File.Exists(path)
        ? [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ReleaseRecord>(l, Json)!)]
        : [];
}
