using Dock.Service.Ingest;

namespace Dock.Service.Metadata;

/// <summary>Wakes the uploader when a clip's tags change in this process, so its cloud sidecar follows at once (changes made by
/// another process, `dock clips tag`, are found by the uploader's periodic sweep).</summary>
public sealed class TagChanges
{
    private readonly ChangeSignal _signal = new();

    public Task Next => _signal.Next;

    public void Signal() => _signal.Signal();
}
