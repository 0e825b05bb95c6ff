using Dock.Service.Web;
using Microsoft.AspNetCore.Http;

namespace Dock.Service.Tests;

public sealed class WebTextTests
{
    [Fact]
    public void EveryString_ExistsInEveryLanguage_AndIsNotEmpty()
    {
        var text = WebText.Instance;
        var english = text.All(WebText.English);
        Assert.NotEmpty(english);
        foreach (var language in WebText.Languages)
        {
            var strings = text.All(language);
            Assert.True(strings.Keys.Order().SequenceEqual(english.Keys.Order()),
                $"{language} differs from en: only in {language}: {string.Join(", ", strings.Keys.Except(english.Keys))}; " +
                $"only in en: {string.Join(", ", english.Keys.Except(strings.Keys))}");
            Assert.All(strings, s => Assert.False(string.IsNullOrWhiteSpace(s.Value), $"{language}: {s.Key} is empty"));
        }
        // One resource file per language, and nothing else under Strings.
        Assert.Equal(WebText.Languages.Count, WebText.ResourceNames(typeof(WebText).Assembly).Count());
    }

    [Theory]
    [InlineData("zh-CN", null, null, "zh-CN")]
    [InlineData("zh-TW,zh;q=0.9,en;q=0.8", null, null, "zh-CN")]
    [InlineData("fr-FR, en;q=0.5, zh;q=0.6", null, null, "zh-CN")]
    [InlineData("fr-FR, de", null, null, "en")]
    [InlineData("", null, null, "en")]
    [InlineData("zh-CN;q=0, en-GB", null, null, "en")]
    [InlineData("zh-CN", "en", null, "en")]
    [InlineData("en-US", null, "zh-CN", "zh-CN")]
    [InlineData("en-US", "xx", "zh-CN", "zh-CN")]
    public void Choose_QueryThenCookieThenAcceptLanguageByQ_ThenEnglish(string acceptLanguage, string? query, string? cookie, string expected)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.AcceptLanguage = acceptLanguage;
        if (query is not null) context.Request.QueryString = new QueryString($"?lang={query}");
        if (cookie is not null) context.Request.Headers.Cookie = $"{WebText.LanguageCookie}={cookie}";

        Assert.Equal(expected, WebText.Choose(context.Request));
    }

    [Fact]
    public void Get_FormatsArguments_AndFallsBackToTheKey()
    {
        Assert.Equal("Bay 3", WebText.Instance.Get(WebText.English, "bay", "3"));
        Assert.Equal("3 号仓", WebText.Instance.Get(WebText.Chinese, "bay", "3"));
        Assert.Equal("no.such.key", WebText.Instance.Get(WebText.Chinese, "no.such.key"));
    }
}
