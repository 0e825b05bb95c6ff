namespace Dock.DeviceProtocol.CommandChannel;

/// <summary>
/// What the dock asks of a mass-storage recorder besides its files: who it says it is, whose it is,
/// its clock and battery, and to present its storage. Pluggable: <see cref="CommandChannelClient"/> speaks
/// the GA/T 947.4-style wire protocol of recorder-command-channel-v1.md; a vendor whose recorders only
/// come with an SDK implements this interface over that SDK.
/// </summary>
public interface IRecorderCommandChannel : IAsyncDisposable
{
    string Endpoint { get; }

    /// <summary>Completes when the channel is gone (cable pulled, recorder switched off).</summary>
    Task Closed { get; }

    /// <summary>Opens the recorder's command set. The camera checks the password; success proves nothing to the dock (§6).</summary>
    Task LoginAsync(string password, CancellationToken cancellationToken);

    Task<RecorderIdentity> IdentifyAsync(CancellationToken cancellationToken);

    Task<OfficerInfo> ReadOfficerAsync(CancellationToken cancellationToken);

    Task WriteOfficerAsync(OfficerInfo officer, CancellationToken cancellationToken);

    /// <summary>Sets the recorder's clock; returns what it read just before, in Unix milliseconds.</summary>
    Task<long> SyncTimeAsync(DateTimeOffset now, CancellationToken cancellationToken);

    Task<BatteryStatus> ReadBatteryAsync(CancellationToken cancellationToken);

    /// <summary>Asks the recorder to present its storage as a USB disk.</summary>
    Task SwitchToMassStorageAsync(CancellationToken cancellationToken);
}
