using System.Text;
using Dock.Service.Cli;
using Dock.Service.Ingest;

namespace Dock.Tools.Demo;

/// <summary>
/// Per-bay progress: redrawn in place on a terminal, or one plain line per change when the output
/// is a file or a pipe (CI logs stay readable).
/// </summary>
public sealed class ProgressDisplay(DockActivity activity, TextWriter output, bool interactive)
{
    private static readonly TimeSpan Refresh = TimeSpan.FromMilliseconds(250);
    private readonly Dictionary<string, string> _lastPlain = new(StringComparer.Ordinal);
    private int _drawnLines;

    /// <summary>Shows progress until <paramref name="done"/> holds (true) or the token fires (false).</summary>
    public async Task<bool> RunUntilAsync(Func<DockActivity, bool> done, CancellationToken cancellationToken)
    {
        var finished = activity.WaitUntilAsync(done, cancellationToken);
        while (true)
        {
            await Task.WhenAny(finished, Task.Delay(Refresh, CancellationToken.None));
            Draw();
            if (finished.IsCompleted)
            {
                try
                {
                    await finished;
                    return true;
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }

    private void Draw()
    {
        var bays = activity.Bays;
        if (interactive)
        {
            var frame = new StringBuilder();
            if (_drawnLines > 0) frame.Append($"\x1b[{_drawnLines}A");
            foreach (var bay in bays) frame.Append("\x1b[2K").Append(Line(bay, bar: true)).Append('\n');
            frame.Append("\x1b[2K").Append($"  pulled {CliOptions.FormatBytes(activity.BytesPulled)}, verified {activity.ClipsVerified}, released {activity.ClipsReleased}\n");
            output.Write(frame.ToString());
            _drawnLines = bays.Count + 1;
        }
        else
        {
            foreach (var bay in bays)
            {
                // Plain mode reports state changes, not byte counts, so logs do not fill with progress.
                var key = $"{bay.Phase}|{bay.Serial}|{bay.ClipsDone}|{bay.ClipsTotal}|{bay.Message}";
                if (_lastPlain.TryGetValue(bay.BayId, out var last) && last == key) continue;
                _lastPlain[bay.BayId] = key;
                output.WriteLine(Line(bay, bar: false));
            }
        }
        output.Flush();
    }

    private static string Line(BaySnapshot bay, bool bar)
    {
        var text = new StringBuilder($"bay {bay.BayId,-3} {bay.Serial ?? "-",-14} {bay.Phase.ToString().ToLowerInvariant(),-12}");
        text.Append($" clips {bay.ClipsDone}/{bay.ClipsTotal}");
        if (bay.BatteryPercent is { } battery) text.Append($"  battery {battery,3}%");
        if (bar && bay.Phase == BayPhase.Transferring && bay.ClipSize > 0)
        {
            int filled = (int)(20 * bay.ClipBytes / bay.ClipSize);
            text.Append($"  [{new string('#', filled)}{new string('.', 20 - filled)}] {bay.ClipId}");
        }
        if (bay.Message is { } message) text.Append($"  ({message})");
        return text.ToString();
    }
}
