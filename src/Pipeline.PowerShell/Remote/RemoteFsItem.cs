using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Remote;

/// <summary>
/// A file or directory as Get-RemoteChildItem writes it, shaped like <see cref="System.IO.FileInfo"/>: its
/// <see cref="FullName"/> is a URI (or a local path) that every remote cmdlet takes back through the pipeline.
/// </summary>
public sealed class RemoteFsItem
{
    internal RemoteFsItem(RemoteItem item, string fullName)
    {
        Name = item.Name;
        FullName = fullName;
        EndpointPath = item.Path;
        PSIsContainer = item.IsDirectory;
        Length = item.IsDirectory ? 0 : item.Length;
        LastWriteTimeUtc = item.LastWriteTime?.UtcDateTime;
        IsSymbolicLink = item.IsSymbolicLink;
        ETag = item.ETag;
        Mode = ModeOf(item);
    }

    /// <summary>The last segment of the path.</summary>
    public string Name { get; }

    /// <summary>The item's URI (without secrets), or its full native path for local items.</summary>
    public string FullName { get; }

    /// <summary>The path within its endpoint. (Not named Path: piped to a cmdlet, a Path property would bind to
    /// -Path before FullName does.)</summary>
    public string EndpointPath { get; }

    /// <summary>Whether the item is a directory (or a common prefix on object stores), as on PowerShell's own items.</summary>
    public bool PSIsContainer { get; }

    /// <summary>Size in bytes; 0 for directories.</summary>
    public long Length { get; }

    /// <summary>Last modification time in local time, when the backend reports one.</summary>
    public DateTime? LastWriteTime => LastWriteTimeUtc?.ToLocalTime();

    /// <summary>Last modification time in UTC, when the backend reports one.</summary>
    public DateTime? LastWriteTimeUtc { get; }

    /// <summary>Whether the item is a symbolic link.</summary>
    public bool IsSymbolicLink { get; }

    /// <summary>The backend's entity tag or native hash, when it has one.</summary>
    public string? ETag { get; }

    /// <summary>The type and permissions as <c>ls -l</c> shows them (<c>drwxr-xr-x</c>), or <c>d-----</c> / <c>------</c>
    /// where the backend has no permissions.</summary>
    public string Mode { get; }

    /// <summary>The item's URI.</summary>
    public override string ToString() => FullName;

    private static string ModeOf(RemoteItem item)
    {
        var type = item.IsSymbolicLink ? 'l' : item.IsDirectory ? 'd' : '-';
        if (item.Permissions is not { } bits) return type + "-----";
        Span<char> mode = stackalloc char[10];
        mode[0] = type;
        const string letters = "rwxrwxrwx";
        for (var i = 0; i < 9; i++) mode[i + 1] = (bits & (1 << (8 - i))) != 0 ? letters[i] : '-';
        return new string(mode);
    }
}

/// <summary>The hash of a remote file, as Get-RemoteFileHash writes it (shaped like Get-FileHash's output).</summary>
public sealed class RemoteFileHash
{
    internal RemoteFileHash(FileChecksum checksum, string path)
    {
        Algorithm = checksum.Algorithm.ToString().ToUpperInvariant();
        Hash = checksum.Hex.ToUpperInvariant();
        Path = path;
        Native = checksum.Native;
    }

    /// <summary>The algorithm: SHA256, MD5, SHA1 or SHA512.</summary>
    public string Algorithm { get; }

    /// <summary>The hash in upper-case hexadecimal, as Get-FileHash writes it.</summary>
    public string Hash { get; }

    /// <summary>The file's URI (or local path).</summary>
    public string Path { get; }

    /// <summary>Whether the server computed the hash (true) or it was computed here by reading the file (false).</summary>
    public bool Native { get; }
}
