using System.Globalization;
using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Errors;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Custody;
using Dock.Service.Recorders;
using Microsoft.Data.Sqlite;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Fleet;

/// <summary>The firmware a recorder runs, as it last said, and where the dock stands with the image the applied bundle names for its model.</summary>
public sealed record RecorderFirmwareRecord(string Serial, string Model, string Version, string Sha256, int Slot, bool Trial, string State, string Detail,
    string? TargetSha256, string? TargetVersion, string? FailedSha256, int InstallTries, long BytesSent, long BytesResent, DateTimeOffset CheckedAt,
    long? CustodyIndex);

/// <summary>What one look at a docked recorder's firmware came to.</summary>
public enum FirmwareOutcome
{
    /// <summary>No bundle, or no image for its model.</summary>
    NoImage,
    /// <summary>It does not take firmware from the dock (no capability bit 6).</summary>
    CannotUpdate,
    /// <summary>It runs the bundle's image.</summary>
    Current,
    /// <summary>Its trial image passed the health check and is confirmed.</summary>
    Confirmed,
    /// <summary>Its trial image did not pass the health check: not confirmed, so it goes back to its old image at its next boot.</summary>
    Unhealthy,
    /// <summary>The image installed on it is not running (boot failure, not confirmed): alerted, never sent again.</summary>
    RolledBack,
    /// <summary>It refused the image (not for its model, a signature it does not trust, bytes that do not match): alerted, never sent again.</summary>
    Refused,
    /// <summary>An image failed on it before: not sent again until a bundle names another.</summary>
    FailedBefore,
    /// <summary>Footage waits to be offloaded: nothing is sent until every clip it lists is safe in the vault.</summary>
    WaitingForFootage,
    /// <summary>Its battery is below the image's threshold: sent once it has charged.</summary>
    WaitingForBattery,
    /// <summary>The dock does not hold the image yet (the fleet store has not given it).</summary>
    ImageUnavailable,
    /// <summary>Sent, verified and installed: it reboots into it now, on trial.</summary>
    Installed,
}

/// <summary>
/// The one owner of "which firmware a recorder runs" (docklink-v1.md §5.17, fleet-bundle-v1.md §8). At each docking, once the camera's footage
/// is safe and its battery is above the image's threshold, the dock sends the image the applied bundle names for its model (resuming where
/// the camera says it holds bytes), has it verified and installed in the other slot, and lets it reboot; at the handshake after the reboot it
/// checks the camera's health and confirms the trial image, or does not (the camera then goes back). Every install, confirmation and
/// rollback is a custody entry; a rollback or a refusal is an alert, and that image is never sent to that camera again.
/// </summary>
public sealed class RecorderFirmware(CatalogDatabase db, CustodyLog log, AlertStore alerts, RecorderConfiguration configuration, FirmwareImages images)
{
    public const string FailedAlert = "firmware-failed";

    /// <summary>A transfer or an install that a link problem cut short (resumed at the next docking); resolved once the camera runs the image.</summary>
    public const string InterruptedAlert = "firmware-interrupted";

    /// <summary>How many interrupted installs (power lost while the slot was written) are tried again before the image counts as failed.</summary>
    public const int MaxInstallTries = 3;

    /// <summary>The battery the image needs when a look ends in <see cref="FirmwareOutcome.WaitingForBattery"/>.</summary>
    public sealed record Look(FirmwareOutcome Outcome, int? BatteryNeeded = null, long BytesSent = 0, long ResumedAt = 0);

