namespace Dock.Service.Upload;

/// <summary>
/// A total upload bandwidth cap shared by every upload: each part reserves its bytes on a virtual link
/// that carries <c>bytesPerSecond</c>, and waits for its turn. Averaged over parts (8 MiB), which is what
/// a site's link budget cares about.
/// </summary>
public sealed class BandwidthLimiter(double bytesPerSecond, TimeProvider time)
{
    private readonly Lock _lock = new();
    private DateTimeOffset _linkFreeAt = DateTimeOffset.MinValue;

    public async Task AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var start = _linkFreeAt > now ? _linkFreeAt : now;
            _linkFreeAt = start + TimeSpan.FromSeconds(bytes / bytesPerSecond);
            wait = start - now;
        }
        if (wait > TimeSpan.Zero) await Task.Delay(wait, time, cancellationToken);
    }
}
