using System.Globalization;
using System.Text;

namespace Dock.Service.Metadata;

/// <summary>
/// What a recording is tagged with (R2): the five required fields — case number (案件编号), capture time (采集时间), capture place
/// (采集地点), collector (采集人) and what it is evidence of (证明对象) — then a category from the configured list, the importance flag
/// (R11: important recordings first) and free notes.
/// </summary>
public enum TagField
{
    CaseNumber,
    CaptureTime,
    CapturePlace,
    Collector,
    Purpose,
    Category,
    Important,
    Notes,
}

/// <summary>Where a value came from: the camera, the dock's own facts, the officer at the kiosk, or a person at the console, API or shell.</summary>
public enum TagSource
{
    Recorder,
    Dock,
    Officer,
    Console,
    Api,
    Cli,
}

/// <summary>A field's value with its provenance. <paramref name="Stored"/> is false for a value the dock derives on reading (capture time,
/// collector, place) that nobody has set; <paramref name="RecorderTime"/> and <paramref name="ClockOffsetMs"/> keep what a derived
/// capture time was corrected from.</summary>
public sealed record TagValue(string Value, TagSource Source, string SetBy, DateTimeOffset SetAt, bool Stored = true, DateTimeOffset? RecorderTime = null,
    long? ClockOffsetMs = null);

/// <summary>A clip's tags: every field that has a value, and the required ones that do not; with what the recorder kept beside the clip
/// (track, markers), when it gave any and the tags were read for one clip.</summary>
public sealed record ClipTags(IReadOnlyDictionary<TagField, TagValue> Values, RecorderData? Recorder = null)
{
    public IReadOnlyList<TagField> Missing => [.. Tags.Required.Where(f => !Values.ContainsKey(f))];

    public string? this[TagField field] => Values.TryGetValue(field, out var value) ? value.Value : null;
}

/// <summary>A tagging request refused, with what to do.</summary>
public sealed class TagException(string message, bool notFound = false, bool forbidden = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
    public bool Forbidden { get; } = forbidden;
}

public static class Tags
{
    /// <summary>The five fields every recording must carry (R2).</summary>
    public static readonly IReadOnlyList<TagField> Required = [TagField.CaseNumber, TagField.CaptureTime, TagField.CapturePlace, TagField.Collector, TagField.Purpose];

    /// <summary>A value's bound in UTF-8 bytes: an old and a new value, the field and the reason fit one custody detail (1,024 bytes).</summary>
    public const int MaxValueBytes = 360;
    public const int MaxReasonBytes = 200;

    /// <summary>The wire name: "case-number", "capture-time", …</summary>
    public static string Name(this TagField field)
    {
        var name = field.ToString();
        var text = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    public static bool TryParse(string name, out TagField field)
    {
        foreach (var candidate in Enum.GetValues<TagField>())
        {
            if (candidate.Name() == name)
            {
                field = candidate;
                return true;
            }
        }
        field = default;
        return false;
    }

    public static string Name(this TagSource source) => source.ToString().ToLowerInvariant();

    public static TagSource ParseSource(string name) => Enum.Parse<TagSource>(name, ignoreCase: true);

    /// <summary>One line of text within <paramref name="maxBytes"/>, or why not.</summary>
    public static string? TextProblem(string value, int maxBytes) =>
        value.Any(char.IsControl) ? "one line of text, without control characters"
        : Encoding.UTF8.GetByteCount(value) > maxBytes ? $"at most {maxBytes} bytes of UTF-8 (about {maxBytes / 3} Chinese characters)"
        : null;

    /// <summary>A capture time as the tags hold it: UTC, to the second, ISO 8601.</summary>
    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
