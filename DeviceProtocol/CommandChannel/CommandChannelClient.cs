using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Transport;

namespace Dock.DeviceProtocol.CommandChannel;

/// <summary>
/// The dock's side of the GA/T 947.4-style recorder command channel (recorder-command-channel-v1.md):
/// one request at a time (recorders of this class handle no more), each answered within a timeout.
/// A read loop owns the link, so a pulled cable completes <see cref="Closed"/> even while idle.
/// Every command is idempotent, so a timed-out request is sent once more before giving up (§5).
/// </summary>
public sealed class CommandChannelClient : IRecorderCommandChannel
{
    private readonly IDockLinkTransport _transport;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _readLoop;
    private TaskCompletionSource<CommandFrame>? _pending;
    private byte _pendingSequence;
    private byte _sequence;

    public CommandChannelClient(IDockLinkTransport transport, TimeSpan? timeout = null, TimeProvider? time = null)
    {
        _transport = transport;
        _timeout = timeout ?? TimeSpan.FromSeconds(3);
        _time = time ?? TimeProvider.System;
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public string Endpoint => _transport.Endpoint;

    public Task Closed => _readLoop;

    public async Task LoginAsync(string password, CancellationToken cancellationToken) =>
        await RequestAsync(CommandCode.Login, new CommandPayloadWriter().Str(password, 32).ToArray(), cancellationToken).ConfigureAwait(false);

    public async Task<RecorderIdentity> IdentifyAsync(CancellationToken cancellationToken) =>
        RecorderIdentity.Decode(await RequestAsync(CommandCode.Identify, [], cancellationToken).ConfigureAwait(false));

    public async Task<OfficerInfo> ReadOfficerAsync(CancellationToken cancellationToken) =>
        OfficerInfo.Decode(await RequestAsync(CommandCode.ReadOfficer, [], cancellationToken).ConfigureAwait(false), CommandCode.ReadOfficer);

    public async Task WriteOfficerAsync(OfficerInfo officer, CancellationToken cancellationToken) =>
        await RequestAsync(CommandCode.WriteOfficer, officer.Encode(), cancellationToken).ConfigureAwait(false);

    public async Task<long> SyncTimeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var payload = new CommandPayloadWriter().I64(now.ToUnixTimeMilliseconds()).I16((short)now.Offset.TotalMinutes).ToArray();
        var answer = await RequestAsync(CommandCode.SyncTime, payload, cancellationToken).ConfigureAwait(false);
        var r = new CommandPayloadReader(answer, CommandCode.SyncTime);
        long before = r.I64("device_time_before");
        r.End();
        return before;
    }

    public async Task<BatteryStatus> ReadBatteryAsync(CancellationToken cancellationToken) =>
        BatteryStatus.Decode(await RequestAsync(CommandCode.ReadBattery, [], cancellationToken).ConfigureAwait(false));

    public async Task SwitchToMassStorageAsync(CancellationToken cancellationToken) =>
        await RequestAsync(CommandCode.MassStorage, [], cancellationToken).ConfigureAwait(false);

    private async Task<byte[]> RequestAsync(CommandCode command, byte[] payload, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                if (_readLoop.IsCompleted) throw CommandChannelErrors.ConnectionLost(Endpoint, "the link is closed");
                var answer = new TaskCompletionSource<CommandFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
                _pendingSequence = unchecked(++_sequence);
                Volatile.Write(ref _pending, answer);
                await _transport.WriteAsync(new CommandFrame((byte)command, _pendingSequence, CommandStatus.Ok, payload).Encode(), cancellationToken)
                    .ConfigureAwait(false);
                var timeout = Task.Delay(_timeout, _time, cancellationToken);
                var done = await Task.WhenAny(answer.Task, timeout, _readLoop).ConfigureAwait(false);
                Volatile.Write(ref _pending, null);
                if (done == answer.Task)
                {
                    var frame = await answer.Task.ConfigureAwait(false);
                    if (frame.Command != command)
                        throw CommandChannelErrors.Malformed(command, $"answered with {frame.Command}");
                    if (frame.Status != CommandStatus.Ok) throw CommandChannelErrors.Refused(command, frame.Status);
                    return frame.Payload;
                }
                cancellationToken.ThrowIfCancellationRequested();
                if (done == _readLoop) throw CommandChannelErrors.ConnectionLost(Endpoint, "the link closed while waiting for an answer");
                if (attempt == 2) throw CommandChannelErrors.Timeout(Endpoint, command, _timeout);
            }
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = new CommandFrameReader(_transport);
        try
        {
            while (await reader.ReadAsync(_stop.Token).ConfigureAwait(false) is { } frame)
            {
                // Answers to a request given up on (timed out) carry an old sequence number: dropped.
                if (frame.IsResponse && Volatile.Read(ref _pending) is { } pending && frame.Sequence == _pendingSequence)
                    pending.TrySetResult(frame);
            }
        }
        catch (Exception ex) when (ex is DockLinkException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The link is gone or we are closing it: Closed completes.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        await _readLoop.ConfigureAwait(false);
        _stop.Dispose();
        _one.Dispose();
    }
}
