using System.Collections.Concurrent;

namespace Dock.Service.Ingest;

/// <summary>
/// Requests to list and pull a recorder's clips again while it stays docked (the uploader found a vault copy missing, say):
/// a signal from one part of the dock to a docking, kept apart from the read model the lights and the UI watch.
/// One entry per recorder at most.
/// </summary>
public sealed class RecheckRequests
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _requests = new(StringComparer.Ordinal);

    /// <summary>Asks the docking of <paramref name="serial"/>, if it is docked, to look again; otherwise its next docking does.</summary>
    public void Request(string serial) => Pending(serial).TrySetResult();

    /// <summary>Completes when a request for <paramref name="serial"/> is waiting (at once if one already is).</summary>
    public Task WhenRequested(string serial) => Pending(serial).Task;

    /// <summary>True once per request: the caller is now looking again.</summary>
    public bool Take(string serial) =>
        _requests.TryGetValue(serial, out var pending) && pending.Task.IsCompleted
        && _requests.TryRemove(new KeyValuePair<string, TaskCompletionSource>(serial, pending));

    private TaskCompletionSource Pending(string serial) =>
        _requests.GetOrAdd(serial, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
