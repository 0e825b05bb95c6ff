namespace Dock.Simulator.MassStorage;

/// <summary>N mass-storage recorders, each a disk folder under one root plus a command channel on its own pty.
/// Used by dock-sim --mass-storage, the demo (--transport mass-storage) and tests.</summary>
public sealed class MassStorageFleet : IAsyncDisposable
{
    private readonly List<SimulatedMassStorageRecorder> _recorders;
    private readonly bool _ownsFolder;

    private MassStorageFleet(string folder, List<SimulatedMassStorageRecorder> recorders, bool ownsFolder)
    {
        Folder = folder;
        _recorders = recorders;
        _ownsFolder = ownsFolder;
    }

    /// <summary>Where the recorders' disks appear (one folder per serial, once switched to mass storage).</summary>
    public string Folder { get; }

    public IReadOnlyList<SimulatedMassStorageRecorder> Recorders => _recorders;

    /// <param name="folder">Where the disks live; null: a new temporary folder, removed on dispose.</param>
    public static async Task<MassStorageFleet> StartAsync(int recorders, int clipsPerRecorder, long minClipSize, long maxClipSize, string? folder = null,
        ulong seed = 2026, int serialOffset = 0, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        bool owns = folder is null;
        folder ??= Path.Combine(Path.GetTempPath(), "dock-sim-msc-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(folder);
        var made = new SimulatedMassStorageRecorder[recorders];
        try
        {
            // Writing the clips is the slow part: every core.
            await Parallel.ForEachAsync(Enumerable.Range(0, recorders), cancellationToken, async (i, ct) =>
                made[i] = await SimulatedMassStorageRecorder.CreateAsync(new MassStorageRecorderOptions
                {
                    Serial = $"ZFY-MSC-{serialOffset + i + 1:D4}",
                    Folder = folder,
                    OfficerId = $"P{200001 + serialOffset + i}",
                    Seed = seed + (ulong)i * 7919,
                    ClipCount = clipsPerRecorder,
                    MinClipSize = minClipSize,
                    MaxClipSize = maxClipSize,
                }, time, ct).ConfigureAwait(false)).ConfigureAwait(false);
            return new MassStorageFleet(folder, [.. made], owns);
        }
        catch
        {
            foreach (var recorder in made.Where(r => r is not null)) await recorder.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var recorder in _recorders) await recorder.DisposeAsync().ConfigureAwait(false);
        if (!_ownsFolder) return;
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A reader still holds a file; the temp folder is cleaned by the OS.
        }
    }
}
