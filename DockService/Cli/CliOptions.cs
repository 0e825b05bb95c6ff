using System.CommandLine;
using System.Globalization;

namespace Dock.Service.Cli;

/// <summary>Options shared by several commands, and the size parser ("200MB", "2GiB").</summary>
public static class CliOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = "The dock's data folder (catalog, vault, keys). Default: Dock:DataDirectory from configuration, else ./dock-data.",
    };

    public static Option<bool> Json() => new("--json") { Description = "Print machine-readable JSON." };

    public static Option<long> Size(string name, string description, long defaultValue) => new(name)
    {
        Description = description + " Units: B, KB/MB/GB (10^3), KiB/MiB/GiB (2^10).",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (TryParseSize(text, out var bytes)) return bytes;
            result.AddError($"{name}: '{text}' is not a size; use e.g. 200MB, 64MiB, 2GiB or a byte count.");
            return 0;
        },
    };

    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        text = text.Trim();
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

    /// <summary>Human-readable bytes for summaries.</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
