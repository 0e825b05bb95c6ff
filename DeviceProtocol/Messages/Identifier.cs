using System.Buffers;

namespace Dock.DeviceProtocol.Messages;

/// <summary>
/// Serials, clip ids, officer ids and dock ids (docklink-v1.md §4). They become path segments in
/// the vault and object keys in the cloud, so they are restricted at the wire boundary: 1-64 ASCII
/// characters from [A-Za-z0-9._-], starting with a letter or digit (no "..", no separators).
/// </summary>
public static class Identifier
{
    public const int MaxLength = 64;
    public const string Rule = "1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit";

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    public static bool IsValid(string? value) =>
        value is { Length: > 0 and <= MaxLength }
        && char.IsAsciiLetterOrDigit(value[0])
        && !value.AsSpan().ContainsAnyExcept(Allowed);

    public static string Require(string? value, string what) =>
        IsValid(value) ? value! : throw new ArgumentException($"{what} '{value}' is not a valid identifier: {Rule}.", what);
}
