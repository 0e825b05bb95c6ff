using Dock.DeviceProtocol.Session;
using Dock.Service.Configuration;
using Dock.Service.Recorders;

namespace Dock.Service.Bays;

/// <summary>How a bay reaches the recorder docked in it, whichever driver that takes.</summary>
public interface IRecorderSource
{
    /// <summary>The recorder in the bay, ready for the docking; null when the bay is empty (<see cref="Absence"/> says how
    /// it looked). Failures after the recorder was found (a refused handshake, a bad answer) are thrown.</summary>
    Task<IDockedRecorder?> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Why the last <see cref="OpenAsync"/> found the bay empty: nothing at the port, a refused or silent endpoint.</summary>
    string? Absence { get; }
}

/// <summary>DockLink recorders: connect to the bay's endpoint (fixed, or what its USB port presents now) and authenticate.</summary>
public sealed class DockLinkRecorderSource(Func<BayEndpoint?> endpointNow, IDockCredential credential, HostSessionOptions sessionOptions,
    TimeSpan connectTimeout, TimeProvider time) : IRecorderSource
{
    public string? Absence { get; private set; }

    public async Task<IDockedRecorder?> OpenAsync(CancellationToken cancellationToken)
    {
        Absence = null;
        if (endpointNow() is not { } endpoint)
        {
            Absence = "no recorder on the bay's USB port";
            return null;
        }
        if (await BayConnector.TryConnectAsync(endpoint, connectTimeout, why => Absence = why, cancellationToken).ConfigureAwait(false) is not { } transport)
            return null;
        var session = await HostSession.OpenAsync(transport, credential, sessionOptions, time, cancellationToken).ConfigureAwait(false);
        return new DockLinkRecorder(session);
    }
}

/// <summary>
/// Mass-storage recorders: open the command channel (the bay's fixed endpoint, or the tty on its USB port),
/// then find the disk (the fixed volume folder, or where the block device on that port is mounted).
/// </summary>
public sealed class MassStorageRecorderSource(Func<BayEndpoint?> channelNow, Func<string?> volumeNow, MassStorageOptions options,
    Catalog.ClipStore clips, TimeSpan connectTimeout, TimeProvider time) : IRecorderSource
{
    // Who the recorder whose disk is mounted here said it was: a recorder that dropped its channel after presenting
    // its disk is still known while that disk stays. Forgotten as soon as the disk goes.
    private Recorders.MassStorage.Identification? _remembered;

    public string? Absence { get; private set; }

    public async Task<IDockedRecorder?> OpenAsync(CancellationToken cancellationToken)
    {
        Absence = null;
        var volume = volumeNow();
        if (volume is null) _remembered = null;
        Dock.DeviceProtocol.CommandChannel.IRecorderCommandChannel channel;
        if (channelNow() is { } endpoint
            && await BayConnector.TryConnectAsync(endpoint, connectTimeout, why => Absence = why, cancellationToken).ConfigureAwait(false) is { } transport)
            channel = new Dock.DeviceProtocol.CommandChannel.CommandChannelClient(transport, options.CommandTimeout, time);
        else if (_remembered is { } known && known.Volume == volume)
            channel = new Recorders.MassStorage.GoneCommandChannel("(none: the recorder re-enumerated as a plain disk)");
        else
        {
            Absence ??= "no command channel on the bay's USB port";
            return null;
        }
        try
        {
            var recorder = await Recorders.MassStorage.MassStorageRecorder.OpenAsync(channel, volumeNow, options, KnownHashAsync, time, cancellationToken,
                _remembered).ConfigureAwait(false);
            _remembered = recorder.Docked;
            return recorder;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The reference hash the catalog already holds (first read at an earlier docking), so a file is hashed once, not per docking.</summary>
    private async Task<string?> KnownHashAsync(string serial, string clipId, long size, CancellationToken cancellationToken) =>
        await clips.FindClipAsync(serial, clipId, cancellationToken).ConfigureAwait(false) is { } row && row.Size == size ? row.DeviceSha256 : null;
}
