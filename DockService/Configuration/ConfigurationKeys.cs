using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Dock.Service.Configuration;

/// <summary>
/// Every key under "Dock" (appsettings.json, Dock__X environment variables, --Dock:X arguments) must name a setting: the
/// binder ignores a misspelt one, so "Dock:MaxConcurentPulls=8" would quietly leave the default. An unknown key is a
/// start-up error naming the nearest valid key.
/// </summary>
public sealed class ConfigurationKeysValidator(IConfiguration configuration) : IValidateOptions<DockOptions>
{
    public ValidateOptionsResult Validate(string? name, DockOptions options)
    {
        var errors = Unknown(configuration.GetSection(DockOptions.Section), DockOptions.Section, typeof(DockOptions));
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Unknown(IConfigurationSection section, string path, Type type)
    {
        var errors = new List<string>();
        Walk(section, path, type, errors);
        return errors;
    }

    private static void Walk(IConfigurationSection node, string path, Type type, List<string> errors)
    {
        foreach (var child in node.GetChildren())
        {
            var key = child.Key;
            var childPath = $"{path}:{key}";
            if (ElementOf(type) is { } element)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    errors.Add($"{childPath} is not a setting: {path} is a list, numbered from 0 ({path}:0, {path}:1, …).");
                else Walk(child, childPath, element, errors);
                continue;
            }
            if (ValueOfMap(type) is { } value)
            {
                // A map's keys are its own (Dock:Retrieval:Roles:state-secret): DockOptionsValidator judges them; what is under each is a setting.
                Walk(child, childPath, value, errors);
                continue;
            }
            if (IsValue(type))
            {
                errors.Add($"{childPath} is not a setting: {path} takes a value, not settings under it.");
                continue;
            }
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var nearest = properties.Select(p => (p.Name, Distance: Distance(p.Name.ToUpperInvariant(), key.ToUpperInvariant())))
                    .OrderBy(p => p.Distance).FirstOrDefault();
                errors.Add(nearest.Name is not null && nearest.Distance <= Math.Max(2, key.Length / 3)
                    ? $"{childPath} is not a setting; did you mean {path}:{nearest.Name}?"
                    : $"{childPath} is not a setting; the settings under {path} are {string.Join(", ", properties.Select(p => p.Name))}.");
                continue;
            }
            Walk(child, childPath, property.PropertyType, errors);
        }
    }

    private static Type? ElementOf(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    private static Type? ValueOfMap(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && type.GetGenericArguments()[0] == typeof(string)
            ? type.GetGenericArguments()[1] : null;

    /// <summary>A type the binder reads from one string: numbers, text, enums, times, sizes.</summary>
    private static bool IsValue(Type type) => TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(type) ?? type).CanConvertFrom(typeof(string));

    /// <summary>Levenshtein distance: how many single-letter edits turn one key into the other.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
