using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dock.EndToEnd.Tests.Support;
using Dock.Service.Users;
using Dock.Simulator.Hosting;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Dock.EndToEnd.Tests.Retrieval;

/// <summary>Supervised playback in Chromium (R5): a supervisor states a reason, the browser plays the vault copy through HTTP ranges and seeks
/// to the middle without fetching the whole clip, the overlay names the viewer, and the viewing session is recorded with its reason when it
/// opens and with the byte ranges served when it closes.</summary>
public sealed class PlaybackTests(ITestOutputHelper output)
{
    private const string Password = "correct horse battery";

    [Fact]
    public async Task Playback_SeeksToTheMiddleThroughRanges_UnderTheOverlay_AndTheViewIsRecordedWithItsReasonAndRanges()
    {
        await using var harness = DockHarness.Create();
        // A real, playable recording: 90 s of 48 kHz stereo PCM in a WAV file (17 MB), which Chromium plays and seeks without any codec.
        var clipsFolder = Directory.CreateDirectory(Path.Combine(harness.DataDirectory, "camera-files")).FullName;
        var wav = Path.Combine(clipsFolder, "evidence.wav");
        await File.WriteAllBytesAsync(wav, Wave(seconds: 90));
        var fleet = await harness.StartFleetAsync(new FleetOptions { Recorders = 1, ClipFolder = clipsFolder });
        var serial = fleet.Endpoints[0].Recorder.Serial;
        var accounts = new UserAccounts(new UserStore((await harness.CatalogAsync()).Database), null, TimeProvider.System);
        await accounts.AddAsync("test", "sam", Password, [Roles.Supervisor], null, CancellationToken.None);
        var (host, activity) = await harness.StartDockAsync(("Dock:ReleasePolicy", "Never"), ("Dock:Cloud:Target", "none"),
            ("Dock:Retrieval:ViewIdle", "00:00:03"));
        await using var browser = await Browser.LaunchAsync();
        using (host)
        {
            await activity.WaitUntilAsync(a => a.ClipsVerified == 1, CancellationToken.None).WaitAsync(DockHarness.Limit);
            var address = DockHarness.HttpAddress(host);
            var clip = (await (await harness.CatalogAsync()).Clips.ListClipsAsync(serial, CancellationToken.None)).Single();

            await using var context = await browser.ContextAsync("zh-CN", 1100, 900);
            var page = await context.NewPageAsync();
            await page.GotoAsync(address + $"/clips/{serial}/{Uri.EscapeDataString(clip.ClipId)}");
            await page.Locator("#name").FillAsync("sam");
            await page.Locator("#password").FillAsync(Password);
            await page.Locator("#login button[type='submit']").ClickAsync();
            await page.Locator("#retrieve-form").WaitForAsync();
            await page.Locator("#retrieve-purpose").SelectOptionAsync("case-handling");
            await page.Locator("#retrieve-case").FillAsync("XC-2026-0917");
            await Browser.AssertAccessibleAsync(page);
            var clock = Stopwatch.StartNew();
            await page.Locator("#retrieve-form button[data-kind='view']").ClickAsync();
            await page.WaitForURLAsync("**/play?retrieval=*");
            // First frame: the player has data for the current position (HAVE_CURRENT_DATA).
            await page.WaitForFunctionAsync("() => document.getElementById('player').readyState >= 2");
            var firstFrame = clock.Elapsed;
            var duration = await page.EvalOnSelectorAsync<double>("#player", "v => v.duration");
            Assert.InRange(duration, 89.5, 90.5);
            clock.Restart();
            await page.EvalOnSelectorAsync("#player", "v => new Promise(done => { v.addEventListener('seeked', done, { once: true }); v.currentTime = v.duration / 2; })");
            await page.WaitForFunctionAsync("() => document.getElementById('player').readyState >= 2");
            var seek = clock.Elapsed;
            Assert.InRange(await page.EvalOnSelectorAsync<double>("#player", "v => v.currentTime"), 44.5, 45.5);
            output.WriteLine($"time to first frame {firstFrame.TotalMilliseconds:0} ms (click to HAVE_CURRENT_DATA), seek to the middle {seek.TotalMilliseconds:0} ms");
            // The overlay names the viewer and the time, and takes no clicks.
            var overlay = await page.Locator("#overlay").TextContentAsync();
            Assert.Contains("sam · ", overlay, StringComparison.Ordinal);
            Assert.Contains(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), overlay, StringComparison.Ordinal);
            Assert.Equal("none", await page.EvalOnSelectorAsync<string>("#overlay", "o => getComputedStyle(o).pointerEvents"));
            await Browser.AssertAccessibleAsync(page);
            await page.ScreenshotAsync(new() { Path = Path.Combine(Browser.ScreenshotFolder, "console-player-zh-CN.png") });

            // The record: a viewed entry with the reason when the session opened; ranges in the audit, the middle among them, not the whole file.
            using var api = await SensitivityTests.SignInAsync(address, "sam");
            var entries = (await api.GetFromJsonAsync<JsonElement>("/api/v1/custody/entries?from=0&count=1000")).EnumerateArray()
                .Select(e => e.GetProperty("text").GetString()!).ToList();
            Assert.Contains(entries, e => e.Contains("event: viewed", StringComparison.Ordinal) && e.Contains("actor: sam@api", StringComparison.Ordinal)
                && e.Contains("viewing session opened by sam: case-handling: case XC-2026-0917", StringComparison.Ordinal));
            var view = (await api.GetFromJsonAsync<JsonElement>("/api/v1/audit")).EnumerateArray().Single(r => r.GetProperty("kind").GetString() == "view");
            var ranges = view.GetProperty("ranges").GetString()!.Split(',').Select(r => r.Split('-').Select(long.Parse).ToArray()).ToList();
            output.WriteLine($"ranges served: {view.GetProperty("ranges").GetString()} ({view.GetProperty("bytes").GetInt64()} of {clip.Size} bytes)");
            Assert.Contains(ranges, r => r[0] <= clip.Size / 2 && r[1] >= clip.Size / 2);
            Assert.True(view.GetProperty("bytes").GetInt64() < clip.Size, "the whole clip was fetched to seek");

            // Idle for Dock:Retrieval:ViewIdle (3 s): the session closes with a second viewed entry listing the ranges.
            await page.CloseAsync();
            var limit = Stopwatch.StartNew();
            JsonElement closed;
            while ((closed = (await api.GetFromJsonAsync<JsonElement>("/api/v1/audit")).EnumerateArray().Single(r => r.GetProperty("kind").GetString() == "view"))
                   .GetProperty("closedEntry").ValueKind == JsonValueKind.Null)
            {
                Assert.True(limit.Elapsed < DockHarness.Limit, "the viewing session never closed");
                await Task.Delay(200);
            }
            var closing = (await api.GetFromJsonAsync<JsonElement>($"/api/v1/custody/entries?from={closed.GetProperty("closedEntry").GetInt64()}&count=1"))
                .EnumerateArray().Single().GetProperty("text").GetString()!;
            Assert.Contains("event: viewed", closing, StringComparison.Ordinal);
            Assert.Contains($"served bytes {closed.GetProperty("ranges").GetString()}", closing, StringComparison.Ordinal);

            // The console's Retrievals page lists the view, with its reason and the bytes served.
            page = await context.NewPageAsync();
            await page.GotoAsync(address + "/audit?lang=en");
            var row = page.Locator("table.audit tr[data-kind='view']");
            Assert.Equal(1, await row.CountAsync());
            Assert.Contains("case-handling: case XC-2026-0917", await row.TextContentAsync(), StringComparison.Ordinal);
            Assert.Contains(closed.GetProperty("ranges").GetString()!, await row.TextContentAsync(), StringComparison.Ordinal);
            await Browser.AssertAccessibleAsync(page);
            await page.CloseAsync();

            // The supervisor marks the clip personal privacy on its page; from then on the page opens only after a stated reason.
            page = await context.NewPageAsync();
            await page.GotoAsync(address + $"/clips/{serial}/{Uri.EscapeDataString(clip.ClipId)}?lang=en");
            await page.Locator("#level").SelectOptionAsync("personal-privacy");
            await page.Locator("#level-reason").FillAsync("a bystander's face");
            await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Save level" }).ClickAsync();
            await page.Locator("#reason-gate").WaitForAsync();
            Assert.Equal("personal-privacy", await page.Locator("[data-level]").First.GetAttributeAsync("data-level"));
            Assert.Equal(0, await page.Locator("#retrieve-form").CountAsync()); // nothing of the clip before the reason
            await Browser.AssertAccessibleAsync(page);
            await page.Locator("#gate-purpose").SelectOptionAsync("supervision");
            await page.Locator("#gate-text").FillAsync("review of the stop");
            await page.Locator("#reason-gate button[type='submit']").ClickAsync();
            await page.WaitForURLAsync("**?retrieval=*");
            Assert.Equal("personal-privacy", await page.Locator("[data-field='sensitivity']").GetAttributeAsync("data-level"));
            entries = (await api.GetFromJsonAsync<JsonElement>("/api/v1/custody/entries?from=0&count=1000")).EnumerateArray()
                .Select(e => e.GetProperty("text").GetString()!).ToList();
            Assert.Contains(entries, e => e.Contains("event: sensitivity-changed", StringComparison.Ordinal)
                && e.Contains("level none -> personal-privacy; a bystander's face", StringComparison.Ordinal));
            Assert.Contains(entries, e => e.Contains("metadata of a personal-privacy clip read by sam: supervision: review of the stop", StringComparison.Ordinal));
            await host.StopAsync();
        }
    }

    /// <summary>A WAV file: PCM 16-bit stereo at 48 kHz, a quiet tone that changes pitch each second (so a seek lands on different samples).</summary>
    private static byte[] Wave(int seconds)
    {
        const int rate = 48_000, channels = 2, bytesPerSample = 2;
        int dataBytes = seconds * rate * channels * bytesPerSample;
        var wav = new byte[44 + dataBytes];
        var header = new BinaryWriter(new MemoryStream(wav));
        header.Write(Encoding.ASCII.GetBytes("RIFF"));
        header.Write(36 + dataBytes);
        header.Write(Encoding.ASCII.GetBytes("WAVEfmt "));
        header.Write(16);
        header.Write((short)1);
        header.Write((short)channels);
        header.Write(rate);
        header.Write(rate * channels * bytesPerSample);
        header.Write((short)(channels * bytesPerSample));
        header.Write((short)(8 * bytesPerSample));
        header.Write(Encoding.ASCII.GetBytes("data"));
        header.Write(dataBytes);
        for (int i = 0, at = 44; i < seconds * rate; i++)
        {
            var sample = (short)(3000 * Math.Sin(2 * Math.PI * (220 + 20 * (i / rate)) * i / rate));
            for (int c = 0; c < channels; c++)
            {
                wav[at++] = (byte)sample;
                wav[at++] = (byte)(sample >> 8);
            }
        }
        return wav;
    }
}
