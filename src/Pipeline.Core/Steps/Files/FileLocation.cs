using Pipeline.Core.Execution;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;

namespace Pipeline.Core.Steps.Files;

/// <summary>
/// A path or URI from a step option, opened on the file system that serves it: <c>sftp://host/in/a.csv</c> becomes
/// (the SFTP file system, <c>/in/a.csv</c>); <c>data/a.csv</c> and <c>file:///data/a.csv</c> become (the local file
/// system, the full native path). Every file step reaches files through this.
/// </summary>
internal sealed class FileLocation : IAsyncDisposable
{
    private FileLocation(IRemoteFileSystem fileSystem, RemoteEndpoint endpoint, string path, bool namesDirectory)
    {
        FileSystem = fileSystem;
        Endpoint = endpoint;
        Path = path;
        NamesDirectory = namesDirectory;
    }

    /// <summary>The file system the path lives on.</summary>
    public IRemoteFileSystem FileSystem { get; }

    /// <summary>The endpoint connected to (without the path).</summary>
    public RemoteEndpoint Endpoint { get; }

    /// <summary>The path within <see cref="FileSystem"/>: a full native path for local files, '/'-separated otherwise.</summary>
    public string Path { get; }

    /// <summary>Whether the text ended with a separator, which says "this is a directory" even before it exists.</summary>
    public bool NamesDirectory { get; }

    /// <summary>Whether this is the local file system (native paths, modification times can be set).</summary>
    public bool IsLocal => FileSystem is LocalFileSystem;

    /// <summary>Opens the file system for a path or URI given in the option <paramref name="optionName"/>.</summary>
    public static async Task<FileLocation> OpenAsync(StepContext context, string optionName, string text, CancellationToken cancellationToken)
    {
        RemoteEndpoint parsed;
        try
        {
            parsed = RemoteEndpoint.Parse(text);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // The parser's message never repeats a password; the raw text might, so it is not echoed here.
            throw new StepException(ErrorKind.Configuration, $"The option '{optionName}' is not a valid path or URI: {ex.Message}", ex);
        }

        var beforeQuery = text.Split('?')[0];
        var namesDirectory = beforeQuery.EndsWith('/') || beforeQuery.EndsWith(System.IO.Path.DirectorySeparatorChar);
        if (parsed.Scheme == "file")
        {
            var local = parsed.Path;
            if (local.Length >= 3 && local[0] == '/' && char.IsAsciiLetter(local[1]) && local[2] == ':' && OperatingSystem.IsWindows())
                local = local[1..]; // file:///C:/data
            var fullPath = context.ResolveLocalPath(local);
            if (fullPath.Length > 1 && System.IO.Path.EndsInDirectorySeparator(fullPath) && System.IO.Path.GetPathRoot(fullPath) != fullPath)
                fullPath = fullPath.TrimEnd(System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar);
            var endpoint = new RemoteEndpoint { Scheme = "file", Path = context.WorkingDirectory };
            var fileSystem = await context.FileSystems.ConnectAsync(endpoint, context.ConnectionOptions?.Invoke(endpoint), cancellationToken).ConfigureAwait(false);
            return new FileLocation(fileSystem, endpoint, fullPath, namesDirectory);
        }

        var remote = await context.FileSystems.ConnectAsync(parsed, context.ConnectionOptions?.Invoke(parsed), cancellationToken).ConfigureAwait(false);
        return new FileLocation(remote, parsed, parsed.Path, namesDirectory);
    }

    /// <summary>A path on this file system as it may be printed (remote endpoints redacted).</summary>
    public string Display(string path) => IsLocal ? path : (Endpoint with { Path = path }).ToString();

    /// <summary>This location as it may be printed.</summary>
    public override string ToString() => Display(Path);

    /// <summary>Whether both locations are on the same endpoint, so a rename or a server-side copy can join them.</summary>
    public bool SameFileSystemAs(FileLocation other) =>
        IsLocal == other.IsLocal && (IsLocal || string.Equals(Endpoint.PoolKey, other.Endpoint.PoolKey, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether two paths on this file system name the same item.</summary>
    public bool SamePath(string a, string b) =>
        string.Equals(a, b, IsLocal && OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>Joins a directory and a '/'-separated relative path.</summary>
    public string Combine(string directory, string relative) => IsLocal
        ? System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, relative.Replace('/', System.IO.Path.DirectorySeparatorChar)))
        : RemotePath.Combine(directory, relative);

    /// <summary>The directory that holds <paramref name="path"/>.</summary>
    public string Parent(string path) => IsLocal
        ? System.IO.Path.GetDirectoryName(path) ?? path
        : RemotePath.GetParent(path);

    /// <summary>The last segment of <paramref name="path"/>.</summary>
    public string Name(string path) => IsLocal
        ? System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(path))
        : RemotePath.GetName(path);

    /// <summary>The '/'-separated path of <paramref name="path"/> below <paramref name="directory"/>.</summary>
    public string Relative(string directory, string path)
    {
        if (IsLocal)
            return System.IO.Path.GetRelativePath(directory, path).Replace('\\', '/');
        var root = directory.TrimEnd('/');
        return path.StartsWith(root + "/", StringComparison.Ordinal) ? path[(root.Length + 1)..] : RemotePath.GetName(path);
    }

    /// <summary>Whether <paramref name="path"/> is the root of its file system (never a target for deletion).</summary>
    public bool IsRoot(string path) => IsLocal
        ? System.IO.Path.GetPathRoot(path) is { Length: > 0 } root &&
          string.Equals(System.IO.Path.TrimEndingDirectorySeparator(root), System.IO.Path.TrimEndingDirectorySeparator(path), StringComparison.OrdinalIgnoreCase)
        : RemotePath.Normalize(path) == "/";

    /// <summary>Sets a local file's modification time; false when this file system cannot.</summary>
    public bool TrySetLastWriteTime(string path, DateTimeOffset time)
    {
        if (FileSystem is not LocalFileSystem local) return false;
        File.SetLastWriteTimeUtc(local.Resolve(path), time.UtcDateTime);
        return true;
    }

    /// <summary>The native path of a local file, for APIs that need a seekable <see cref="FileStream"/>.</summary>
    public string? NativePath(string path) => FileSystem is LocalFileSystem local ? local.Resolve(path) : null;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => FileSystem.DisposeAsync();
}
