using System.ComponentModel;
using System.Globalization;

namespace Dock.Service.Configuration;

/// <summary>
/// A number of bytes as people write it, wherever the dock takes one (configuration, command line): "1048576", "1MiB",
/// "200MB", "2GiB", "1.5 GB". Decimal units are powers of 1000, binary ones (KiB, MiB, GiB, TiB) powers of 1024.
/// Configuration binds it through <see cref="DataSizeConverter"/>, so "Dock:CheckpointBytes=32MiB" works as the byte count does.
/// </summary>
[TypeConverter(typeof(DataSizeConverter))]
public readonly record struct DataSize(long Bytes)
{
    public const string Units = "B, KB/MB/GB/TB (10^3), KiB/MiB/GiB/TiB (2^10)";

    public static implicit operator long(DataSize size) => size.Bytes;

    public static implicit operator DataSize(long bytes) => new(bytes);

    public static bool TryParse(string? text, out DataSize size)
    {
        size = default;
        text = text?.Trim() ?? "";
        int split = 0;
        while (split < text.Length && (char.IsAsciiDigit(text[split]) || text[split] == '.')) split++;
        if (split == 0 || !decimal.TryParse(text[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
        decimal multiplier = text[split..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1e3m,
            "M" or "MB" => 1e6m,
            "G" or "GB" => 1e9m,
            "T" or "TB" => 1e12m,
            "KIB" => 1L << 10,
            "MIB" => 1L << 20,
            "GIB" => 1L << 30,
            "TIB" => 1L << 40,
            _ => -1,
        };
        if (multiplier < 0) return false;
        decimal bytes = number * multiplier;
        if (bytes > 1L << 60 || bytes != decimal.Truncate(bytes)) return false; // Bounded, and a whole number of bytes.
        size = new DataSize((long)bytes);
        return true;
    }

    /// <summary>"256.0 MiB", "1.50 GiB", "512 B": for messages and summaries.</summary>
    public override string ToString() => Bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{Bytes / (double)(1L << 30):0.00} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{Bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{Bytes / 1024.0:0.0} KiB"),
        _ => $"{Bytes} B",
    };
}

/// <summary>Lets the configuration binder read "32MiB" into a <see cref="DataSize"/>, with an error that says what is expected.</summary>
public sealed class DataSizeConverter : TypeConverter
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text
            ? DataSize.TryParse(text, out var size) ? size : throw new FormatException($"'{text}' is not a size; use e.g. 1048576, 1MiB, 200MB or 2GiB ({DataSize.Units})")
            : base.ConvertFrom(context, culture, value);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is DataSize size ? size.Bytes.ToString(CultureInfo.InvariantCulture) : base.ConvertTo(context, culture, value, destinationType);
}
