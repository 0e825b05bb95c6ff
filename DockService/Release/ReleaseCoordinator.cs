using System.Collections.Concurrent;
using System.Threading.Channels;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Enrolment;

namespace Dock.Service.Release;

/// <summary>What the release decision says for one clip.</summary>
public enum ReleaseVerdict
{
    /// <summary>Tell the recorder it may delete the clip now.</summary>
    Release,
    /// <summary>Safe in the vault; released once the cloud copy is verified (AfterCloudVerify), while the recorder stays docked.</summary>
    WaitForCloud,
    /// <summary>Stays on the recorder: see the reason.</summary>
    Keep,
}

/// <summary>The verdict and, in words an officer understands, why (the bay light's message, the kiosk, the API).</summary>
public sealed record ReleaseDecision(ReleaseVerdict Verdict, string Reason);

/// <summary>
/// The one owner of the release decision: release policy × recorder trust × the clip's state × its cloud copy. Nothing else
/// decides whether footage may leave a camera. It is fed by a channel per docked recorder: the uploader posts each cloud copy it
/// verifies, and the docking's releaser reads its recorder's feed and asks <see cref="Decide"/> again for the clips waiting on it.
/// </summary>
public sealed class ReleaseCoordinator(ReleasePolicy policy)
{
    /// <summary>Signals a feed holds before the oldest are dropped: each one only wakes the releaser, which then reads the cloud
    /// state of every waiting clip from the catalog, so a dropped signal loses nothing.</summary>
    internal const int FeedCapacity = 256;

    private readonly ConcurrentDictionary<string, ReleaseFeed> _feeds = new(StringComparer.Ordinal);

    public ReleasePolicy Policy { get; } = policy;

    /// <summary>
    /// The decision for <paramref name="clip"/>. Never a release for a recorder whose identity is not trusted, nor for a clip the
    /// vault does not hold verified; then per policy: at once (AfterLocalVerify), once the cloud copy is verified
    /// (AfterCloudVerify), or never (Never: a person clears the camera).
    /// </summary>
    public ReleaseDecision Decide(ClipRecord clip, RecorderTrust trust, bool cloudCopyVerified)
    {
        if (!trust.Trusted) return new(ReleaseVerdict.Keep, $"camera not trusted ({trust.Reason}): call the equipment manager");
        if (clip.State != ClipState.Verified)
        {
            return new(ReleaseVerdict.Keep, clip.State switch
            {
                ClipState.Released => "already released",
                ClipState.Quarantined => "footage kept on the camera: the dock's copy failed its checks",
                _ => "footage kept on the camera until the dock's copy is verified",
            });
        }
        return Policy switch
        {
            ReleasePolicy.AfterLocalVerify => new(ReleaseVerdict.Release, "release policy AfterLocalVerify: the vault copy is verified"),
            ReleasePolicy.AfterCloudVerify when cloudCopyVerified => new(ReleaseVerdict.Release, "release policy AfterCloudVerify: the cloud copy is verified"),
            ReleasePolicy.AfterCloudVerify => new(ReleaseVerdict.WaitForCloud, "footage kept on the camera until the cloud copy is verified"),
            _ => new(ReleaseVerdict.Keep, "release policy Never: footage stays on the camera until a person clears it"),
        };
    }

    /// <summary>Opens the feed of a docked recorder (one docking at a time per recorder; a newer docking's feed replaces it).</summary>
    public ReleaseFeed Open(string serial)
    {
        var feed = new ReleaseFeed(this, serial);
        _feeds[serial] = feed;
        return feed;
    }

    /// <summary>The uploader verified the cloud copy of a clip of <paramref name="serial"/>: wake its docking, if it is docked.</summary>
    public void CloudCopyVerified(string serial, long clipRow)
    {
        if (_feeds.TryGetValue(serial, out var feed)) feed.Post(clipRow);
    }

    internal void Close(ReleaseFeed feed) => _feeds.TryRemove(new KeyValuePair<string, ReleaseFeed>(feed.Serial, feed));
}

/// <summary>One docking's release feed: the clip rows whose cloud copy verified (or that started waiting), in order.</summary>
public sealed class ReleaseFeed : IDisposable
{
    private readonly ReleaseCoordinator _owner;
    private readonly Channel<long> _channel = Channel.CreateBounded<long>(new BoundedChannelOptions(ReleaseCoordinator.FeedCapacity)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    internal ReleaseFeed(ReleaseCoordinator owner, string serial)
    {
        _owner = owner;
        Serial = serial;
    }

    public string Serial { get; }

    public ChannelReader<long> Reader => _channel.Reader;

    /// <summary>Posts a clip row (the uploader, or the docking itself when a clip starts waiting for its cloud copy).</summary>
    public void Post(long clipRow) => _channel.Writer.TryWrite(clipRow);

    public void Dispose()
    {
        _owner.Close(this);
        _channel.Writer.TryComplete();
    }
}
