using System.Globalization;
using Dock.DeviceProtocol.Messages;
using static Dock.Service.Catalog.CatalogDatabase;

namespace Dock.Service.Catalog;

/// <summary>Docking history: the bays, each docking session (with its clock offset and how it ended) and the battery samples taken
/// while a recorder sat in a bay (the charging log).</summary>
public sealed class DockingStore(CatalogDatabase db)
{
    public async Task UpsertBayAsync(string bayId, string endpoint, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, """
            INSERT INTO bays(bay_id, endpoint, updated_at) VALUES ($id, $endpoint, $now)
            ON CONFLICT(bay_id) DO UPDATE SET endpoint = excluded.endpoint, updated_at = excluded.updated_at;
            """, cancellationToken, ("$id", bayId), ("$endpoint", endpoint), ("$now", db.Now())).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a docking session, or reopens this recorder's last one in this bay when it ended by an error less than
    /// <paramref name="rejoinWithin"/> ago: a recorder whose link keeps dropping is one docking with interruptions, not a row per
    /// reconnect (what it can write is bounded). The interruptions are kept in the row's end reason.
    /// </summary>
    public async Task<long> StartSessionAsync(string bayId, string serial, CancellationToken cancellationToken, TimeSpan? rejoinWithin = null)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (rejoinWithin is { } window)
        {
            var since = (db.Time.GetUtcNow() - window).ToString("O", CultureInfo.InvariantCulture);
            if (await ScalarAsync(c, null, """
                UPDATE docking_sessions SET ended_at = NULL, end_reason = 'rejoined after: ' || substr(end_reason, 1, 300)
                WHERE id = (SELECT id FROM docking_sessions WHERE bay_id = $bay AND recorder_serial = $serial ORDER BY id DESC LIMIT 1)
                  AND ended_at >= $since AND end_reason LIKE 'ended by error%'
                RETURNING id;
                """, cancellationToken, ("$bay", bayId), ("$serial", serial), ("$since", since)).ConfigureAwait(false) is long rejoined)
                return rejoined;
        }
        return (long)(await ScalarAsync(c, null, """
            INSERT INTO docking_sessions(bay_id, recorder_serial, started_at) VALUES ($bay, $serial, $now) RETURNING id;
            """, cancellationToken, ("$bay", bayId), ("$serial", serial), ("$now", db.Now())).ConfigureAwait(false))!;
    }

    public async Task SetClockOffsetAsync(long sessionId, TimeSpan offset, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE docking_sessions SET clock_offset_ms = $offset WHERE id = $id;", cancellationToken,
            ("$offset", (long)offset.TotalMilliseconds), ("$id", sessionId)).ConfigureAwait(false);
    }

    /// <summary>The camera's storage as it reported it when it docked.</summary>
    public async Task SetStorageAsync(long sessionId, ulong total, ulong free, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Stored as reported, clamped into SQLite's integer range (a recorder may claim anything in a u64).
        await ExecAsync(c, null, "UPDATE docking_sessions SET storage_total = $total, storage_free = $free WHERE id = $id;", cancellationToken,
            ("$total", (long)Math.Min(total, long.MaxValue)), ("$free", (long)Math.Min(free, long.MaxValue)), ("$id", sessionId)).ConfigureAwait(false);
    }

    /// <summary>A recorder's storage at its dockings, newest first (at most <paramref name="count"/>).</summary>
    public async Task<IReadOnlyList<(DateTimeOffset At, long Total, long Free)>> StorageHistoryAsync(string serial, int count, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT started_at, storage_total, storage_free FROM docking_sessions
            WHERE recorder_serial = $serial AND storage_total IS NOT NULL ORDER BY id DESC LIMIT $count;
            """, r => (ParseTime(r.GetString(0)), r.GetInt64(1), r.GetInt64(2)), cancellationToken, ("$serial", serial), ("$count", count)).ConfigureAwait(false);
    }

    public async Task EndSessionAsync(long sessionId, string reason, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // The last reason first, then (bounded) what a rejoined docking went through before.
        await ExecAsync(c, null, """
            UPDATE docking_sessions SET ended_at = $now, end_reason = $reason || COALESCE(' (' || substr(end_reason, 1, 300) || ')', '')
            WHERE id = $id AND ended_at IS NULL;
            """,
            cancellationToken, ("$now", db.Now()), ("$reason", reason), ("$id", sessionId)).ConfigureAwait(false);
    }

    /// <summary>Closes sessions a crash left open, so the history never shows a recorder docked forever.</summary>
    public async Task EndOrphanSessionsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await ExecAsync(c, null, "UPDATE docking_sessions SET ended_at = $now, end_reason = 'dock restarted' WHERE ended_at IS NULL;",
            cancellationToken, ("$now", db.Now())).ConfigureAwait(false);
    }

    /// <summary>Records a battery sample, unless this recorder has one younger than <paramref name="minInterval"/> (a recorder
    /// that reconnects every second must not write a sample each time). Returns whether it was written. With it, in one transaction: the
    /// sample's bay and its charge rate since the docking's previous sample, and the docking's charging summary (charge_sessions).</summary>
    public async Task<bool> AddBatterySampleAsync(long sessionId, string serial, Power power, CancellationToken cancellationToken, TimeSpan? minInterval = null)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginAsync(c, cancellationToken).ConfigureAwait(false);
        var now = db.Time.GetUtcNow();
        var since = (now - (minInterval ?? TimeSpan.Zero)).ToString("O", CultureInfo.InvariantCulture);
        if (minInterval is { } m && m > TimeSpan.Zero && await ScalarAsync(c, tx, "SELECT 1 FROM battery_samples WHERE recorder_serial = $serial AND at > $since LIMIT 1;",
                cancellationToken, ("$serial", serial), ("$since", since)).ConfigureAwait(false) is not null)
            return false;
        var previous = await QueryAsync(c, tx, "SELECT at, percent FROM battery_samples WHERE session_id = $session ORDER BY id DESC LIMIT 1;",
            r => (At: ParseTime(r.GetString(0)), Percent: r.GetInt32(1)), cancellationToken, ("$session", sessionId)).ConfigureAwait(false);
        double hours = previous.Count == 1 ? (now - previous[0].At).TotalHours : 0;
        double? rate = previous.Count == 1 && hours > 0 ? (power.Percent - previous[0].Percent) / hours : null;
        var at = now.ToString("O", CultureInfo.InvariantCulture);
        await ExecAsync(c, tx, """
            INSERT INTO battery_samples(session_id, recorder_serial, at, percent, millivolts, charge_state, temperature_dc, cycle_count, health_percent, bay_id, rate_pph)
            VALUES ($session, $serial, $now, $percent, $mv, $state, $temp, $cycles, $health, (SELECT bay_id FROM docking_sessions WHERE id = $session), $rate);
            """, cancellationToken, ("$session", sessionId), ("$serial", serial), ("$now", at), ("$percent", (int)power.Percent),
            ("$mv", (int)power.Millivolts), ("$state", power.State.ToString().ToLowerInvariant()), ("$temp", (int)power.TemperatureDeciC),
            ("$cycles", (int)power.CycleCount), ("$health", (int)power.HealthPercent), ("$rate", rate)).ConfigureAwait(false);
        // The summary: points delivered (rises only; a camera in use while docked may also fall), and the constant-current rate, counted
        // while the charge was below 80 % (above it the charger tapers, whatever the battery's state).
        bool full = power.Percent >= 100 || power.State == ChargeState.Full;
        double delivered = previous.Count == 1 ? Math.Max(0, power.Percent - previous[0].Percent) : 0;
        bool constantCurrent = previous.Count == 1 && previous[0].Percent < 80 && power.State == ChargeState.Charging;
        await ExecAsync(c, tx, """
            INSERT INTO charge_sessions(session_id, recorder_serial, first_at, last_at, start_percent, last_percent, full_at, delivered, cc_points, cc_hours, fault,
                health_percent, cycle_count)
            VALUES ($session, $serial, $now, $now, $percent, $percent, CASE WHEN $full = 1 THEN $now END, 0, 0, 0, $fault, $health, $cycles)
            ON CONFLICT(session_id) DO UPDATE SET last_at = $now, last_percent = $percent, full_at = COALESCE(full_at, CASE WHEN $full = 1 THEN $now END),
                delivered = delivered + $delivered, cc_points = cc_points + $ccPoints, cc_hours = cc_hours + $ccHours, fault = MAX(fault, $fault),
                health_percent = $health, cycle_count = $cycles;
            """, cancellationToken, ("$session", sessionId), ("$serial", serial), ("$now", at), ("$percent", (int)power.Percent), ("$full", full ? 1 : 0),
            ("$fault", power.State == ChargeState.Fault ? 1 : 0), ("$health", (int)power.HealthPercent), ("$cycles", (int)power.CycleCount),
            ("$delivered", delivered), ("$ccPoints", constantCurrent ? delivered : 0), ("$ccHours", constantCurrent ? hours : 0)).ConfigureAwait(false);
        await CommitAsync(tx, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>A recorder's charging summaries, one per docking that sampled its battery, newest first (at most <paramref name="count"/>), with
    /// the docking's bay and end.</summary>
    public async Task<IReadOnlyList<ChargeSessionRecord>> ChargeSessionsAsync(string serial, int count, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT s.session_id, s.recorder_serial, d.bay_id, d.started_at, d.ended_at, s.first_at, s.last_at, s.start_percent, s.last_percent, s.full_at,
                s.delivered, s.cc_points, s.cc_hours, s.fault, s.health_percent, s.cycle_count
            FROM charge_sessions s JOIN docking_sessions d ON d.id = s.session_id
            WHERE s.recorder_serial = $serial ORDER BY s.session_id DESC LIMIT $count;
            """, r => new ChargeSessionRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), ParseTime(r.GetString(3)), r.IsDBNull(4) ? null : ParseTime(r.GetString(4)),
                ParseTime(r.GetString(5)), ParseTime(r.GetString(6)), r.GetInt32(7), r.GetInt32(8), r.IsDBNull(9) ? null : ParseTime(r.GetString(9)),
                r.GetDouble(10), r.GetDouble(11), r.GetDouble(12), r.GetInt64(13) == 1, r.GetInt32(14), r.GetInt32(15)),
            cancellationToken, ("$serial", serial), ("$count", count)).ConfigureAwait(false);
    }

    /// <summary>One docking's battery samples (the charge curve), oldest first, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<(DateTimeOffset At, int Percent, double? Rate)>> ChargeCurveAsync(long sessionId, int count, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT at, percent, rate_pph FROM battery_samples WHERE session_id = $session ORDER BY id LIMIT $count;",
            r => (ParseTime(r.GetString(0)), r.GetInt32(1), r.IsDBNull(2) ? (double?)null : r.GetDouble(2)), cancellationToken, ("$session", sessionId),
            ("$count", count)).ConfigureAwait(false);
    }

    /// <summary>Each known recorder's last docking and last battery sample, read by index (not the whole history).</summary>
    public async Task<IReadOnlyList<LastDockingRecord>> LastDockingsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT r.serial, s.bay_id, s.started_at, s.ended_at, s.end_reason, b.percent, b.health_percent, b.at, s.storage_total, s.storage_free
            FROM recorders r
            LEFT JOIN docking_sessions s ON s.id = (SELECT id FROM docking_sessions WHERE recorder_serial = r.serial ORDER BY id DESC LIMIT 1)
            LEFT JOIN battery_samples b ON b.id = (SELECT id FROM battery_samples WHERE recorder_serial = r.serial ORDER BY at DESC LIMIT 1)
            ORDER BY r.serial;
            """, r => new LastDockingRecord(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : ParseTime(r.GetString(2)),
                r.IsDBNull(3) ? null : ParseTime(r.GetString(3)), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetInt32(5),
                r.IsDBNull(6) ? null : r.GetInt32(6), r.IsDBNull(7) ? null : ParseTime(r.GetString(7)), r.IsDBNull(8) ? null : r.GetInt64(8),
                r.IsDBNull(9) ? null : r.GetInt64(9)), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DockingSessionRecord>> ListSessionsAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, "SELECT id, bay_id, recorder_serial, started_at, ended_at, clock_offset_ms, end_reason FROM docking_sessions ORDER BY id;", reader => new DockingSessionRecord(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), ParseTime(reader.GetString(3)),
                reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<BatterySampleRecord>> ListBatterySamplesAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, """
            SELECT session_id, recorder_serial, at, percent, millivolts, charge_state, temperature_dc, cycle_count, health_percent
            FROM battery_samples ORDER BY id;
            """, reader => new BatterySampleRecord(reader.GetInt64(0), reader.GetString(1), ParseTime(reader.GetString(2)), reader.GetInt32(3),
                reader.GetInt32(4), Enum.Parse<DeviceProtocol.Messages.ChargeState>(reader.GetString(5), ignoreCase: true),
                reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8)),
            cancellationToken).ConfigureAwait(false);
    }
}
