using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Pipeline.RemoteFs.Local;

/// <summary>
/// The local file system (and UNC paths on Windows) behind the <see cref="IRemoteFileSystem"/> interface.
/// Relative paths resolve against the endpoint's path.
/// </summary>
public sealed class LocalFileSystem : IRemoteFileSystem
{
    /// <summary>Creates a local file system rooted at the endpoint's path (relative paths resolve against it).</summary>
    public LocalFileSystem(RemoteEndpoint? endpoint = null)
    {
        Endpoint = endpoint ?? new RemoteEndpoint { Scheme = "file", Path = Directory.GetCurrentDirectory() };
    }

    /// <inheritdoc />
    public RemoteEndpoint Endpoint { get; }

    /// <inheritdoc />
    public RemoteCapabilities Capabilities =>
        RemoteCapabilities.RangedRead | RemoteCapabilities.ServerSideCopy | RemoteCapabilities.AtomicRename |
        RemoteCapabilities.Directories | RemoteCapabilities.ResumableUpload | RemoteCapabilities.SetModificationTime |
        RemoteCapabilities.SymbolicLinks;

    /// <summary>The native full path for a path given to this file system.</summary>
    public string Resolve(string path)
    {
        var root = string.IsNullOrEmpty(Endpoint.Path) || Endpoint.Path == "/" ? Directory.GetCurrentDirectory() : Endpoint.Path;
        return Path.GetFullPath(path, Path.GetFullPath(root));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new ListOptions();
        var root = Resolve(path);
        if (!Directory.Exists(root))
        {
            if (File.Exists(root)) throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot list a file as a directory", root);
            throw new RemoteFsException(RemoteErrorKind.NotFound, "Directory not found", root);
        }
        var glob = options.Filter is null ? null : Glob.Compile(options.Filter, ignoreCase: OperatingSystem.IsWindows());
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = options.Recursive,
            IgnoreInaccessible = false,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        IEnumerator<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(root).EnumerateFileSystemInfos("*", enumeration).GetEnumerator();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LocalErrors.Map(ex, root);
        }
        using (entries)
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    if (!entries.MoveNext()) break;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw LocalErrors.Map(ex, root);
                }
                var info = entries.Current;
                var isDirectory = info is DirectoryInfo;
                if (isDirectory && !options.IncludeDirectories) continue;
                var relative = Path.GetRelativePath(root, info.FullName).Replace('\\', '/');
                if (glob is not null && !glob.IsMatch(relative)) continue;
                yield return ToItem(info);
            }
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    private static RemoteItem ToItem(FileSystemInfo info) => new(
        info.FullName,
        info is DirectoryInfo,
        info is FileInfo file ? file.Length : 0,
        new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero))
    {
        IsSymbolicLink = info.LinkTarget is not null,
        Permissions = OperatingSystem.IsWindows() ? null : (int)info.UnixFileMode,
    };

    /// <inheritdoc />
    public Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        FileSystemInfo info = Directory.Exists(full) ? new DirectoryInfo(full) : new FileInfo(full);
        return Task.FromResult(info.Exists ? ToItem(info) : null);
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        try
        {
            var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            if (offset > 0) stream.Seek(offset, SeekOrigin.Begin);
            return Task.FromResult<Stream>(length is null ? stream : new BoundedReadStream(stream, length.Value));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LocalErrors.Map(ex, full);
        }
    }

    /// <inheritdoc />
    public Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WriteOptions();
        var full = Resolve(path);
        try
        {
            if (!options.Overwrite && File.Exists(full))
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The file already exists", full);
            var directory = Path.GetDirectoryName(full)!;
            if (options.CreateParents) Directory.CreateDirectory(directory);
            else if (!Directory.Exists(directory)) throw new RemoteFsException(RemoteErrorKind.NotFound, "The parent directory does not exist", full);
            return Task.FromResult<RemoteWriteStream>(new LocalWriteStream(full, options));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not RemoteFsException)
        {
            throw LocalErrors.Map(ex, full);
        }
    }

    /// <inheritdoc />
    public Task DeleteFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return LocalErrors.Run(full, () =>
        {
            if (!File.Exists(full))
                throw new RemoteFsException(Directory.Exists(full) ? RemoteErrorKind.Conflict : RemoteErrorKind.NotFound,
                    Directory.Exists(full) ? "Is a directory, not a file" : "File not found", full);
            File.Delete(full);
        });
    }

    /// <inheritdoc />
    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return LocalErrors.Run(full, () =>
        {
            if (File.Exists(full)) throw new RemoteFsException(RemoteErrorKind.Conflict, "A file exists where a directory was asked for", full);
            Directory.CreateDirectory(full);
        });
    }

    /// <inheritdoc />
    public Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return LocalErrors.Run(full, () =>
        {
            if (!Directory.Exists(full)) throw new RemoteFsException(RemoteErrorKind.NotFound, "Directory not found", full);
            if (!recursive && Directory.EnumerateFileSystemEntries(full).Any())
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The directory is not empty (delete it recursively to remove its content)", full);
            Directory.Delete(full, recursive);
        });
    }

    /// <inheritdoc />
    public Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        return LocalErrors.Run(source, () =>
        {
            if (Directory.Exists(source))
            {
                if (Directory.Exists(destination) || File.Exists(destination))
                    throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination already exists", destination);
                Directory.Move(source, destination);
                return;
            }
            if (!File.Exists(source)) throw new RemoteFsException(RemoteErrorKind.NotFound, "File not found", source);
            if (!overwrite && File.Exists(destination)) throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination already exists", destination);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Move(source, destination, overwrite);
        });
    }

    /// <inheritdoc />
    public async Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        if (!File.Exists(source)) throw new RemoteFsException(RemoteErrorKind.NotFound, "File not found", source);
        if (!overwrite && File.Exists(destination)) throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination already exists", destination);
        await using var input = await OpenReadAsync(source, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var output = await OpenWriteAsync(destination, new WriteOptions { Overwrite = overwrite }, cancellationToken).ConfigureAwait(false);
        try
        {
            await input.CopyToAsync(output, 1 << 20, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex is not RemoteFsException)
        {
            throw LocalErrors.Map(ex, destination);
        }
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        File.SetLastWriteTimeUtc(destination, File.GetLastWriteTimeUtc(source));
    }

    /// <inheritdoc />
    public async Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default)
    {
        await using var stream = await OpenReadAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new FileChecksum(algorithm, await Checksums.ComputeAsync(stream, algorithm, cancellationToken).ConfigureAwait(false), Native: false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Computes checksums of streams.</summary>
public static class Checksums
{
    /// <summary>Reads <paramref name="stream"/> to its end and returns its hash as lowercase hex.</summary>
    public static async Task<string> ComputeAsync(Stream stream, ChecksumAlgorithm algorithm, CancellationToken cancellationToken = default)
    {
        using var hash = Create(algorithm);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            hash.AppendData(buffer, 0, read);
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Creates an incremental hash for an algorithm.</summary>
    public static IncrementalHash Create(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        ChecksumAlgorithm.Md5 => IncrementalHash.CreateHash(HashAlgorithmName.MD5),
        ChecksumAlgorithm.Sha1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
        ChecksumAlgorithm.Sha512 => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown checksum algorithm"),
    };
}
