namespace Pipeline.RemoteFs;

/// <summary>Operations on '/'-separated remote paths.</summary>
public static class RemotePath
{
    /// <summary>
    /// Whether the first segment of <paramref name="path"/> is <paramref name="name"/> (<c>/name</c> or
    /// <c>/name/...</c>): how a provider whose URIs hold a share or container (<c>smb://host/share/dir</c>,
    /// <c>az://account/container/dir</c>) tells a URI path from a path within that share or container.
    /// </summary>
    public static bool StartsWithSegment(string path, string name, StringComparison comparison) =>
        path.Length > name.Length && path[0] == '/' &&
        string.Compare(path, 1, name, 0, name.Length, comparison) == 0 &&
        (path.Length == name.Length + 1 || path[name.Length + 1] == '/');

    /// <summary>The path without its first segment: <c>/dir/a.csv</c> for <c>/share/dir/a.csv</c>, <c>/</c> for <c>/share</c>.</summary>
    public static string WithoutFirstSegment(string path)
    {
        var slash = path.IndexOf('/', 1);
        return slash < 0 ? "/" : Normalize(path[slash..]);
    }

    /// <summary>Collapses duplicate separators and '.' segments, resolves '..', and makes the path absolute.</summary>
    /// <exception cref="ArgumentException">'..' climbs above the root.</exception>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var segment in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".") continue;
            if (segment == "..")
            {
                if (parts.Count == 0) throw new ArgumentException($"The path '{path}' climbs above the root.", nameof(path));
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(segment);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>Joins a base path and a relative path.</summary>
    public static string Combine(string basePath, string relative) =>
        relative.StartsWith('/') ? Normalize(relative) : Normalize(basePath.TrimEnd('/') + "/" + relative);

    /// <summary>The last segment of a path.</summary>
    public static string GetName(string path)
    {
        var trimmed = path.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    /// <summary>The parent of a path ("/" for top-level items).</summary>
    public static string GetParent(string path)
    {
        var trimmed = Normalize(path);
        var slash = trimmed.LastIndexOf('/');
        return slash <= 0 ? "/" : trimmed[..slash];
    }

    /// <summary>A temporary sibling name for <paramref name="path"/>, used to write before an atomic rename.</summary>
    public static string TemporarySibling(string path) =>
        Combine(GetParent(path), $".{GetName(path)}.{Guid.NewGuid():N}.partial");
}
