using System.CommandLine;
using Dock.Service.Configuration;

namespace Dock.Service.Cli;

/// <summary>Options shared by several commands, and the size parser ("200MB", "2GiB").</summary>
public static class CliOptions
{
    public static Option<string?> Data() => new("--data")
    {
        Description = "The dock's data folder (catalog, vault, keys). Default: Dock:DataDirectory from configuration, else ./dock-data.",
    };

    /// <summary>"--cloud URI": where verified clips go (Dock:Cloud:Target).</summary>
    public static Option<string?> Cloud() => new("--cloud")
    {
        Description = "Cloud target: file:DIR (default file:cloud, in the data folder), s3://BUCKET/PREFIX (AWS_* variables) or " +
            "azblob://CONTAINER/PREFIX (AZURE_STORAGE_CONNECTION_STRING).",
    };

    public static Option<bool> Json() => new("--json") { Description = "Print machine-readable JSON." };

    /// <summary>A required "--reason": recorded in the custody log, so plain text of 1-200 characters.</summary>
    public static Option<string> Reason(string description)
    {
        var option = new Option<string>("--reason") { Description = description, Required = true };
        option.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>() ?? "";
            if (string.IsNullOrWhiteSpace(text) || text.Any(char.IsControl) || text.Length > 200)
                result.AddError("--reason must be 1-200 characters of plain text (it is recorded in the custody log).");
        });
        return option;
    }

    public static Option<long> Size(string name, string description, long defaultValue) => new(name)
    {
        Description = $"{description} Units: {DataSize.Units}.",
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
        bool ok = DataSize.TryParse(text, out var size);
        bytes = size.Bytes;
        return ok;
    }

    /// <summary>Human-readable bytes for summaries.</summary>
    public static string FormatBytes(long bytes) => new DataSize(bytes).ToString();
}
