using System.Globalization;

namespace Dock.Service.Upload;

/// <summary>A daily local-time window with no new uploads, "HH:mm-HH:mm"; it may wrap midnight ("22:00-06:00").</summary>
public sealed record UploadWindow(TimeOnly Start, TimeOnly End)
{
    public bool Contains(TimeOnly time) => Start <= End ? time >= Start && time < End : time >= Start || time < End;

    /// <summary>How long until the window ends, from <paramref name="time"/> inside it.</summary>
    public TimeSpan Remaining(TimeOnly time)
    {
        var left = End.ToTimeSpan() - time.ToTimeSpan();
        return left > TimeSpan.Zero ? left : left + TimeSpan.FromDays(1);
    }
}

public static class UploadWindows
{
    public static bool TryParse(string? text, out UploadWindow window, out string error)
    {
        window = null!;
        var parts = (text ?? "").Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && TimeOnly.TryParseExact(parts[0], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
            && TimeOnly.TryParseExact(parts[1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end)
            && start != end)
        {
            window = new UploadWindow(start, end);
            error = "";
            return true;
        }
        error = $"'{text}' is not a window: use HH:mm-HH:mm local time, e.g. 07:00-09:00 (22:00-06:00 wraps midnight).";
        return false;
    }

    /// <summary>How long uploads must wait at <paramref name="localTime"/>: zero outside every window.</summary>
    public static TimeSpan WaitAt(IEnumerable<UploadWindow> windows, TimeOnly localTime) =>
        windows.Where(w => w.Contains(localTime)).Select(w => w.Remaining(localTime)).DefaultIfEmpty(TimeSpan.Zero).Max();
}
