using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// One SMB share behind the <see cref="IRemoteFileSystem"/> interface. Paths are '/'-separated and absolute from
/// the share's root; relative paths resolve against the endpoint's path below the share. Every file system of the
/// same endpoint, share and credential shares one session; an operation that meets a dropped connection is retried
/// on a new one up to <see cref="RemoteConnectionOptions.MaxAttempts"/> times.
/// </summary>
public sealed class SmbFileSystem : IRemoteFileSystem
{
    private const uint FsctlRequestResumeKey = 0x00140078, FsctlCopyChunkWrite = 0x001480F2;
    private readonly SmbSessionPool _pool;

    internal SmbFileSystem(RemoteEndpoint endpoint, SmbSessionPool pool)
    {
        Endpoint = endpoint;
        _pool = pool;
    }

    internal SmbSettings Settings => _pool.Settings;
    internal SmbSessionPool Pool => _pool;

    /// <inheritdoc />
    public RemoteEndpoint Endpoint { get; }

    /// <inheritdoc />
    public RemoteCapabilities Capabilities =>
        RemoteCapabilities.RangedRead | RemoteCapabilities.AtomicRename | RemoteCapabilities.Directories |
        RemoteCapabilities.ResumableUpload | RemoteCapabilities.ServerSideCopy | RemoteCapabilities.SetModificationTime;

    /// <summary>The dialect, signing and encryption of the current session, for diagnostics (for example
    /// <c>SMB 3.1.1, signed (AesGmac)</c> or <c>SMB 3.1.1, encrypted (Aes128Gcm)</c>).</summary>
    public async Task<string> DescribeSessionAsync(CancellationToken cancellationToken = default)
    {
        var c = await _pool.GetAsync(cancellationToken).ConfigureAwait(false);
        var security = c.IsEncrypted ? $"encrypted ({c.Cipher})" : c.IsSigned ? $"signed ({c.SigningAlgorithm})" : "unsigned";
        return $"SMB {SmbConnection.DialectName(c.Dialect)}, {security}";
    }

    /// <summary>
    /// The path within the share. Callers that work with URIs pass the URI's path, which starts with the share
    /// (<c>/data/in/a.csv</c> for <c>smb://host/data/in/a.csv</c>): the share is taken off. Any other absolute path
    /// is within the share already; a relative one is below the endpoint's base path.
    /// </summary>
    internal string Resolve(string path) => IsUriPath(path)
        ? RemotePath.WithoutFirstSegment(path)
        : RemotePath.Combine(Settings.BasePath, path);

    /// <summary>Whether a path given by a caller is a URI path (starts with the share's name).</summary>
    private bool IsUriPath(string path) => RemotePath.StartsWithSegment(path, Settings.Share, StringComparison.OrdinalIgnoreCase);

    /// <summary>An item's path in the caller's terms: a URI path again when the caller gave one.</summary>
    private RemoteItem Outward(RemoteItem item, bool uriPath) =>
        uriPath ? item with { Path = RemotePath.Normalize("/" + Settings.Share + item.Path) } : item;

