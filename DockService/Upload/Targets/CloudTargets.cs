namespace Dock.Service.Upload.Targets;

/// <summary>Makes the target a URI names.</summary>
public static class CloudTargets
{
    /// <summary>
    /// A relative folder target lives in the dock's own data folder and is created there (the embedded
    /// default, file:cloud). An absolute one is someone else's (a NAS mount): it must exist, so that an
    /// unmounted share is reported instead of silently filling the local disk.
    /// </summary>
    public static ICloudTarget? Create(CloudTargetUri uri, string dataDirectory)
    {
        switch (uri.Kind)
        {
            case CloudKind.None:
                return null;
            case CloudKind.File:
                var root = Path.GetFullPath(Path.Combine(dataDirectory, uri.Container));
                if (!Path.IsPathRooted(uri.Container)) Directory.CreateDirectory(root);
                return new FileTarget(root);
            case CloudKind.S3:
                return new S3Target(uri);
            default:
                return new AzureBlobTarget(uri);
        }
    }
}
