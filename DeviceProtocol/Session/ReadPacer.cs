namespace Dock.DeviceProtocol.Session;

/// <summary>
/// Sizes READ_CLIPs to the link (docklink-v1.md §10.1). A fixed 256 KiB × 8 window is right for USB 2.0 and TCP but
/// never finishes on a 115,200-baud line (11.5 KB/s): each read takes 22 s, past the 10 s request timeout, and the
/// 8th in the window waits three minutes. So the host measures the rate at which answers arrive and keeps each read
/// to about a quarter second of the link's time, and the whole window to about two seconds (at most a quarter of the
/// request timeout), within the configured maximum read and window. It starts small (16 KiB, two in flight) and
/// takes its first measure after 40 ms, so a fast link is at full size almost at once; a timeout halves both. One pacer
/// per session, so later clips start at the rate the earlier ones measured.
/// </summary>
public sealed class ReadPacer
{
    public const int MinChunk = 4 * 1024;
    private const int FirstChunk = 16 * 1024;
    private static readonly TimeSpan ChunkTime = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan WindowTime = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SampleTime = TimeSpan.FromMilliseconds(200);
    // The first look comes sooner: a fast link should not spend long at the small start.
    private static readonly TimeSpan FirstSampleTime = TimeSpan.FromMilliseconds(40);

    private readonly int _maxChunk;
    private readonly int _maxWindow;
    private readonly TimeSpan _windowTime;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private long _sampleStart;
    private long _sampleBytes;

    public ReadPacer(int maxChunk, int maxWindow, TimeSpan requestTimeout, TimeProvider time)
    {
        _maxChunk = Math.Max(512, maxChunk);
        _maxWindow = Math.Max(1, maxWindow);
        _windowTime = requestTimeout / 4 < WindowTime ? requestTimeout / 4 : WindowTime;
        _time = time;
        Chunk = Math.Min(_maxChunk, FirstChunk);
        Window = Math.Min(_maxWindow, 2);
    }

    /// <summary>Bytes to ask for per READ_CLIP now.</summary>
    public int Chunk { get; private set; }

    /// <summary>READ_CLIPs to keep in flight now.</summary>
    public int Window { get; private set; }

    /// <summary>The measured rate of the link, bytes per second (0 until the first sample).</summary>
    public double BytesPerSecond { get; private set; }

    /// <summary>A pull is starting: the rate is measured from here (time spent between pulls is not the link's).</summary>
    public void Start()
    {
        lock (_lock)
        {
            _sampleStart = _time.GetTimestamp();
            _sampleBytes = 0;
        }
    }

    /// <summary>An answer of <paramref name="bytes"/> was consumed.</summary>
    public void Delivered(int bytes)
    {
        lock (_lock)
        {
            _sampleBytes += bytes;
            var elapsed = _time.GetElapsedTime(_sampleStart);
            if (elapsed < (BytesPerSecond == 0 ? FirstSampleTime : SampleTime)) return;
            double rate = _sampleBytes / elapsed.TotalSeconds;
            // Smoothed, but quick to follow: a link's rate moves with the recorder's flash and the bus.
            BytesPerSecond = BytesPerSecond == 0 ? rate : 0.5 * BytesPerSecond + 0.5 * rate;
            _sampleStart = _time.GetTimestamp();
            _sampleBytes = 0;
            Resize();
        }
    }

    /// <summary>A read timed out: the link is slower than measured (or stalled); halve the reads and the window.</summary>
    public void TimedOut()
    {
        lock (_lock)
        {
            BytesPerSecond /= 2;
            Chunk = Math.Max(Math.Min(MinChunk, _maxChunk), Chunk / 2);
            Window = Math.Max(1, Window / 2);
        }
    }

    private void Resize()
    {
        double perChunk = BytesPerSecond * ChunkTime.TotalSeconds;
        int chunk = (int)Math.Clamp(perChunk, Math.Min(MinChunk, _maxChunk), _maxChunk);
        // A power of two below: reads stay aligned to flash pages and buffers.
        int aligned = 1 << (31 - System.Numerics.BitOperations.LeadingZeroCount((uint)chunk));
        Chunk = Math.Max(Math.Min(MinChunk, _maxChunk), Math.Min(_maxChunk, aligned));
        double inFlight = BytesPerSecond * _windowTime.TotalSeconds;
        // At least two in flight, so the next request is on its way while an answer streams in.
        Window = Math.Min(_maxWindow, (int)Math.Clamp(Math.Ceiling(inFlight / Chunk), 2, 64));
    }
}
