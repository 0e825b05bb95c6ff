namespace Dock.Service.Catalog;

public sealed partial class ClipCatalog
{
    public async Task<IReadOnlyList<RecorderRecord>> ListRecordersAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(c, null,
            "SELECT serial, model, firmware, officer_id, key_fingerprint, first_seen, last_seen FROM recorders ORDER BY serial;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<RecorderRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add(new RecorderRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), ParseTime(reader.GetString(5)), ParseTime(reader.GetString(6))));
        return rows;
    }

    public async Task<IReadOnlyList<DockingSessionRecord>> ListSessionsAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(c, null,
            "SELECT id, bay_id, recorder_serial, started_at, ended_at, clock_offset_ms, end_reason FROM docking_sessions ORDER BY id;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<DockingSessionRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add(new DockingSessionRecord(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), ParseTime(reader.GetString(3)),
                reader.IsDBNull(4) ? null : ParseTime(reader.GetString(4)), reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        return rows;
    }

    public async Task<IReadOnlyList<BatterySampleRecord>> ListBatterySamplesAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(c, null, """
            SELECT session_id, recorder_serial, at, percent, millivolts, charge_state, temperature_dc, cycle_count, health_percent
            FROM battery_samples ORDER BY id;
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<BatterySampleRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            rows.Add(new BatterySampleRecord(reader.GetInt64(0), reader.GetString(1), ParseTime(reader.GetString(2)), reader.GetInt32(3),
                reader.GetInt32(4), Enum.Parse<DeviceProtocol.Messages.ChargeState>(reader.GetString(5), ignoreCase: true),
                reader.GetInt32(6), reader.GetInt32(7), reader.GetInt32(8)));
        return rows;
    }
}
