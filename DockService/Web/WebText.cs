using System.Collections.Frozen;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Web;

/// <summary>
/// Every string the web face shows, from one resource file per language (Web/Strings/*.json, embedded), and the choice of
/// language for a request: <c>?lang=</c>, then the <c>dock-lang</c> cookie it sets, then Accept-Language (by q), then English.
/// </summary>
public sealed class WebText
{
    public const string English = "en";
    public const string Chinese = "zh-CN";
    public const string LanguageCookie = "dock-lang";

    public static IReadOnlyList<string> Languages { get; } = [English, Chinese];

    private static readonly Lazy<WebText> Shared = new(() => new WebText(Languages.ToFrozenDictionary(l => l, Load, StringComparer.Ordinal)));

    private readonly FrozenDictionary<string, FrozenDictionary<string, string>> _strings;

    private WebText(FrozenDictionary<string, FrozenDictionary<string, string>> strings) => _strings = strings;

    public static WebText Instance => Shared.Value;

    /// <summary>All strings of <paramref name="language"/> (for the page's script).</summary>
    public IReadOnlyDictionary<string, string> All(string language) => _strings[language];

    public bool Has(string language, string key) => _strings[language].ContainsKey(key);

    public string Get(string language, string key, params object[] args)
    {
        var text = _strings[language].TryGetValue(key, out var found) ? found : _strings[English].GetValueOrDefault(key, key);
        return args.Length == 0 ? text : string.Format(CultureInfo.InvariantCulture, text, args);
    }

    /// <summary>Keeps a choice of language for this browser's next pages (null: forget it, follow Accept-Language).</summary>
    public static void Remember(HttpResponse response, string? language)
    {
        if (language is null) response.Cookies.Delete(LanguageCookie);
        else response.Cookies.Append(LanguageCookie, language,
            new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, MaxAge = TimeSpan.FromDays(365), IsEssential = true });
    }

    /// <summary>The language for a page; an explicit choice (<c>?lang=</c>) is kept for this browser's next pages.</summary>
    public static string ForPage(HttpContext context)
    {
        var language = Choose(context.Request);
        if (context.Request.Query.ContainsKey("lang")) Remember(context.Response, language);
        return language;
    }

    /// <summary>The language for this request.</summary>
    public static string Choose(HttpRequest request)
    {
        if (Match(request.Query["lang"].ToString()) is { } asked) return asked;
        if (request.Cookies.TryGetValue(LanguageCookie, out var kept) && Match(kept) is { } cookie) return cookie;
        var ranked = request.Headers.AcceptLanguage.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select((part, order) =>
            {
                var pieces = part.Split(';', StringSplitOptions.TrimEntries);
                double q = 1;
                foreach (var p in pieces.Skip(1))
                    if (p.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                        && double.TryParse(p[2..], NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) q = parsed;
                return (Tag: pieces[0], Q: q, Order: order);
            })
            .Where(x => x.Q > 0).OrderByDescending(x => x.Q).ThenBy(x => x.Order);
        foreach (var (tag, _, _) in ranked)
            if (Match(tag) is { } language) return language;
        return English;
    }

    /// <summary>zh, zh-CN, zh-Hans… → zh-CN; en, en-GB… → en; anything else → none.</summary>
    private static string? Match(string? tag) =>
        string.IsNullOrEmpty(tag) ? null
        : tag.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? Chinese
        : tag.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? English
        : null;

    private static FrozenDictionary<string, string> Load(string language)
    {
        using var stream = typeof(WebText).Assembly.GetManifestResourceStream($"Dock.Service.Web.Strings.{language}.json")
            ?? throw new InvalidOperationException($"The web strings for {language} are not embedded.");
        return JsonSerializer.Deserialize<Dictionary<string, string>>(stream)!.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The embedded resource names of the string files (the test that every key exists in every language reads them).</summary>
    public static IEnumerable<string> ResourceNames(Assembly assembly) =>
        assembly.GetManifestResourceNames().Where(n => n.StartsWith("Dock.Service.Web.Strings.", StringComparison.Ordinal));
}
