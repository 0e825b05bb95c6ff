using System.Collections.Concurrent;

namespace Dock.Service.Recorders;

/// <summary>
/// The recorders in the bays now, each with the link the docking holds and whether the docking trusted it: what the few things done to a
/// docked camera outside the ingest pass need (checkout writes the officer to it). Entries live as long as the docking.
/// </summary>
public sealed class DockedRecorders(TimeProvider time)
{
    /// <summary><paramref name="SessionId"/> is the docking's catalog row: a checkout made during it is not checked in by a link that rejoins it.</summary>
    public sealed record Docked(string Serial, string BayId, long SessionId, IDockedRecorder Recorder, bool Trusted);

    private readonly ConcurrentDictionary<string, Docked> _docked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _left = new(StringComparer.Ordinal);

    /// <summary>When the camera last left a bay since the dock started (null: not since then).</summary>
    public DateTimeOffset? LeftAt(string serial) => _left.TryGetValue(serial, out var at) ? at : null;

    public IReadOnlyCollection<Docked> All => [.. _docked.Values];

    public Docked? Find(string serial) => _docked.GetValueOrDefault(serial);

    /// <summary>Called by the docking once it has judged trust; the returned handle removes the entry when the docking ends.</summary>
    internal IDisposable Add(string bayId, long sessionId, IDockedRecorder recorder, bool trusted)
    {
        var entry = new Docked(recorder.Serial, bayId, sessionId, recorder, trusted);
        _docked[recorder.Serial] = entry;
        return new Removal(() =>
        {
            if (_docked.TryRemove(new KeyValuePair<string, Docked>(recorder.Serial, entry))) _left[recorder.Serial] = time.GetUtcNow();
        });
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
