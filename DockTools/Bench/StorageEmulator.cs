using Dock.Service.Cli;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Dock.Tools.Bench;

/// <summary>
/// A real storage emulator from npm (tests/emulators, installed by test.sh): s3rver for S3, Azurite for
/// Azure Blob, on 127.0.0.1 at a free port with its own temporary folder. It can be killed and started
/// again on the same port and folder, as a store that crashes would be. Used by the cloud tests and by
/// `dock bench upload`; never by the dock itself.
/// </summary>
public sealed partial class StorageEmulator : IAsyncDisposable
{
    public const string AzuriteAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string _tool;
    private readonly Func<int, string[]> _arguments;
    private Process? _process;

    private StorageEmulator(string tool, string dataDirectory, Func<int, string[]> arguments)
    {
        _tool = tool;
        DataDirectory = dataDirectory;
        _arguments = arguments;
    }

    public string DataDirectory { get; }
    public int Port { get; private set; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The connection string Azurite's well-known development account answers to.</summary>
    public string AzureConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteAccountKey};BlobEndpoint={Endpoint}/devstoreaccount1;";

    public static Task<StorageEmulator> StartS3Async(params string[] buckets)
    {
        var dir = Directory.CreateTempSubdirectory("dock-s3rver-").FullName;
        var emulator = new StorageEmulator(Tool("s3rver"), dir, port =>
            ["--directory", dir, "--address", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                .. buckets.SelectMany(b => new[] { "--configure-bucket", b })]);
        return emulator.StartAsync(0);
    }

    public static Task<StorageEmulator> StartAzuriteAsync()
    {
        var dir = Directory.CreateTempSubdirectory("dock-azurite-").FullName;
        var emulator = new StorageEmulator(Tool("azurite-blob"), dir, port =>
            ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", dir,
                "--skipApiVersionCheck", "--disableTelemetry", "--loose"]);
        return emulator.StartAsync(0);
    }

    private async Task<StorageEmulator> StartAsync(int port)
    {
        var info = new ProcessStartInfo(_tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in _arguments(port)) info.ArgumentList.Add(argument);
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {_tool}");
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        void OnLine(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (ListeningLine().Match(e.Data) is { Success: true } m) listening.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
        _process.OutputDataReceived += OnLine;
        _process.ErrorDataReceived += OnLine;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != listening.Task)
        {
            string text;
            lock (output) text = output.ToString();
            throw new InvalidOperationException($"{Path.GetFileName(_tool)} did not start listening: {text}");
        }
        Port = await listening.Task;
        return this;
    }

    [GeneratedRegex(@"listen(?:ing|s) on (?:http://)?127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    /// <summary>SIGKILL: the store vanishes mid-request, as in a crash or power cut.</summary>
    public async Task KillAsync()
    {
        if (_process is null) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts it again on the same port and folder (what it stored is still there).</summary>
    public async Task RestartAsync()
    {
        int port = Port;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await StartAsync(port);
                return;
            }
            catch (InvalidOperationException) when (attempt < 10)
            {
                await Task.Delay(300); // The port may still be held for a moment.
            }
        }
    }

    private static string Tool(string name)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "emulators", "node_modules", ".bin", name);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new InvalidOperationException($"The {name} emulator is not installed: run ./test.sh (it runs `npm ci` in tests/emulators).");
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