    /// <summary>Runs <paramref name="action"/> on the shared connection, again on a new one when the connection
    /// dropped, and turns failures into typed errors.</summary>
    internal async Task<T> WithConnectionAsync<T>(string operation, string path, Func<SmbConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var connection = await _pool.GetAsync(cancellationToken).ConfigureAwait(false);
                return await action(connection).ConfigureAwait(false);
            }
            catch (SmbConnectionException) when (attempt < Settings.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
            }
            catch (SmbStatusException ex) when (SmbStatus.Kind(ex.Status) == RemoteErrorKind.Transient && attempt < Settings.MaxAttempts)
            {
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw SmbErrors.Map(ex, operation, path, Endpoint);
            }
        }
    }

    private Task WithConnectionAsync(string operation, string path, Func<SmbConnection, Task> action, CancellationToken cancellationToken) =>
        WithConnectionAsync<bool>(operation, path, async c =>
        {
            await action(c).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new ListOptions();
        var uriPath = IsUriPath(path);
        var root = Resolve(path);
        var glob = options.Filter is null ? null : Glob.Compile(options.Filter, ignoreCase: true);
        // A plain name pattern goes to the server (QUERY_DIRECTORY wildcards); anything richer is matched here.
        var serverPattern = !options.Recursive && options.Filter is { } f && f.Length > 0 && f.IndexOfAny(['/', '[', '{', '\\']) < 0 && !f.Contains("**") ? f : "*";
        var pending = new Queue<string>();
        pending.Enqueue(root);
        while (pending.Count > 0)
        {
            var directory = pending.Dequeue();
            var isRoot = directory == root;
            var entries = await WithConnectionAsync("Listing", directory, async c =>
            {
                var handle = await OpenDirectoryAsync(c, directory, isRoot, cancellationToken).ConfigureAwait(false);
                try
                {
                    return await handle.ListAsync(options.Recursive ? "*" : serverPattern, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await handle.CloseQuietlyAsync().ConfigureAwait(false);
                }
            }, cancellationToken).ConfigureAwait(false);
            foreach (var (name, info) in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var item = ToItem(RemotePath.Combine(directory, name), info);
                if (item.IsDirectory && options.Recursive) pending.Enqueue(item.Path);
                if (item.IsDirectory && !options.IncludeDirectories) continue;
                if (glob is not null && !glob.IsMatch(Relative(root, item.Path))) continue;
                yield return Outward(item, uriPath);
            }
        }
    }

    private async Task<SmbHandle> OpenDirectoryAsync(SmbConnection c, string directory, bool isRoot, CancellationToken cancellationToken)
    {
        try
        {
            return await c.CreateAsync(directory, SmbAccess.ReadData | SmbAccess.ReadAttributes | SmbAccess.Synchronize, SmbAccess.Open, SmbAccess.DirectoryFile, cancellationToken).ConfigureAwait(false);
        }
        catch (SmbStatusException ex) when (isRoot && ex.Status == SmbStatus.NotADirectory)
        {
            throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot list a file as a directory", directory, Endpoint, ex);
        }
        catch (SmbStatusException ex) when (SmbStatus.Kind(ex.Status) == RemoteErrorKind.NotFound)
        {
            throw new RemoteFsException(RemoteErrorKind.NotFound, "Directory not found", directory, Endpoint, ex);
        }
    }

    private static string Relative(string root, string path) => root == "/" ? path[1..] : path[(root.Length + 1)..];

    private static RemoteItem ToItem(string path, SmbFileInfo info) =>
        new(path, info.IsDirectory, info.IsDirectory ? 0 : info.Length, info.LastWriteTime);

    /// <inheritdoc />
    public Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        var uriPath = IsUriPath(path);
        return WithConnectionAsync("Stat", full, async c => await StatAsync(c, full, cancellationToken).ConfigureAwait(false) is { } item ? Outward(item, uriPath) : null, cancellationToken);
    }

    private static async Task<RemoteItem?> StatAsync(SmbConnection c, string full, CancellationToken cancellationToken)
    {
        try
        {
            return ToItem(full, await c.OpenAndCloseAsync(full, SmbAccess.ReadAttributes | SmbAccess.Synchronize, SmbAccess.Open, 0, cancellationToken).ConfigureAwait(false));
        }
        catch (SmbStatusException ex) when (SmbStatus.Kind(ex.Status) == RemoteErrorKind.NotFound || ex.Status == SmbStatus.NotADirectory)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0) throw new ArgumentOutOfRangeException(nameof(length));
        var full = Resolve(path);
        var stream = new SmbReadStream(this, full, offset, length);
        await stream.OpenAsync(cancellationToken).ConfigureAwait(false);
        return stream;
    }

    internal async Task<SmbHandle> OpenFileForReadAsync(SmbConnection c, string full, CancellationToken cancellationToken)
    {
        var handle = await c.CreateAsync(full, SmbAccess.Read, SmbAccess.Open, 0, cancellationToken, SmbAccess.ShareRead | SmbAccess.ShareDelete).ConfigureAwait(false);
        if (handle.Info.IsDirectory)
        {
            await handle.CloseQuietlyAsync().ConfigureAwait(false);
            throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot read a directory as a file", full, Endpoint);
        }
        return handle;
    }

    /// <summary>The name an interrupted resumable upload keeps its bytes under, beside the final name.</summary>
    public static string ResumablePartialPath(string path) => RemotePath.Combine(RemotePath.GetParent(path), $".{RemotePath.GetName(path)}.partial");

    /// <inheritdoc />
    public async Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WriteOptions();
        var full = Resolve(path);
        if (full == "/") throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot write to the root of a share", full, Endpoint);
        if (!options.Overwrite && await StatAsync(full, cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The file already exists and overwrite is off", full, Endpoint);
        if (options.CreateParents && options.Resume)
            await CreateDirectoryAsync(RemotePath.GetParent(full), cancellationToken).ConfigureAwait(false);
        if (!options.Resume)
        {
            // The temporary file is created with the first WRITE (see SmbWriteStream), parents only when it is missing.
            var connection = await WithConnectionAsync("Opening for write", full, c => Task.FromResult(c), cancellationToken).ConfigureAwait(false);
            return new SmbWriteStream(this, full, RemotePath.TemporarySibling(full), options.Overwrite, options.CreateParents, connection.MaxWriteSize);
        }
        var partial = ResumablePartialPath(full);
        var handle = await WithConnectionAsync("Opening for write", full, c =>
            c.CreateAsync(partial, SmbAccess.Read | SmbAccess.Write | SmbAccess.Delete, SmbAccess.OpenIf,
                SmbAccess.NonDirectoryFile, cancellationToken, SmbAccess.ShareRead | SmbAccess.ShareDelete), cancellationToken).ConfigureAwait(false);
        return new SmbWriteStream(this, handle, full, partial, options.Overwrite, handle.Info.Length);
    }

    /// <inheritdoc />
    public Task DeleteFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return WithConnectionAsync("Deleting", full, async c =>
        {
            var handle = await c.CreateAsync(full, SmbAccess.Delete | SmbAccess.ReadAttributes, SmbAccess.Open, SmbAccess.NonDirectoryFile, cancellationToken).ConfigureAwait(false);
            try
            {
                await handle.DeleteOnCloseAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await handle.CloseQuietlyAsync().ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>One round trip when the parent exists (the usual case); otherwise each missing level from the top.</remarks>
    public async Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (full == "/") return;
        try
        {
            await CreateOneDirectoryAsync(full, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound)
        {
        }
        var current = "";
        foreach (var segment in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current += "/" + segment;
            await CreateOneDirectoryAsync(current, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task CreateOneDirectoryAsync(string directory, CancellationToken cancellationToken) =>
        WithConnectionAsync("Creating directory", directory, async c =>
        {
            try
            {
                await c.OpenAndCloseAsync(directory, SmbAccess.ReadAttributes | SmbAccess.Synchronize, SmbAccess.OpenIf, SmbAccess.DirectoryFile, cancellationToken).ConfigureAwait(false);
            }
            catch (SmbStatusException ex) when (ex.Status is SmbStatus.NotADirectory or SmbStatus.ObjectNameCollision)
            {
                throw new RemoteFsException(RemoteErrorKind.Conflict, "A file is in the way of the directory", directory, Endpoint, ex);
            }
        }, cancellationToken);

    /// <inheritdoc />
    public async Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (full == "/") throw new RemoteFsException(RemoteErrorKind.PermissionDenied, "The root of a share cannot be deleted", full, Endpoint);
        if (recursive)
        {
            var children = new List<RemoteItem>();
            await foreach (var item in ListAsync(full, new ListOptions(), cancellationToken).ConfigureAwait(false))
                children.Add(item);
            foreach (var child in children)
            {
                if (child.IsDirectory) await DeleteDirectoryAsync(child.Path, true, cancellationToken).ConfigureAwait(false);
                else await DeleteFileAsync(child.Path, cancellationToken).ConfigureAwait(false);
            }
        }
        await WithConnectionAsync("Deleting directory", full, async c =>
        {
            var handle = await c.CreateAsync(full, SmbAccess.Delete | SmbAccess.ReadAttributes, SmbAccess.Open, SmbAccess.DirectoryFile, cancellationToken).ConfigureAwait(false);
            try
            {
                await handle.DeleteOnCloseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SmbStatusException ex) when (ex.Status == SmbStatus.DirectoryNotEmpty)
            {
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The directory is not empty", full, Endpoint, ex);
            }
            finally
            {
                await handle.CloseQuietlyAsync().ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        await CreateDirectoryAsync(RemotePath.GetParent(destination), cancellationToken).ConfigureAwait(false);
        await WithConnectionAsync("Moving", source, async c =>
        {
            var handle = await c.CreateAsync(source, SmbAccess.Delete | SmbAccess.ReadAttributes | SmbAccess.Synchronize, SmbAccess.Open, 0, cancellationToken).ConfigureAwait(false);
            try
            {
                await handle.RenameAsync(destination, overwrite, cancellationToken).ConfigureAwait(false);
            }
            catch (SmbStatusException ex) when (ex.Status == SmbStatus.ObjectNameCollision)
            {
                throw new RemoteFsException(RemoteErrorKind.Conflict, $"The destination '{destination}' already exists and overwrite is off", source, Endpoint, ex);
            }
            finally
            {
                await handle.CloseQuietlyAsync().ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Server-side with FSCTL_SRV_COPYCHUNK_WRITE into a temporary sibling renamed on success; by reading
    /// and writing when the server cannot copy chunks.</remarks>
    public async Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        if (!overwrite && await StatAsync(destination, cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, $"The destination '{destination}' already exists and overwrite is off", source, Endpoint);
        await CreateDirectoryAsync(RemotePath.GetParent(destination), cancellationToken).ConfigureAwait(false);
        var copied = await WithConnectionAsync("Copying", source, c => CopyChunksAsync(c, source, destination, overwrite, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (copied) return;
        await using var input = await OpenReadAsync(source, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var output = await OpenWriteAsync(destination, new WriteOptions { Overwrite = overwrite }, cancellationToken).ConfigureAwait(false);
        await input.CopyToAsync(output, 1024 * 1024, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> CopyChunksAsync(SmbConnection c, string source, string destination, bool overwrite, CancellationToken cancellationToken)
    {
        var input = await OpenFileForReadAsync(c, source, cancellationToken).ConfigureAwait(false);
        try
        {
            var key = await input.IoctlAsync(FsctlRequestResumeKey, [], 32, cancellationToken, s => s is SmbStatus.NotSupported or 0xC0000010).ConfigureAwait(false);
            if (key.Length < 24) return false;
            var temporary = RemotePath.TemporarySibling(destination);
            var output = await c.CreateAsync(temporary, SmbAccess.Read | SmbAccess.Write | SmbAccess.Delete, SmbAccess.OverwriteIf, SmbAccess.NonDirectoryFile, cancellationToken, SmbAccess.ShareRead | SmbAccess.ShareDelete).ConfigureAwait(false);
            var done = false;
            try
            {
                const int chunk = 1024 * 1024, chunksPerRequest = 16;
                var length = input.Info.Length;
                for (long offset = 0; offset < length;)
                {
                    var count = (int)Math.Min(chunksPerRequest, (length - offset + chunk - 1) / chunk);
                    var request = new byte[32 + count * 24];
                    key.AsSpan(0, 24).CopyTo(request);
                    BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(24), count);
                    long requested = 0;
                    for (var i = 0; i < count; i++)
                    {
                        var size = (int)Math.Min(chunk, length - offset - requested);
                        var at = 32 + i * 24;
                        BinaryPrimitives.WriteInt64LittleEndian(request.AsSpan(at), offset + requested);
                        BinaryPrimitives.WriteInt64LittleEndian(request.AsSpan(at + 8), offset + requested);
                        BinaryPrimitives.WriteInt32LittleEndian(request.AsSpan(at + 16), size);
                        requested += size;
                    }
                    var result = await output.IoctlAsync(FsctlCopyChunkWrite, request, 12, cancellationToken).ConfigureAwait(false);
                    if (result.Length < 12) throw new SmbProtocolException("The server's copy-chunk response is truncated.");
                    var written = BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(8));
                    if (written == 0) throw new SmbProtocolException("The server's copy-chunk wrote nothing.");
                    offset += written;
                }
                await output.RenameAsync(destination, overwrite, cancellationToken).ConfigureAwait(false);
                done = true;
                return true;
            }
            catch (SmbStatusException ex) when (ex.Status == SmbStatus.ObjectNameCollision)
            {
                throw new RemoteFsException(RemoteErrorKind.Conflict, $"The destination '{destination}' already exists and overwrite is off", source, Endpoint, ex);
            }
            finally
            {
                if (!done && !c.IsBroken)
                {
                    try
                    {
                        await output.DeleteOnCloseAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is SmbStatusException or SmbConnectionException or SmbProtocolException)
                    {
                    }
                }
                await output.CloseQuietlyAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await input.CloseQuietlyAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default)
    {
        using var hash = algorithm switch
        {
            ChecksumAlgorithm.Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
            ChecksumAlgorithm.Md5 => IncrementalHash.CreateHash(HashAlgorithmName.MD5),
            ChecksumAlgorithm.Sha1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
            ChecksumAlgorithm.Sha512 => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        await using var stream = await OpenReadAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        // Pooled: a megabyte per checksum was a large-object allocation per verified file.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1024 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                hash.AppendData(buffer, 0, read);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return new FileChecksum(algorithm, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), Native: false);
    }

    /// <summary>Sets a file's last write time.</summary>
    public Task SetLastWriteTimeAsync(string path, DateTimeOffset time, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return WithConnectionAsync("Setting the modification time", full, async c =>
        {
            var handle = await c.CreateAsync(full, SmbAccess.WriteAttributes | SmbAccess.ReadAttributes, SmbAccess.Open, 0, cancellationToken).ConfigureAwait(false);
            try
            {
                await handle.SetLastWriteTimeAsync(time, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await handle.CloseQuietlyAsync().ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    /// <summary>Nothing to release: the session belongs to the provider, which logs it off.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
