using Dock.DeviceProtocol.CommandChannel;

namespace Dock.Service.Recorders.MassStorage;

/// <summary>The command channel of a recorder that re-enumerated as a plain USB disk: gone, every command fails as
/// ConnectionLost. Lets the bay keep working from the disk of a recorder it already identified.</summary>
public sealed class GoneCommandChannel(string endpoint) : IRecorderCommandChannel
{
    public string Endpoint => endpoint;
    public Task Closed => Task.CompletedTask;
    public Task LoginAsync(string password, CancellationToken cancellationToken) => throw Gone();
    public Task<RecorderIdentity> IdentifyAsync(CancellationToken cancellationToken) => throw Gone();
    public Task<OfficerInfo> ReadOfficerAsync(CancellationToken cancellationToken) => throw Gone();
    public Task WriteOfficerAsync(OfficerInfo officer, CancellationToken cancellationToken) => throw Gone();
    public Task<long> SyncTimeAsync(DateTimeOffset now, CancellationToken cancellationToken) => throw Gone();
    public Task<BatteryStatus> ReadBatteryAsync(CancellationToken cancellationToken) => throw Gone();
    public Task SwitchToMassStorageAsync(CancellationToken cancellationToken) => throw Gone();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Dock.DeviceProtocol.Errors.DockLinkException Gone() => CommandChannelErrors.ConnectionLost(endpoint, "the recorder presents only its disk now");
}
