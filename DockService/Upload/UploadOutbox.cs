using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Ingest;

namespace Dock.Service.Upload;

/// <summary>Where a verified clip is to go: the target (as the uploads table names it), its object key and its priority.</summary>
public sealed record UploadIntent(string Target, string ObjectKey, int Priority);

/// <summary>
/// The upload queue's door for the ingest pipeline (an outbox): a clip joins the queue in the same catalog transaction that makes it
/// verified, with its `queued` custody entry, so no crash can leave a verified clip out of the queue; then the uploader is woken.
/// The uploader still sweeps at start for clips verified before there was a target.
/// </summary>
public sealed class UploadOutbox(CloudTargetUri? target)
{
    private readonly ChangeSignal _queued = new();

    /// <summary>Completes when a clip joins the queue (take it before looking, as with every <see cref="ChangeSignal"/>).</summary>
    public Task Next => _queued.Next;

    /// <summary>Where this clip goes, or null when the dock has no cloud target.</summary>
    public UploadIntent? IntentFor(ClipRecord clip) => target is null || target.Kind == CloudKind.None
        ? null
        : new UploadIntent(target.ToString(), ObjectLayout.Clip(target.Prefix, clip.DeviceStart, clip.RecorderSerial, clip.ClipId), Priority(clip.Flags));

    /// <summary>R11 recordings first, then officer-marked ones, then the rest (oldest first within each).</summary>
    public static int Priority(ClipFlags flags) => flags.HasFlag(ClipFlags.Mandatory) ? 2 : flags.HasFlag(ClipFlags.Important) ? 1 : 0;

    internal void Queued() => _queued.Signal();
}
