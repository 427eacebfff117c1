namespace Pipeline.RemoteFs;

/// <summary>One file or directory on a remote file system, shaped like <see cref="System.IO.FileSystemInfo"/>.</summary>
/// <param name="Path">The absolute path within the endpoint, '/' separated.</param>
/// <param name="IsDirectory">Whether the item is a directory (or a common prefix on object stores).</param>
/// <param name="Length">Size in bytes; 0 for directories.</param>
/// <param name="LastWriteTime">Last modification time when the backend reports one.</param>
public sealed record RemoteItem(string Path, bool IsDirectory, long Length, DateTimeOffset? LastWriteTime)
{
    /// <summary>The last segment of <see cref="Path"/>.</summary>
    public string Name => RemotePath.GetName(Path);

    /// <summary>The backend's entity tag or native hash, when it has one.</summary>
    public string? ETag { get; init; }

    /// <summary>Whether the item is a symbolic link (where the backend has them).</summary>
    public bool IsSymbolicLink { get; init; }

    /// <summary>Unix permission bits, when the backend reports them.</summary>
    public int? Permissions { get; init; }
}

/// <summary>Options for <see cref="IRemoteFileSystem.ListAsync"/>.</summary>
public sealed record ListOptions
{
    /// <summary>Descend into subdirectories.</summary>
    public bool Recursive { get; init; }

    /// <summary>A glob (<c>*</c>, <c>?</c>, <c>**</c>, <c>[abc]</c>) matched against the path relative to the listed directory.</summary>
    public string? Filter { get; init; }

    /// <summary>Include directories in the results (files are always included).</summary>
    public bool IncludeDirectories { get; init; } = true;
}

/// <summary>Options for <see cref="IRemoteFileSystem.OpenWriteAsync"/>.</summary>
public sealed record WriteOptions
{
    /// <summary>Replace an existing file; otherwise an existing file is a <see cref="RemoteErrorKind.Conflict"/>.</summary>
    public bool Overwrite { get; init; } = true;

    /// <summary>Create missing parent directories.</summary>
    public bool CreateParents { get; init; } = true;

    /// <summary>The expected total size when known (lets providers choose part sizes).</summary>
    public long? ExpectedLength { get; init; }

    /// <summary>Resume an earlier interrupted upload to the same path when the backend can (append from its current length).</summary>
    public bool Resume { get; init; }
}

/// <summary>What a backend supports natively.</summary>
[Flags]
public enum RemoteCapabilities
{
    /// <summary>Nothing beyond the basic operations.</summary>
    None = 0,
    /// <summary>Reads can start at an offset (resumed downloads, ranged reads).</summary>
    RangedRead = 1,
    /// <summary>Copy happens on the server without the data passing through the client.</summary>
    ServerSideCopy = 2,
    /// <summary>Rename is atomic.</summary>
    AtomicRename = 4,
    /// <summary>Real directories exist (not just prefixes).</summary>
    Directories = 8,
    /// <summary>The backend can compute a checksum without the client reading the file.</summary>
    NativeChecksum = 16,
    /// <summary>Interrupted uploads can continue from an offset.</summary>
    ResumableUpload = 32,
    /// <summary>Modification times can be set by the client.</summary>
    SetModificationTime = 64,
    /// <summary>Symbolic links exist.</summary>
    SymbolicLinks = 128,
}
