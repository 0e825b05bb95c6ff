namespace Dock.Simulator.Recorders;

/// <summary>
/// A recorder's real-time clock: it starts off by an offset and drifts by a rate in ppm, the way
/// cheap RTCs do (and worse after the battery ran flat). SetTime puts it right; drift goes on.
/// </summary>
public sealed class RecorderClock(TimeProvider time, TimeSpan initialOffset, double driftPpm)
{
    private readonly Lock _lock = new();
    private TimeSpan _offset = initialOffset;
    private long _since = time.GetTimestamp();

    public double DriftPpm { get; } = driftPpm;

    public DateTimeOffset Now
    {
        get
        {
            lock (_lock)
            {
                var elapsed = time.GetElapsedTime(_since);
                return time.GetUtcNow() + _offset + TimeSpan.FromTicks((long)(elapsed.Ticks * DriftPpm / 1_000_000));
            }
        }
    }

    /// <summary>Sets the clock; returns what it read just before.</summary>
    public DateTimeOffset Set(DateTimeOffset value)
    {
        lock (_lock)
        {
            var before = Now;
            _offset = value - time.GetUtcNow();
            _since = time.GetTimestamp();
            return before;
        }
    }
}
