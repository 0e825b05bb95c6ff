using Microsoft.Extensions.Hosting;

namespace Dock.Service.Hosting;

/// <summary>
/// Why the dock stopped on its own, if it did: a damaged catalog, or a part of the service that failed in a way a retry
/// cannot mend. The first failure stops the host, and `dock run` then exits 1 with this message (a service manager
/// must not read it as a clean stop, and a person must not need the log to know why).
/// </summary>
public sealed class ServiceHealth(IHostApplicationLifetime lifetime)
{
    private string? _failure;

    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Records the first fatal failure and stops the dock.</summary>
    public void Fail(string message)
    {
        if (Interlocked.CompareExchange(ref _failure, message, null) is null) lifetime.StopApplication();
    }
}
