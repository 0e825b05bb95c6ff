using Dock.Crypto.Keys;
using Dock.Service.Configuration;
using Dock.Service.Hosting;

namespace Dock.Service.Identity;

/// <summary>
/// For the demo and tests only: the dock plays the agency too. It keeps a demo agency key in its
/// data folder, endorses its own key with it, and simulated recorders trust that agency. A real
/// agency key never sits on a dock.
/// </summary>
public static class DemoAgency
{
    /// <summary>How long the demo agency's endorsement runs (a real agency picks its own, `dock keys endorse --valid-days`).</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(365);

    public static byte[] EndorseDock(DockPaths paths, string? dockId = null, TimeProvider? time = null)
    {
        using var agency = KeyFile.LoadOrCreate(Path.Combine(paths.DataDirectory, "keys", "demo-agency.key"));
        using var key = DockKey.Load(paths, create: true);
        DockEndorsement.Write(paths.EndorsementFile, agency, dockId ?? DockIdentity.DockIdFor(paths, key.PublicKey), key.PublicKey,
            (time ?? TimeProvider.System).GetUtcNow() + Validity);
        return agency.PublicKey;
    }

    /// <summary>What an equipment manager does when issuing cameras: enrol their keys on the dock
    /// (recorded as custody events, exactly as `dock recorders enroll` does).</summary>
    public static async Task EnrolRecordersAsync(string dataDirectory, IEnumerable<(string Serial, byte[] PublicKey)> recorders, string source,
        CancellationToken cancellationToken)
    {
        using var folder = await DataFolder.OpenAsync(dataDirectory, cancellationToken, createCatalog: true).ConfigureAwait(false);
        var enrolment = new Enrolment.RecorderEnrolment(folder.Catalog.Recorders, folder.Log);
        foreach (var (serial, key) in recorders)
            await enrolment.EnrolAsync(serial, key, source, DataFolder.Actor, replace: false, cancellationToken).ConfigureAwait(false);
    }
}
