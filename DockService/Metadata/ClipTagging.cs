using System.Globalization;
using Dock.Crypto.Custody;
using Dock.DeviceProtocol.Messages;
using Dock.Service.Catalog;
using Dock.Service.Configuration;
using Dock.Service.Custody;

namespace Dock.Service.Metadata;

/// <summary>
/// The one owner of a clip's tags (R2). Reading gives every field with its source: what someone set, else what the dock derives from
/// its own facts — the capture time from the recording start corrected by the clock offset found at docking (both kept), the collector
/// from the officer the camera is issued to, the place from the dock's configured location. Each change is a <c>metadata-changed</c>
/// custody entry (who, field, old and new value, source, reason), committed in one transaction with its row: the log and the
/// tags never disagree. The kiosk, console, API and CLI all tag through here; each change raises the tags' version, and the
/// uploader then writes the signed sidecar of that version beside the clip's manifest in the cloud (<see cref="MetadataSidecar"/>).
/// </summary>
public sealed class ClipTagging(ClipStore clips, TagStore store, CustodyLog log, MetadataOptions options, TagChanges? changed = null)
{
    /// <summary>At most this many clips in one kiosk "apply to all" (the officer's footage of one docking fits many times over).</summary>
    public const int MaxClipsAtOnce = 100;

    public IReadOnlyList<CategoryOptions> Categories => options.EffectiveCategories;

    public async Task<ClipRecord> FindAsync(string serial, string clipId, CancellationToken cancellationToken) =>
        (Identifier.IsValid(serial) && clipId.Length <= 80 ? await clips.FindClipAsync(serial, clipId, cancellationToken).ConfigureAwait(false) : null)
        ?? throw new TagException($"The catalog holds no clip {clipId} of recorder {serial}.", notFound: true);

