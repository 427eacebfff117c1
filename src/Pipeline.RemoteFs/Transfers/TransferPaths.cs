using Pipeline.RemoteFs.Local;

namespace Pipeline.RemoteFs.Transfers;

/// <summary>Relative paths between a listed root and its items, on native local paths and on '/'-separated remote ones.</summary>
internal static class TransferPaths
{
    /// <summary>The '/'-separated path of <paramref name="path"/> below <paramref name="root"/>.</summary>
    public static string Relative(IRemoteFileSystem fileSystem, string root, string path)
    {
        if (fileSystem is LocalFileSystem local)
            return Path.GetRelativePath(local.Resolve(root), local.Resolve(path)).Replace('\\', '/');
        var prefix = RemotePath.Normalize(root).TrimEnd('/') + "/";
        var normalized = RemotePath.Normalize(path);
        return normalized.StartsWith(prefix, StringComparison.Ordinal) ? normalized[prefix.Length..] : RemotePath.GetName(normalized);
    }

    /// <summary>Joins a directory and a '/'-separated relative path on <paramref name="fileSystem"/>.</summary>
    public static string Combine(IRemoteFileSystem fileSystem, string directory, string relative) =>
        fileSystem is LocalFileSystem local
            ? Path.Combine(local.Resolve(directory), relative.Replace('/', Path.DirectorySeparatorChar))
            : RemotePath.Combine(directory, relative);

    /// <summary>The last segment of a path on <paramref name="fileSystem"/>.</summary>
    public static string Name(IRemoteFileSystem fileSystem, string path) =>
        fileSystem is LocalFileSystem ? Path.GetFileName(Path.TrimEndingDirectorySeparator(path)) : RemotePath.GetName(path);

    /// <summary>The destination name of a file after <paramref name="gzip"/>: <c>.gz</c> appended when compressing,
    /// removed when decompressing.</summary>
    public static string ApplyGzipName(string relative, GzipMode gzip) => gzip switch
    {
        GzipMode.Compress => relative + ".gz",
        GzipMode.Decompress when relative.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) => relative[..^3],
        _ => relative,
    };
}
