namespace Dock.Service.Ingest;

/// <summary>Caps simultaneous pulls across all bays (disk and CPU are shared; memory per pull is bounded).</summary>
public sealed class PullScheduler(int maxConcurrentPulls) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxConcurrentPulls, maxConcurrentPulls);

    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Slot(_slots);
    }

    /// <summary>A slot now, or null when every slot is taken.</summary>
    public IDisposable? TryAcquire() => _slots.Wait(0) ? new Slot(_slots) : null;

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
