using Dock.DeviceProtocol.Messages;

namespace Dock.Service.Upload;

public enum CloudKind
{
    /// <summary>No cloud: a dock that keeps footage in its vault only (releases need AfterLocalVerify or Never).</summary>
    None,
    File,
    S3,
    AzureBlob,
}

/// <summary>
/// Where clips go: <c>file:DIR</c>, <c>s3://BUCKET/PREFIX</c>, <c>azblob://CONTAINER/PREFIX</c>. The URI never
/// carries a secret (each ecosystem's own variables do), and it is safe to log and to store with the queue.
/// </summary>
public sealed record CloudTargetUri(CloudKind Kind, string Container, string Prefix)
{
    public static bool TryParse(string? text, out CloudTargetUri target, out string error)
    {
        target = null!;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text)) { error = "is empty: use file:DIR, s3://BUCKET/PREFIX, azblob://CONTAINER/PREFIX or none."; return false; }
        if (text == "none")
        {
            target = new CloudTargetUri(CloudKind.None, "", "");
            error = "";
            return true;
        }
        if (text.StartsWith("file:", StringComparison.Ordinal))
        {
            var dir = text["file:".Length..];
            if (dir.StartsWith("//", StringComparison.Ordinal)) dir = new Uri(text).LocalPath;
            if (dir.Length == 0) { error = "'file:' needs a folder, e.g. file:/srv/evidence or file:cloud (under the data folder)."; return false; }
            target = new CloudTargetUri(CloudKind.File, dir, "");
            error = "";
            return true;
        }
        var scheme = text.IndexOf("://", StringComparison.Ordinal) is var i and > 0 ? text[..i] : "";
        var kind = scheme switch { "s3" => CloudKind.S3, "azblob" => CloudKind.AzureBlob, _ => (CloudKind?)null };
        if (kind is null)
        {
            error = $"'{Redact(text)}': unknown scheme '{scheme}'; use file:DIR, s3://BUCKET/PREFIX or azblob://CONTAINER/PREFIX.";
            return false;
        }
        var rest = text[(scheme.Length + 3)..];
        if (rest.Contains('@') || rest.Contains('?'))
        {
            // Someone put credentials or options in the URI; never echo them back.
            error = $"{scheme}:// takes only BUCKET/PREFIX; credentials come from the environment " +
                (kind == CloudKind.S3 ? "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL or the AWS profile)." : "(AZURE_STORAGE_CONNECTION_STRING).");
            return false;
        }
        var slash = rest.IndexOf('/');
        var container = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        bool containerOk = kind == CloudKind.S3
            ? container.Length is >= 3 and <= 63 && container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            : container.Length is >= 3 and <= 63 && container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
        if (!containerOk)
        {
            error = $"'{container}' is not a valid {(kind == CloudKind.S3 ? "bucket" : "container")} name (3-63 lowercase letters, digits, '-'" +
                (kind == CloudKind.S3 ? ", '.'" : "") + ").";
            return false;
        }
        if (prefix.Split('/').Any(segment => segment.Length == 0 && prefix.Length > 0 || segment is "." or ".." || !segment.All(c => Identifier.IsValid("x" + c) || c == '_')))
        {
            error = $"prefix '{prefix}' must be '/'-separated names of A-Z a-z 0-9 . _ - (no empty, '.' or '..' parts).";
            return false;
        }
        target = new CloudTargetUri(kind.Value, container, prefix);
        error = "";
        return true;
    }

    public override string ToString() => Kind switch
    {
        CloudKind.None => "none",
        CloudKind.File => $"file:{Container}",
        CloudKind.S3 => $"s3://{Container}/{Prefix}",
        _ => $"azblob://{Container}/{Prefix}",
    };

    private static string Redact(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
