using System.Diagnostics;

namespace Dock.Service.Exports;

/// <summary>
/// Prints an HTML file to PDF with Chromium headless (`--print-to-pdf`): the browser lays the report out as it shows it, fonts and
/// all, and no PDF writer of our own can get CJK text or tables subtly wrong. Chromium is Debian's `chromium` (or <c>Dock:Export:Chromium</c>).
/// </summary>
public static class PdfPrinter
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];

    /// <summary>The browser to print with: the configured one, else the first of Debian's usual names that exists; null when none does.</summary>
    public static string? Find(string? configured) =>
        !string.IsNullOrWhiteSpace(configured) ? (File.Exists(configured) ? configured : null) : Candidates.FirstOrDefault(File.Exists);

    public static async Task PrintAsync(string chromium, string htmlPath, string pdfPath, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("dock-pdf-");
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            // --no-sandbox: the dock may run as root in a container, where Chromium's sandbox cannot start; the page is our own file.
            foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                "--no-pdf-header-footer", "--allow-file-access-from-files", $"--user-data-dir={profile.FullName}", $"--print-to-pdf={pdfPath}",
                new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new ExportException($"{chromium} did not start.");
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                cancellationToken.ThrowIfCancellationRequested();
                throw new ExportException($"{chromium} did not print the report within {timeout.TotalSeconds:0} s.");
            }
            if (process.ExitCode != 0 || !File.Exists(pdfPath) || new FileInfo(pdfPath).Length == 0)
            {
                var said = (await stderr.ConfigureAwait(false)).Split('\n').Where(l => l.Trim().Length > 0).TakeLast(3);
                throw new ExportException($"{chromium} could not print {htmlPath} to PDF (exit {process.ExitCode}): {string.Join(" | ", said)}");
            }
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A browser helper still closing: the temp folder is the system's to clean.
            }
        }
    }
}
