using System.Globalization;
using System.Text;
using Dock.Crypto.Custody;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Fleet;

/// <summary>A bundle this dock applied, as its catalog row says.</summary>
public sealed record AppliedBundle(long Version, string Sha256, string SignedBy, string Source, DateTimeOffset AppliedAt, string Actor, long CustodyIndex);

public enum ApplyOutcome
{
    Applied,
    /// <summary>The same version with the same hash is already applied: nothing to do (a dock looking again, a second `dock fleet apply`).</summary>
    AlreadyApplied,
}

/// <summary>
/// The one owner of "which bundle this dock runs" (hardware-specs/fleet-bundle-v1.md §4). A bundle is applied only when a trusted
/// configuration key signed it, its version is above the applied one, it keeps to the schema and its settings are valid for this dock.
/// Applying keeps the note (DATA/fleet/bundles/V.note), then commits its catalog row with a <c>configuration-applied</c> custody entry,
/// then writes the settings the dock reads at start (DATA/fleet/settings.json; a crash before that is mended by
/// <see cref="EnsureSettingsAsync"/>). Each refusal raises <see cref="RefusedAlert"/> naming why, and changes nothing.
/// </summary>
public sealed class FleetConfiguration(CatalogDatabase db, CustodyLog log, AlertStore alerts, string dataDirectory)
{
    public const string RefusedAlert = "fleet-bundle-refused";

    public string NotePath(long version) => Path.Combine(dataDirectory, "fleet", "bundles", version.ToString(CultureInfo.InvariantCulture) + ".note");

    public async Task<AppliedBundle?> CurrentAsync(CancellationToken cancellationToken) =>
        (await HistoryAsync(1, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>The bundles applied here, newest first.</summary>
    public async Task<IReadOnlyList<AppliedBundle>> HistoryAsync(int limit, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT version, sha256, signed_by, source, applied_at, actor, custody_index FROM fleet_bundles ORDER BY version DESC LIMIT $limit;
            """, r => new AppliedBundle(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture), r.GetString(5), r.GetInt64(6)),
            cancellationToken, ("$limit", limit)).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies a bundle file (a signed note) for dock <paramref name="dockId"/> at <paramref name="site"/>. <paramref name="validate"/> gets the
    /// configuration keys the bundle would set and returns what is wrong with the dock's settings then (nothing: valid).
    /// </summary>
    /// <exception cref="FleetBundleException">Refused; the alert is raised before it is thrown.</exception>
    public async Task<(ApplyOutcome Outcome, AppliedBundle Bundle)> ApplyAsync(string file, IReadOnlyList<ConfigKey> trusted, string dockId, string? site,
        Func<IReadOnlyDictionary<string, string?>, IReadOnlyList<string>> validate, string source, string actor, CancellationToken cancellationToken)
    {
        var current = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        OpenedBundle opened;
        Dictionary<string, string?> settings;
        try
        {
            opened = BundleNote.Open(file, trusted);
            var version = opened.Bundle.Version;
            if (current is not null && version <= current.Version)
            {
                if (version == current.Version && opened.Sha256 == current.Sha256) return (ApplyOutcome.AlreadyApplied, current);
                throw new FleetBundleException(BundleRefusal.VersionNotHigher, version == current.Version
                    ? $"version {version} is already applied here with other contents (sha256 {current.Sha256[..16]}…, this one {opened.Sha256[..16]}…): " +
                      "a changed bundle needs a new, higher version"
                    : $"version {version} is not above version {current.Version}, which this dock runs (an old bundle replayed? a rollback is a new, higher version)");
            }
            settings = FleetSettings.For(opened.Bundle, dockId, site);
            var problems = validate(settings);
            if (problems.Count > 0)
                throw new FleetBundleException(BundleRefusal.Schema, $"its settings for this dock are not valid: {string.Join("; ", problems.Take(5))}");
        }
        catch (FleetBundleException ex)
        {
            await alerts.RaiseAlertAsync(RefusedAlert, null, null, CustodyEvent.FitDetail($"a fleet bundle from {source} was refused ({ex.Reason}): {ex.Message}. " +
                $"The dock keeps version {current?.Version.ToString(CultureInfo.InvariantCulture) ?? "none"}."), cancellationToken).ConfigureAwait(false);
            throw;
        }

        var bundle = opened.Bundle;
        var notePath = NotePath(bundle.Version);
        Directory.CreateDirectory(Path.GetDirectoryName(notePath)!);
        FleetFiles.WriteDurably(notePath, opened.Note);
        var previous = current?.Version.ToString(CultureInfo.InvariantCulture) ?? "none";
        var detail = CustodyEvent.FitDetail($"fleet bundle version {bundle.Version} from {source}, signed by {opened.SignedBy.Id}; previous version {previous}");
        AppliedBundle? applied = null;
        try
        {
            await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.ConfigurationApplied, at, log.DockId, actor,
                Sha256: opened.Sha256, Size: Encoding.UTF8.GetByteCount(opened.SignedText), Detail: detail), cancellationToken, async (c, tx, entry) =>
            {
                // Another applier (the CLI beside the running dock) may have got there first: the higher version must still be higher.
                var top = await ScalarAsync(c, tx, "SELECT MAX(version) FROM fleet_bundles;", CancellationToken.None).ConfigureAwait(false);
                if (top is long t && t >= bundle.Version) throw new ApplyRace(t);
                applied = new AppliedBundle(bundle.Version, opened.Sha256, opened.SignedBy.Id, source, entry.At, actor, entry.Index);
                await ExecAsync(c, tx, """
                    INSERT INTO fleet_bundles(version, sha256, signed_by, source, applied_at, actor, custody_index)
                    VALUES ($v, $sha, $by, $source, $at, $actor, $idx);
                    """, CancellationToken.None, ("$v", bundle.Version), ("$sha", opened.Sha256), ("$by", opened.SignedBy.Id), ("$source", source),
                    ("$at", entry.At.ToString("O", CultureInfo.InvariantCulture)), ("$actor", actor), ("$idx", entry.Index)).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch (ApplyRace race)
        {
            throw new FleetBundleException(BundleRefusal.VersionNotHigher, $"version {race.Applied} was applied meanwhile; version {bundle.Version} is not above it");
        }
        FleetSettings.Write(dataDirectory, bundle.Version, opened.Sha256, settings);
        await alerts.ResolveAlertsAsync(RefusedAlert, null, null, $"version {bundle.Version} applied", cancellationToken).ConfigureAwait(false);
        return (ApplyOutcome.Applied, applied!);
    }

    /// <summary>Makes DATA/fleet/settings.json match the applied bundle (after a crash between the catalog and the file, or a file lost):
    /// returns the applied bundle, or null when there is none.</summary>
    public async Task<AppliedBundle?> EnsureSettingsAsync(string dockId, string? site, CancellationToken cancellationToken)
    {
        var current = await CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (current is null) return null;
        if (FleetSettings.Read(dataDirectory) is { } read && read.Applied.Version == current.Version && read.Applied.Sha256 == current.Sha256) return current;
        var note = await File.ReadAllTextAsync(NotePath(current.Version), cancellationToken).ConfigureAwait(false);
        if (BundleNote.HashOf(note) != current.Sha256)
            throw new FleetBundleException(BundleRefusal.Malformed, $"{NotePath(current.Version)} is not the bundle the catalog records (sha256 {current.Sha256})");
        FleetSettings.Write(dataDirectory, current.Version, current.Sha256, FleetSettings.For(BundleNote.Peek(note), dockId, site));
        return current;
    }

    private sealed class ApplyRace(long applied) : Exception
    {
        public long Applied { get; } = applied;
    }
}
