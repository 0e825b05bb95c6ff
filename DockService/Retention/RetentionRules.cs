using Dock.Service.Configuration;

namespace Dock.Service.Retention;

/// <summary>How long the vault keeps a clip once its cloud copy is verified: the retention of its category, the longest of them when it has
/// several, <see cref="RetentionOptions.Uncategorised"/> when it has none. Pure arithmetic, so the rule is tested without a dock.</summary>
public static class RetentionRules
{
    /// <summary>The category ids a category tag holds: one, or several joined by commas ("criminal,traffic").</summary>
    public static IReadOnlyList<string> Categories(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal)];

    /// <summary>How long a clip of these categories stays, and which category decided it (null: uncategorised). A category no longer
    /// configured keeps the longest configured retention: a setting removed must never shorten what evidence was promised.</summary>
    public static (TimeSpan KeptFor, string? DecidedBy) KeptFor(string? categories, MetadataOptions metadata, RetentionOptions retention)
    {
        var ids = Categories(categories);
        if (ids.Count == 0) return (retention.Uncategorised, null);
        var configured = metadata.EffectiveCategories;
        var longestConfigured = configured.Count == 0 ? retention.Uncategorised : configured.Max(c => c.Retention);
        (TimeSpan KeptFor, string? DecidedBy) best = (TimeSpan.Zero, null);
        foreach (var id in ids)
        {
            var keep = configured.FirstOrDefault(c => c.Id == id)?.Retention ?? Max(longestConfigured, retention.Uncategorised);
            if (keep > best.KeptFor) best = (keep, id);
        }
        return best;
    }

    /// <summary>When the vault copy may go: the cloud copy's verification plus the retention (never before it was verified).</summary>
    public static DateTimeOffset Due(DateTimeOffset cloudVerifiedAt, TimeSpan keptFor) =>
        keptFor >= DateTimeOffset.MaxValue - cloudVerifiedAt ? DateTimeOffset.MaxValue : cloudVerifiedAt + keptFor;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