    /// <param name="footageSafe">Every clip it listed this pass is verified in the vault (the listing was whole).</param>
    /// <param name="healthy">The handshake, INFO, the clock, the battery and a whole listing all worked this docking: the health check a trial
    /// image must pass.</param>
    public async Task<Look> UpdateAsync(IDockedRecorder recorder, Info info, bool footageSafe, bool healthy, CancellationToken cancellationToken)
    {
        var image = await ImageForAsync(info.Model, cancellationToken).ConfigureAwait(false);
        if (!recorder.CanUpdateFirmware) return new Look(image is null ? FirmwareOutcome.NoImage : FirmwareOutcome.CannotUpdate);
        var serial = recorder.Serial;
        var state = await recorder.GetFirmwareAsync(cancellationToken).ConfigureAwait(false);
        var running = Convert.ToHexStringLower(state.RunningSha256);
        await RecordAsync(serial, info.Model, state, cancellationToken).ConfigureAwait(false);
        var row = await GetAsync(serial, cancellationToken).ConfigureAwait(false);

        // First what became of the last image: on trial now, gone back, or half installed.
        if (state.Trial)
        {
            if (!healthy || state.RunningVersion != info.Firmware)
            {
                var why = state.RunningVersion != info.Firmware ? $"its INFO says firmware {info.Firmware}, its slot {state.RunningVersion}" : "this docking did not go cleanly";
                await alerts.RaiseAlertAsync(FailedAlert, serial, null, CustodyEvent.FitDetail($"the trial firmware {state.RunningVersion} failed the dock's health check " +
                    $"({why}); it is not confirmed and the camera goes back to its old image at its next boot"), cancellationToken).ConfigureAwait(false);
                await SetStateAsync(serial, "unhealthy", $"trial {state.RunningVersion} not confirmed: {why}", cancellationToken).ConfigureAwait(false);
                return new Look(FirmwareOutcome.Unhealthy);
            }
            var confirmed = await recorder.ConfirmFirmwareAsync(state.RunningSha256, cancellationToken).ConfigureAwait(false);
            await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.FirmwareConfirmed, at, log.DockId, log.DockId, serial,
                Sha256: running, Detail: CustodyEvent.FitDetail($"{info.Model} firmware {state.RunningVersion} in slot {SlotName(confirmed.Slot)} confirmed after " +
                    "its health check (handshake, info, clock, battery, listing)")), cancellationToken,
                (c, tx, entry) => ConfirmedAsync(c, tx, serial, confirmed.Slot, entry.At, entry.Index)).ConfigureAwait(false);
            await alerts.ResolveAlertsAsync(FailedAlert, serial, null, $"runs firmware {state.RunningVersion}, confirmed", cancellationToken).ConfigureAwait(false);
            await alerts.ResolveAlertsAsync(InterruptedAlert, serial, null, $"runs firmware {state.RunningVersion}, confirmed", cancellationToken).ConfigureAwait(false);
            return new Look(FirmwareOutcome.Confirmed);
        }
        // A failure the camera reports for the image this dock installed (not one from before it).
        if (row?.TargetSha256 is { } target && target != running && state.LastFailure != FirmwareFailure.None && state.FailedVersion == row.TargetVersion)
        {
            bool interrupted = state.LastFailure == FirmwareFailure.InstallInterrupted;
            // Interrupted with the image whole in its staging area: install again below, nothing re-sent (the checks there still apply).
            bool retry = interrupted && state.HasStaged && Convert.ToHexStringLower(state.StagedSha256) == target && row.InstallTries < MaxInstallTries
                && image?.Sha256 == target;
            // Interrupted, and the bundle names another image now: that one is sent instead; this one did not fail on the camera.
            bool superseded = interrupted && image?.Sha256 != target;
            if (!retry && !superseded)
            {
                var what = state.LastFailure switch
                {
                    FirmwareFailure.BootFailed => $"did not boot; the camera went back to {state.RunningVersion}",
                    FirmwareFailure.Unconfirmed => $"was not confirmed after its boot; the camera went back to {state.RunningVersion}",
                    _ => $"could not be installed (power lost while its slot was written, {row.InstallTries} time(s)); the camera runs {state.RunningVersion}",
                };
                var text = CustodyEvent.FitDetail($"{info.Model} firmware {row.TargetVersion} {what}");
                await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.FirmwareRolledBack, at, log.DockId, log.DockId, serial,
                    Sha256: target, Detail: text), cancellationToken,
                    (c, tx, entry) => FailedAsync(c, tx, serial, target, "rolled-back", text, entry.Index)).ConfigureAwait(false);
                await alerts.RaiseAlertAsync(FailedAlert, serial, null, text + "; it is not sent to this camera again until a bundle names another image",
                    cancellationToken).ConfigureAwait(false);
                return new Look(FirmwareOutcome.RolledBack);
            }
        }

        if (image is null) return new Look(FirmwareOutcome.NoImage);
        if (running == image.Sha256)
        {
            await SetStateAsync(serial, "current", $"runs {image.Version}, the bundle's image", cancellationToken).ConfigureAwait(false);
            await alerts.ResolveAlertsAsync(InterruptedAlert, serial, null, $"runs firmware {image.Version}", cancellationToken).ConfigureAwait(false);
            return new Look(FirmwareOutcome.Current);
        }
        if (row?.FailedSha256 == image.Sha256) return new Look(FirmwareOutcome.FailedBefore);
        if (!footageSafe)
        {
            await SetStateAsync(serial, "waiting", $"{image.Version} waits: footage waits to be offloaded", cancellationToken).ConfigureAwait(false);
            return new Look(FirmwareOutcome.WaitingForFootage);
        }
        var power = await recorder.GetPowerAsync(cancellationToken).ConfigureAwait(false);
        if (power is null || power.Percent < image.MinimumBatteryPercent)
        {
            await SetStateAsync(serial, "waiting", $"{image.Version} waits: battery {(power is null ? "unknown" : power.Percent + " %")}, below {image.MinimumBatteryPercent} %",
                cancellationToken).ConfigureAwait(false);
            return new Look(FirmwareOutcome.WaitingForBattery, image.MinimumBatteryPercent);
        }
        if (await images.VerifiedAsync(image, cancellationToken).ConfigureAwait(false) is not { } path)
        {
            await SetStateAsync(serial, "waiting", $"{image.Version} waits: the dock does not hold the image yet", cancellationToken).ConfigureAwait(false);
            return new Look(FirmwareOutcome.ImageUnavailable);
        }
        return await SendAsync(recorder, info, image, path, state, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Look> SendAsync(IDockedRecorder recorder, Info info, FirmwareImage image, string path, FirmwareState state, CancellationToken cancellationToken)
    {
        var serial = recorder.Serial;
        var sha = Convert.FromHexString(image.Sha256);
        var begin = new FirmwareBegin(image.Model, image.Version, (ulong)image.Size, sha, Convert.FromHexString(image.Signature));
        await TargetAsync(serial, image, cancellationToken).ConfigureAwait(false);
        FirmwareReady ready;
        try
        {
            ready = await recorder.BeginFirmwareAsync(begin, cancellationToken).ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.RemoteError && ex.RemoteCode is ErrorCode.BadImage or ErrorCode.TooLarge)
        {
            return await RefusedAsync(serial, image, ex.Message, cancellationToken).ConfigureAwait(false);
        }
        long sent = 0;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
        {
            sent = await recorder.PushFirmwareAsync((long)ready.Offset, image.Size, ready.MaxChunk,
                (at, buffer, ct) => RandomAccess.ReadAsync(file.SafeFileHandle, buffer, at, ct), cancellationToken).ConfigureAwait(false);
        }
        long resent = sent - (image.Size - (long)ready.Offset);
        await CountAsync(serial, sent, resent, cancellationToken).ConfigureAwait(false);
        FirmwareInstalling installing;
        try
        {
            installing = await recorder.InstallFirmwareAsync(sha, cancellationToken).ConfigureAwait(false);
        }
        catch (DockLinkException ex) when (ex.Failure == DockLinkFailure.RemoteError && ex.RemoteCode is ErrorCode.BadImage)
        {
            return await RefusedAsync(serial, image, ex.Message, cancellationToken).ConfigureAwait(false);
        }
        var bundle = await configuration.AppliedBundleAsync(cancellationToken).ConfigureAwait(false);
        var detail = CustodyEvent.FitDetail($"{image.Model} firmware {image.Version} installed in slot {SlotName(installing.Slot)} on trial (was {state.RunningVersion}); " +
            $"fleet bundle version {bundle?.Applied.Version}; {sent:N0} bytes sent" + (ready.Offset > 0 ? $", resumed at {ready.Offset:N0}" : ""));
        await log.AppendAsync((index, at) => new CustodyEvent(index, CustodyEventKind.FirmwareInstalled, at, log.DockId, log.DockId, serial,
            Sha256: image.Sha256, Size: image.Size, Detail: detail), cancellationToken,
            (c, tx, entry) => InstalledAsync(c, tx, serial, detail, entry.Index)).ConfigureAwait(false);
        return new Look(FirmwareOutcome.Installed, BytesSent: sent, ResumedAt: (long)ready.Offset);
    }

    private async Task<Look> RefusedAsync(string serial, FirmwareImage image, string why, CancellationToken cancellationToken)
    {
        var text = CustodyEvent.FitDetail($"the {image.Model} refused firmware {image.Version} ({why}); nothing installed, it is not sent to this camera again");
        await using (var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            await FailedAsync(c, null, serial, image.Sha256, "refused", text, null).ConfigureAwait(false);
        await alerts.RaiseAlertAsync(FailedAlert, serial, null, text, cancellationToken).ConfigureAwait(false);
        return new Look(FirmwareOutcome.Refused);
    }

    /// <summary>The image the applied bundle names for <paramref name="model"/>, or null.</summary>
    public async Task<FirmwareImage?> ImageForAsync(string model, CancellationToken cancellationToken) =>
        (await configuration.AppliedBundleAsync(cancellationToken).ConfigureAwait(false))?.Bundle.Firmware.FirstOrDefault(f => f.Model == model);

    public async Task<IReadOnlyDictionary<string, RecorderFirmwareRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryAsync(c, null, Select, Read, cancellationToken).ConfigureAwait(false)).ToDictionary(r => r.Serial, StringComparer.Ordinal);
    }

    public async Task<RecorderFirmwareRecord?> GetAsync(string serial, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await QueryAsync(c, null, Select + " WHERE serial = $serial", Read, cancellationToken, ("$serial", serial)).ConfigureAwait(false)).FirstOrDefault();
    }

    private const string Select = """
        SELECT serial, model, version, sha256, slot, trial, state, detail, target_sha256, target_version, failed_sha256, install_tries, bytes_sent,
               bytes_resent, checked_at, custody_index FROM recorder_firmware
        """;

    private static RecorderFirmwareRecord Read(SqliteDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4),
        r.GetInt64(5) != 0, r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9),
        r.IsDBNull(10) ? null : r.GetString(10), r.GetInt32(11), r.GetInt64(12), r.GetInt64(13), DateTimeOffset.Parse(r.GetString(14), CultureInfo.InvariantCulture),
        r.IsDBNull(15) ? null : r.GetInt64(15));

    /// <summary>What the camera said it runs (kept as said, whatever the dock hoped for).</summary>
    private async Task RecordAsync(string serial, string model, FirmwareState state, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            INSERT INTO recorder_firmware(serial, model, version, sha256, slot, trial, state, detail, checked_at)
            VALUES ($serial, $model, $version, $sha, $slot, $trial, 'seen', '', $at)
            ON CONFLICT(serial) DO UPDATE SET model = excluded.model, version = excluded.version, sha256 = excluded.sha256, slot = excluded.slot,
                trial = excluded.trial, checked_at = excluded.checked_at;
            """, cancellationToken, ("$serial", serial), ("$model", model), ("$version", state.RunningVersion),
            ("$sha", Convert.ToHexStringLower(state.RunningSha256)), ("$slot", (int)state.Slot), ("$trial", state.Trial ? 1 : 0), ("$at", Now())).ConfigureAwait(false);
    }

    private async Task SetStateAsync(string serial, string state, string detail, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE recorder_firmware SET state = $state, detail = $detail WHERE serial = $serial;", cancellationToken,
            ("$serial", serial), ("$state", state), ("$detail", detail)).ConfigureAwait(false);
    }

    private async Task TargetAsync(string serial, FirmwareImage image, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            UPDATE recorder_firmware SET state = 'sending', detail = $detail,
                install_tries = CASE WHEN target_sha256 = $sha THEN install_tries + 1 ELSE 1 END,
                target_sha256 = $sha, target_version = $version WHERE serial = $serial;
            """, cancellationToken, ("$serial", serial), ("$sha", image.Sha256), ("$version", image.Version),
            ("$detail", $"sending {image.Version}")).ConfigureAwait(false);
    }

    private async Task CountAsync(string serial, long sent, long resent, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE recorder_firmware SET bytes_sent = bytes_sent + $sent, bytes_resent = bytes_resent + $resent WHERE serial = $serial;",
            cancellationToken, ("$serial", serial), ("$sent", sent), ("$resent", resent)).ConfigureAwait(false);
    }

    private Task InstalledAsync(SqliteConnection c, SqliteTransaction tx, string serial, string detail, long index) =>
        ExecAsync(c, tx, """
            UPDATE recorder_firmware SET state = 'installed', detail = $detail, custody_index = $idx WHERE serial = $serial;
            """, CancellationToken.None, ("$serial", serial), ("$detail", detail), ("$idx", index));

    private Task ConfirmedAsync(SqliteConnection c, SqliteTransaction tx, string serial, byte slot, DateTimeOffset at, long index) =>
        ExecAsync(c, tx, """
            UPDATE recorder_firmware SET state = 'confirmed', detail = 'confirmed after its health check', trial = 0, slot = $slot,
                target_sha256 = NULL, target_version = NULL, install_tries = 0, checked_at = $at, custody_index = $idx WHERE serial = $serial;
            """, CancellationToken.None, ("$serial", serial), ("$slot", (int)slot), ("$at", at.ToString("O", CultureInfo.InvariantCulture)), ("$idx", index));

    private static Task FailedAsync(SqliteConnection c, SqliteTransaction? tx, string serial, string sha256, string state, string detail, long? index) =>
        ExecAsync(c, tx, """
            UPDATE recorder_firmware SET state = $state, detail = $detail, failed_sha256 = $sha, target_sha256 = NULL, target_version = NULL,
                install_tries = 0, custody_index = COALESCE($idx, custody_index) WHERE serial = $serial;
            """, CancellationToken.None, ("$serial", serial), ("$state", state), ("$detail", detail), ("$sha", sha256), ("$idx", index));

    private string Now() => db.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static string SlotName(byte slot) => slot == 0 ? "A" : "B";
}
