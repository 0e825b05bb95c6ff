namespace Dock.Service.Catalog;

/// <summary>Server-side paged search over the clips (the HTTP API's <c>GET /api/v1/clips</c>, the console's clip list).</summary>
public sealed partial class ClipCatalog
{
    public const int MaxPageSize = 500;

    public async Task<Paged<ClipRecord>> SearchClipsAsync(ClipFilter filter, int page, int pageSize, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new List<(string, object?)>();
        if (filter.Serial is { } serial) { where.Add("recorder_serial = $serial"); parameters.Add(("$serial", serial)); }
        if (filter.State is { } state) { where.Add("state = $state"); parameters.Add(("$state", state.ToDb())); }
        if (filter.OfficerId is { } officer) { where.Add("officer_id = $officer"); parameters.Add(("$officer", officer)); }
        // Device times are stored as round-trip ISO strings at offset +00:00 (Time), which sort as text.
        if (filter.From is { } from) { where.Add("device_start >= $from"); parameters.Add(("$from", Time(from.ToUnixTimeMilliseconds()))); }
        if (filter.To is { } to) { where.Add("device_start < $to"); parameters.Add(("$to", Time(to.ToUnixTimeMilliseconds()))); }
        var clause = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var total = (long)(await ScalarAsync(c, null, $"SELECT count(*) FROM clips {clause};", cancellationToken, [.. parameters]).ConfigureAwait(false))!;
        var rows = await QueryClipsAsync(c, $"{clause} ORDER BY id DESC LIMIT $limit OFFSET $offset", cancellationToken,
            [.. parameters, ("$limit", pageSize), ("$offset", (long)(page - 1) * pageSize)]).ConfigureAwait(false);
        return new Paged<ClipRecord>(rows, page, pageSize, total);
    }

    public async Task<IReadOnlyDictionary<string, long>> CountClipsByStateAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT state, count(*) FROM clips GROUP BY state;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    /// <summary>Clips waiting for a verified cloud copy, and when the oldest of them was queued.</summary>
    public async Task<(long Queued, DateTimeOffset? OldestQueuedAt)> UploadBacklogAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(c, null, "SELECT count(*), min(queued_at) FROM uploads WHERE state <> 'verified';");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : ParseTime(reader.GetString(1)));
    }
}