    public async Task<ClipTags> ReadAsync(ClipRecord clip, CancellationToken cancellationToken) =>
        new(await WithDerivedAsync(clip, await store.ReadAsync(clip.Id, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false),
            await store.ReadRecorderDataAsync(clip.Id, cancellationToken).ConfigureAwait(false) is { Problem: null } recorder ? recorder : null);

    /// <summary>The tags of several clips (a list page); derived values included.</summary>
    public async Task<IReadOnlyDictionary<long, ClipTags>> ReadManyAsync(IReadOnlyList<ClipRecord> list, CancellationToken cancellationToken)
    {
        var stored = await store.ReadManyAsync([.. list.Select(c => c.Id)], cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<long, ClipTags>();
        foreach (var clip in list)
            result[clip.Id] = new(await WithDerivedAsync(clip, stored.GetValueOrDefault(clip.Id) ?? [], cancellationToken).ConfigureAwait(false));
        return result;
    }

    /// <summary>
    /// Sets the given fields (an empty value removes what was set; a derived value then shows again). Fields whose value does not
    /// change are left alone and leave no entry. Returns the clip's tags after the change.
    /// </summary>
    public async Task<ClipTags> TagAsync(string actor, TagSource source, ClipRecord clip, IReadOnlyDictionary<TagField, string?> changes, string? reason,
        CancellationToken cancellationToken)
    {
        reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (reason is not null && Tags.TextProblem(reason, Tags.MaxReasonBytes) is { } bad) throw new TagException($"The reason: {bad}.");
        var normalised = new Dictionary<TagField, string?>();
        foreach (var (field, raw) in changes) normalised[field] = Normalise(field, raw);
        var stored = await store.ReadAsync(clip.Id, cancellationToken).ConfigureAwait(false);
        var current = await WithDerivedAsync(clip, stored, cancellationToken).ConfigureAwait(false);
        var makes = new List<Func<long, DateTimeOffset, CustodyEvent>>();
        var alongside = new List<CustodyLog.CatalogChange?>();
        foreach (var (field, value) in normalised)
        {
            var old = current.TryGetValue(field, out var was) ? was.Value : null;
            // Unchanged, or clearing what nobody set (a derived value is not a setting): nothing to record.
            if (value is null ? !stored.ContainsKey(field) : old == value) continue;
            var detail = $"{field.Name()}: \"{old ?? ""}\" -> \"{value ?? ""}\" ({source.Name()}){(reason is null ? "" : $"; {reason}")}";
            makes.Add((index, at) => new CustodyEvent(index, CustodyEventKind.MetadataChanged, at, log.DockId, actor, clip.RecorderSerial, clip.ClipId,
                Detail: detail));
            var storedOld = stored.TryGetValue(field, out var set) ? set.Value : null;
            alongside.Add((c, tx, entry) => TagStore.SetAsync(c, tx, clip.Id, field, value is null ? null : new TagValue(value, source, actor, entry.At),
                cancellationToken, new Optional<string?>(storedOld)));
        }
        if (makes.Count > 0)
        {
            try
            {
                await log.AppendAllAsync(makes, cancellationToken, alongside).ConfigureAwait(false);
            }
            catch (TagConflictException ex)
            {
                changed?.Signal(); // the other fields of this change may have gone in
                throw new TagException(ex.Message);
            }
            changed?.Signal(); // the cloud sidecar follows (Upload/)
        }
        return await ReadAsync(clip, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The value as stored (trimmed; null for empty), or a <see cref="TagException"/> saying what a valid one is.</summary>
    public string? Normalise(TagField field, string? raw)
    {
        var value = string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
        if (value is null) return null;
        if (Tags.TextProblem(value, Tags.MaxValueBytes) is { } problem) throw new TagException($"{field.Name()}: {problem}.");
        switch (field)
        {
            case TagField.Category:
                // One or several (a clip may be evidence in a traffic matter and a complaint: it keeps the longest retention of them).
                var ids = Retention.RetentionRules.Categories(value);
                if (ids.FirstOrDefault(id => !Categories.Any(c => c.Id == id)) is { } unknown)
                    throw new TagException($"category: '{unknown}' is not a configured category ({string.Join(", ", Categories.Select(c => c.Id))}).");
                return ids.Count == 0 ? null : string.Join(',', Categories.Where(c => ids.Contains(c.Id)).Select(c => c.Id));
            case TagField.Important:
                return bool.TryParse(value, out var important) ? (important ? "true" : "false")
                    : throw new TagException("important: true or false.");
            case TagField.CaptureTime:
                return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    ? Tags.Time(at) : throw new TagException("capture-time: a date and time, e.g. 2026-12-03T08:15:00Z.");
            case TagField.Collector:
                return Identifier.IsValid(value) ? value : throw new TagException($"collector: a badge number ({Identifier.Rule}).");
            default:
                return value;
        }
    }

    /// <summary>The stored values, and for the fields nobody set what the dock knows itself.</summary>
    private async Task<Dictionary<TagField, TagValue>> WithDerivedAsync(ClipRecord clip, IReadOnlyDictionary<TagField, TagValue> stored,
        CancellationToken cancellationToken)
    {
        var values = new Dictionary<TagField, TagValue>(stored);
        if (!values.ContainsKey(TagField.CaptureTime) && clip.CustodyIndex is { } index)
        {
            // The stored entry carries the clock offset found at docking (recorder − dock): the dock's time of the start is the camera's minus it.
            var entry = await log.ReadEntryAsync(index, cancellationToken).ConfigureAwait(false);
            var offset = TimeSpan.FromMilliseconds(entry.ClockOffsetMs ?? 0);
            values[TagField.CaptureTime] = new TagValue(Tags.Time(clip.DeviceStart - offset), TagSource.Dock, log.DockId, entry.At, Stored: false,
                RecorderTime: clip.DeviceStart, ClockOffsetMs: entry.ClockOffsetMs ?? 0);
        }
        if (!values.ContainsKey(TagField.Collector) && Identifier.IsValid(clip.OfficerId))
            values[TagField.Collector] = new TagValue(clip.OfficerId, TagSource.Dock, log.DockId, clip.UpdatedAt, Stored: false);
        if (!values.ContainsKey(TagField.CapturePlace) && options.Location.Length > 0)
            values[TagField.CapturePlace] = new TagValue(options.Location, TagSource.Dock, log.DockId, clip.UpdatedAt, Stored: false);
        return values;
    }
}
