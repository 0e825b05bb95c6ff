using Microsoft.Playwright;

namespace Dock.EndToEnd.Tests.Support;

/// <summary>
/// A real Chromium for the web tests: Debian's package (./test.sh installs it), driven by Playwright through its executable path,
/// headless. Playwright's own browser download is never used (it cannot be reached here, and CI must test what we ship against).
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        Playwright = playwright;
        Instance = browser;
    }

    public IPlaywright Playwright { get; }

    public IBrowser Instance { get; }

    /// <summary>Where tests leave screenshots for people to look at (the README shows them).</summary>
    public static string ScreenshotFolder => Directory.CreateDirectory(Path.Combine(DockHarness.RepositoryRoot(), ".artifacts", "screenshots")).FullName;

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(Chromium)) throw new InvalidOperationException($"{Chromium} is not installed: ./test.sh installs the Debian package `chromium`");
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        try
        {
            // No sandbox: the test user may be root in a container, where Chromium's sandbox cannot start.
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
            return new Browser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A fresh browser context (its own cookies) in <paramref name="locale"/>, which also sets Accept-Language.</summary>
    public Task<IBrowserContext> ContextAsync(string locale = "en-US", int width = 1024, int height = 600) =>
        Instance.NewContextAsync(new BrowserNewContextOptions { Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height } });

    /// <summary>The page's first contentful paint, in ms after navigation started (Paint Timing API).</summary>
    public static async Task<double> FirstPaintAsync(IPage page) =>
        await (await page.WaitForFunctionAsync("() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime")).JsonValueAsync<double>();

    /// <summary>The page's weight: the document and every resource it loaded, as decoded bytes (Resource Timing), and how many requests.</summary>
    public static async Task<(long Bytes, int Requests)> WeightAsync(IPage page)
    {
        var sizes = await page.EvaluateAsync<double[]>(
            "() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map(e => e.decodedBodySize)");
        return ((long)sizes.Sum(), sizes.Length);
    }

    /// <summary>axe-core in the page: fails on any serious or critical violation, naming the rule and the elements.</summary>
    public static async Task AssertAccessibleAsync(IPage page)
    {
        var result = await Deque.AxeCore.Playwright.PageExtensions.RunAxe(page);
        Assert.NotEmpty(result.Passes); // axe ran its rules on this page
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))}")));
    }

    public async ValueTask DisposeAsync()
    {
        await Instance.DisposeAsync();
        Playwright.Dispose();
    }
}
