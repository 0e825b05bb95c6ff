using Dock.DeviceProtocol.Messages;
using Dock.DeviceProtocol.Session;

namespace Dock.Service.Recorders;

/// <summary>A DockLink recorder: an authenticated <see cref="HostSession"/> behind the recorder seam.</summary>
public sealed class DockLinkRecorder(HostSession session) : IDockedRecorder
{
    public string Serial => session.Device.Serial;
    public string Endpoint => session.Endpoint;
    public byte[] ProvedKey => session.DeviceKey;
    public bool SignsClips => session.Device.Capabilities.HasFlag(DeviceCapabilities.RecordSignatures);
    public bool SignsClipsV11 => SignsClips && session.Device.Capabilities.HasFlag(DeviceCapabilities.RecordSignaturesV11);
    public bool SignsClipsV15 => SignsClipsV11 && session.Device.Capabilities.HasFlag(DeviceCapabilities.RecordSignaturesV15);
    public string HashSource => "the recorder's record-time sha256";
    public Task Completion => session.Completion;
    public bool ProvidesClipMetadata => session.Device.Capabilities.HasFlag(DeviceCapabilities.ClipMetadata);

    public async Task<ClipMeta?> GetClipMetadataAsync(string clipId, CancellationToken cancellationToken) =>
        await session.GetClipMetaAsync(clipId, cancellationToken).ConfigureAwait(false);

    public bool CanSetOfficer => session.Device.Capabilities.HasFlag(DeviceCapabilities.SetOfficer);

    public async Task<string> SetOfficerAsync(Dock.DeviceProtocol.CommandChannel.OfficerInfo officer, CancellationToken cancellationToken)
    {
        var answer = await session.SetOfficerAsync(new SetOfficer(officer.OfficerId, officer.Name, officer.UnitId, officer.UnitName), cancellationToken)
            .ConfigureAwait(false);
        if (answer.OfficerId != officer.OfficerId)
            throw Dock.DeviceProtocol.Errors.DockLinkErrors.Malformed(MessageType.OfficerSet,
                $"the recorder holds officer '{answer.OfficerId}' after being set to '{officer.OfficerId}'");
        return answer.PreviousOfficerId;
    }

    public bool CanConfigure => session.Device.Capabilities.HasFlag(DeviceCapabilities.Configuration);

    public Task<RecorderConfig> GetConfigAsync(CancellationToken cancellationToken) => session.GetConfigAsync(cancellationToken);

    public Task<ConfigSet> PutConfigAsync(PutConfig config, CancellationToken cancellationToken) => session.PutConfigAsync(config, cancellationToken);

    public bool CanUpdateFirmware => session.Device.Capabilities.HasFlag(DeviceCapabilities.Firmware);

    public Task<FirmwareState> GetFirmwareAsync(CancellationToken cancellationToken) => session.GetFirmwareAsync(cancellationToken);

    public Task<FirmwareReady> BeginFirmwareAsync(FirmwareBegin begin, CancellationToken cancellationToken) => session.BeginFirmwareAsync(begin, cancellationToken);

    public Task<long> PushFirmwareAsync(long offset, long size, uint maxChunk, Func<long, Memory<byte>, CancellationToken, ValueTask<int>> source,
        CancellationToken cancellationToken) => session.PushFirmwareAsync(offset, size, maxChunk, source, null, cancellationToken);

    public Task<FirmwareInstalling> InstallFirmwareAsync(byte[] sha256, CancellationToken cancellationToken) => session.InstallFirmwareAsync(sha256, cancellationToken);

    public Task<FirmwareConfirmed> ConfirmFirmwareAsync(byte[] sha256, CancellationToken cancellationToken) => session.ConfirmFirmwareAsync(sha256, cancellationToken);

    public Task<Info> GetInfoAsync(CancellationToken cancellationToken) => session.GetInfoAsync(cancellationToken);
    public Task<TimeSpan> SyncTimeAsync(CancellationToken cancellationToken) => session.SyncTimeAsync(cancellationToken);
    public async Task<Power?> GetPowerAsync(CancellationToken cancellationToken) => await session.GetPowerAsync(cancellationToken).ConfigureAwait(false);
    public Task<ClipListing> ListClipsAsync(CancellationToken cancellationToken) => session.ListClipsAsync(cancellationToken);
    /// <summary>A DockLink recorder states every clip's record-time hash in CLIP_LIST.</summary>
    public Task<byte[]> ReferenceHashAsync(string clipId, CancellationToken cancellationToken) =>
        throw Dock.DeviceProtocol.Errors.DockLinkErrors.InvalidState($"CLIP_LIST gave no sha256 for {clipId}");

    public Task<ClipInfo> GetClipAsync(string clipId, CancellationToken cancellationToken) => session.GetClipAsync(clipId, cancellationToken);

    public Task PullAsync(string clipId, long offset, long size, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink,
        CancellationToken cancellationToken) =>
        session.PullAsync(clipId, offset, size, (chunk, ct) => sink(chunk.Data, ct), cancellationToken);

    public Task<bool> ReleaseClipAsync(string clipId, byte[] sha256, CancellationToken cancellationToken) =>
        session.ReleaseClipAsync(clipId, sha256, cancellationToken);

    public Task ByeAsync(CancellationToken cancellationToken) => session.ByeAsync(cancellationToken);

    public ValueTask DisposeAsync() => session.DisposeAsync();
}
