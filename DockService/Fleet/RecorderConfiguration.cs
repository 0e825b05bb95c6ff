using System.Globalization;
using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Recorders;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Fleet;

/// <summary>The profile a recorder runs, as it last said: its SHA-256, the bundle version it came from (0: its factory settings), when the dock
/// last looked, and the custody entry of the dock's last write to it.</summary>
public sealed record RecorderConfigRecord(string Serial, string Model, long Version, string Sha256, DateTimeOffset CheckedAt, long? CustodyIndex);

public enum ConfigureOutcome
{
    /// <summary>The applied bundle has no profile for its model (or no bundle is applied): nothing to do.</summary>
    NoProfile,
    /// <summary>It does not take profiles from the dock (no capability bit 5).</summary>
    CannotConfigure,
    /// <summary>It runs the profile already.</summary>
    Current,
    /// <summary>Written and read back with the same hash: a <c>recorder-configured</c> custody entry.</summary>
    Written,
    /// <summary>Written, and it answered another hash: the <see cref="RecorderConfiguration.MismatchAlert"/> alert; it stays stale.</summary>
    Mismatch,
    /// <summary>It refused the profile (BAD_MESSAGE: its firmware cannot run it): the same alert; it stays stale.</summary>
    Refused,
}

/// <summary>
/// The one owner of "which profile a recorder runs" (fleet-bundle-v1.md §7, docklink-v1.md §5.16). Once a docked camera's footage is safe,
/// the dock compares the profile it runs (GET_CONFIG) with the applied bundle's profile for its model, and writes the bundle's (PUT_CONFIG)
/// when they differ; the camera's answer is read back and compared, and what the camera said is what the catalog keeps. A camera whose
/// profile is not the bundle's is stale: not ready for checkout (<see cref="StaleAsync"/>).
/// </summary>
public sealed class RecorderConfiguration(CatalogDatabase db, CustodyLog log, AlertStore alerts, FleetConfiguration fleet)
{
    public const string MismatchAlert = "recorder-config-mismatch";

    private (long Version, FleetBundle Bundle)? _cached;

    /// <summary>The applied bundle (read from its kept note once per version), or null when none is applied.</summary>
    public async Task<(AppliedBundle Applied, FleetBundle Bundle)?> AppliedBundleAsync(CancellationToken cancellationToken)
    {
        var applied = await fleet.CurrentAsync(cancellationToken).ConfigureAwait(false);
        if (applied is null) return null;
        if (_cached is { } cached && cached.Version == applied.Version) return (applied, cached.Bundle);
        var note = await File.ReadAllTextAsync(fleet.NotePath(applied.Version), cancellationToken).ConfigureAwait(false);
        if (BundleNote.HashOf(note) != applied.Sha256)
            throw new FleetBundleException(BundleRefusal.Malformed, $"{fleet.NotePath(applied.Version)} is not the bundle the catalog records");
        var bundle = BundleNote.Peek(note);
        _cached = (applied.Version, bundle);
        return (applied, bundle);
    }

