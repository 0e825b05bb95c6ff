using System.Globalization;

namespace Dock.Simulator.Hosting;

/// <summary>Sizes as people type them on a command line ("200MB", "64MiB", "2GiB"), for dock-sim and
/// the dock's demo and bench, which size simulated clips the same way.</summary>
public static class ByteSize
{
    public const string Units = "B, KB/MB/GB (10^3), KiB/MiB/GiB (2^10)";

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        text = text?.Trim() ?? "";
        int split = 0;
        while (split < text.Length && (char.IsAsciiDigit(text[split]) || text[split] == '.')) split++;
        if (split == 0 || !double.TryParse(text[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            return false;
        double multiplier = text[split..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "KB" or "K" => 1e3,
            "MB" or "M" => 1e6,
            "GB" or "G" => 1e9,
            "KIB" => 1024,
            "MIB" => 1024 * 1024,
            "GIB" => 1024L * 1024 * 1024,
            _ => -1,
        };
        if (multiplier < 0) return false;
        double value = number * multiplier;
        if (value is < 0 or > 1L << 50) return false;
        bytes = (long)value;
        return true;
    }

    /// <summary>"MIN-MAX" or a single size.</summary>
    public static bool TryParseRange(string? text, out long min, out long max)
    {
        min = max = 0;
        var parts = (text ?? "").Split('-', 2);
        if (!TryParse(parts[0], out min)) return false;
        if (parts.Length == 1)
        {
            max = min;
            return true;
        }
        return TryParse(parts[1], out max) && max >= min;
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
