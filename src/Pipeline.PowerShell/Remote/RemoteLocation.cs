using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;

namespace Pipeline.PowerShell.Remote;

/// <summary>
/// A path or URI given to a remote cmdlet, opened on the file system that serves it: <c>sftp://host/in/a.csv</c>
/// becomes (the SFTP file system, <c>/in/a.csv</c>); a local path becomes (the local file system, its full native
/// path).
/// </summary>
internal sealed class RemoteLocation
{
    public RemoteLocation(IRemoteFileSystem fileSystem, RemoteEndpoint endpoint, string path, bool namesDirectory)
    {
        FileSystem = fileSystem;
        Endpoint = endpoint;
        Path = path;
        NamesDirectory = namesDirectory;
    }

    /// <summary>The file system the path lives on.</summary>
    public IRemoteFileSystem FileSystem { get; }

    /// <summary>The endpoint, for display.</summary>
    public RemoteEndpoint Endpoint { get; }

    /// <summary>The path within <see cref="FileSystem"/>: a full native path for local files, '/'-separated otherwise.</summary>
    public string Path { get; }

    /// <summary>Whether the text ended with a separator ("this is a directory", even before it exists).</summary>
    public bool NamesDirectory { get; }

    /// <summary>Whether this is the local file system.</summary>
    public bool IsLocal => FileSystem is LocalFileSystem;

    /// <summary>A path on this file system as it may be printed and given back to a cmdlet.</summary>
    public string Display(string path) => IsLocal ? path : RemoteFsLocations.Display(Endpoint, path);

    /// <summary>Joins a directory and a '/'-separated relative path.</summary>
    public string Combine(string directory, string relative) => IsLocal
        ? System.IO.Path.GetFullPath(System.IO.Path.Combine(directory, relative.Replace('/', System.IO.Path.DirectorySeparatorChar)))
        : RemotePath.Combine(directory, relative);

    /// <summary>The last segment of a path.</summary>
    public string Name(string path) => IsLocal
        ? System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(path))
        : RemotePath.GetName(path);

    /// <summary>The directory that holds a path.</summary>
    public string Parent(string path) => IsLocal ? System.IO.Path.GetDirectoryName(path) ?? path : RemotePath.GetParent(path);

    /// <summary>Whether the path is the root of its file system (never deleted).</summary>
    public bool IsRoot(string path) => IsLocal
        ? System.IO.Path.GetPathRoot(path) is { Length: > 0 } root &&
          string.Equals(System.IO.Path.TrimEndingDirectorySeparator(root), System.IO.Path.TrimEndingDirectorySeparator(path), StringComparison.OrdinalIgnoreCase)
        : RemotePath.Normalize(path) == "/";

    /// <summary>Whether both locations are on one endpoint, so that a rename or a server-side copy can join them.</summary>
    public bool SameFileSystemAs(RemoteLocation other) =>
        ReferenceEquals(FileSystem, other.FileSystem)
        || (IsLocal && other.IsLocal)
        || (!IsLocal && !other.IsLocal && string.Equals(Endpoint.PoolKey, other.Endpoint.PoolKey, StringComparison.OrdinalIgnoreCase));

    /// <inheritdoc />
    public override string ToString() => Display(Path);
}