    public async Task<ConfigureOutcome> ConfigureAsync(IDockedRecorder recorder, string model, CancellationToken cancellationToken)
    {
        if (await AppliedBundleAsync(cancellationToken).ConfigureAwait(false) is not { } applied
            || applied.Bundle.RecorderProfiles.FirstOrDefault(p => p.Model == model) is not { } profile) return ConfigureOutcome.NoProfile;
        if (!recorder.CanConfigure) return ConfigureOutcome.CannotConfigure;
        var serial = recorder.Serial;
        var running = await recorder.GetConfigAsync(cancellationToken).ConfigureAwait(false);
        var runningSha = Convert.ToHexStringLower(running.Sha256);
        if (runningSha == profile.Sha256)
        {
            await RecordAsync(serial, model, (long)running.Version, runningSha, null, cancellationToken).ConfigureAwait(false);
            await alerts.ResolveAlertsAsync(MismatchAlert, serial, null, "runs the bundle's profile", cancellationToken).ConfigureAwait(false);
            return ConfigureOutcome.Current;
        }
        ConfigSet answer;
        try
        {
            answer = await recorder.PutConfigAsync(new PutConfig((ulong)applied.Applied.Version, Convert.FromHexString(profile.Sha256), profile.Bytes), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.RemoteError)
        {
            await RecordAsync(serial, model, (long)running.Version, runningSha, null, cancellationToken).ConfigureAwait(false);
            await alerts.RaiseAlertAsync(MismatchAlert, serial, null, CustodyEvent.FitDetail($"the {model} refused the profile of fleet bundle version " +
                $"{applied.Applied.Version} ({ex.Message}); it keeps {Short(runningSha)} and is not ready for checkout"), cancellationToken).ConfigureAwait(false);
            return ConfigureOutcome.Refused;
        }
        var appliedSha = Convert.ToHexStringLower(answer.AppliedSha256);
        if (appliedSha != profile.Sha256)
        {
            // What the camera says it runs is what is kept: never the profile the dock hoped for.
            await RecordAsync(serial, model, (long)answer.Version, appliedSha, null, cancellationToken).ConfigureAwait(false);
            await alerts.RaiseAlertAsync(MismatchAlert, serial, null, CustodyEvent.FitDetail($"the {model} was sent the profile of fleet bundle version " +
                $"{applied.Applied.Version} ({Short(profile.Sha256)}) and answers that it runs {Short(appliedSha)}; it is not ready for checkout"),
                cancellationToken).ConfigureAwait(false);
            return ConfigureOutcome.Mismatch;
        }
        var detail = CustodyEvent.FitDetail($"profile for {model} from fleet bundle version {applied.Applied.Version}; was {(running.IsFactory ? "factory settings" : runningSha)}");
        await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.RecorderConfigured, at, log.DockId, log.DockId, serial,
            Sha256: profile.Sha256, Size: profile.Bytes.Length, Detail: detail), cancellationToken,
            (c, tx, entry) => UpsertAsync(c, tx, serial, model, applied.Applied.Version, profile.Sha256, entry.At, entry.Index)).ConfigureAwait(false);
        await alerts.ResolveAlertsAsync(MismatchAlert, serial, null, $"runs the profile of version {applied.Applied.Version}", cancellationToken).ConfigureAwait(false);
        return ConfigureOutcome.Written;
    }

    public async Task<IReadOnlyDictionary<string, RecorderConfigRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await QueryAsync(c, null, "SELECT serial, model, version, sha256, checked_at, custody_index FROM recorder_config;",
            r => new RecorderConfigRecord(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture), r.IsDBNull(5) ? null : r.GetInt64(5)), cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Serial, StringComparer.Ordinal);
    }

    /// <summary>Of <paramref name="recorders"/> (serial, model), those whose model has a profile in the applied bundle and that do not run it as
    /// far as the dock knows (never checked, another hash, a refused write).</summary>
    public async Task<IReadOnlySet<string>> StaleAsync(IEnumerable<(string Serial, string Model)> recorders, CancellationToken cancellationToken)
    {
        if (await AppliedBundleAsync(cancellationToken).ConfigureAwait(false) is not { } applied) return new HashSet<string>();
        var profiles = applied.Bundle.RecorderProfiles.ToDictionary(p => p.Model, p => p.Sha256, StringComparer.Ordinal);
        if (profiles.Count == 0) return new HashSet<string>();
        var known = await ListAsync(cancellationToken).ConfigureAwait(false);
        return recorders.Where(r => profiles.TryGetValue(r.Model, out var wanted) && known.GetValueOrDefault(r.Serial)?.Sha256 != wanted)
            .Select(r => r.Serial).ToHashSet(StringComparer.Ordinal);
    }

    private async Task RecordAsync(string serial, string model, long version, string sha256, long? custodyIndex, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await UpsertAsync(c, null, serial, model, version, sha256, db.Time.GetUtcNow(), custodyIndex).ConfigureAwait(false);
    }

    private static Task UpsertAsync(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction? tx, string serial, string model, long version,
        string sha256, DateTimeOffset at, long? custodyIndex) =>
        ExecAsync(c, tx, """
            INSERT INTO recorder_config(serial, model, version, sha256, checked_at, custody_index) VALUES ($serial, $model, $version, $sha, $at, $idx)
            ON CONFLICT(serial) DO UPDATE SET model = excluded.model, version = excluded.version, sha256 = excluded.sha256, checked_at = excluded.checked_at,
                custody_index = CASE WHEN excluded.sha256 = recorder_config.sha256
                    THEN COALESCE(excluded.custody_index, recorder_config.custody_index) ELSE excluded.custody_index END;
            """, CancellationToken.None, ("$serial", serial), ("$model", model), ("$version", version), ("$sha", sha256),
            ("$at", at.ToString("O", CultureInfo.InvariantCulture)), ("$idx", custodyIndex));

    private static string Short(string sha256) => sha256.Length >= 12 ? sha256[..12] + "…" : sha256;
}
