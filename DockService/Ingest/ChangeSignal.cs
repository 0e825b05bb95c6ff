namespace Dock.Service.Ingest;

/// <summary>
/// "Something changed": waiters take <see cref="Next"/> before they look, then await it, so a change made while they
/// look still wakes them; <see cref="Signal"/> completes the current one and starts the next. No polling, no lost wake-up.
/// </summary>
public sealed class ChangeSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Next
    {
        get { lock (_lock) return _next.Task; }
    }

    public void Signal()
    {
        TaskCompletionSource previous;
        lock (_lock)
        {
            previous = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        previous.TrySetResult();
    }
}
