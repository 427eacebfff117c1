using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Pipeline.RemoteFs.Local;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// A remote file system over SFTP v3, spoken through the system OpenSSH client. Absolute paths are the server's;
/// <c>/~/…</c> is the login directory, and relative paths resolve against the endpoint's path (or the login
/// directory when the URI has none).
/// </summary>
internal sealed class SftpFileSystem : IRemoteFileSystem
{
    private readonly SftpChannelPool _pool;
    private readonly RemoteConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<ValueTask> _release;
    private readonly string _home;
    private int _disposed;

    public SftpFileSystem(RemoteEndpoint endpoint, RemoteConnectionOptions options, SftpChannelPool pool, SftpChannel first, TimeProvider time, Func<ValueTask> release)
    {
        Endpoint = endpoint;
        _options = options;
        _pool = pool;
        _time = time;
        _release = release;
        _home = first.InitialDirectory;
        Extensions = first.Extensions;
        Limits = first.Limits;
        Capabilities = RemoteCapabilities.RangedRead | RemoteCapabilities.Directories | RemoteCapabilities.ResumableUpload |
                       RemoteCapabilities.SetModificationTime | RemoteCapabilities.SymbolicLinks |
                       (Extensions.ContainsKey(SftpExtensions.PosixRename) ? RemoteCapabilities.AtomicRename : 0) |
                       (Extensions.ContainsKey(SftpExtensions.CopyData) ? RemoteCapabilities.ServerSideCopy : 0);
    }

    public RemoteEndpoint Endpoint { get; }

    public RemoteCapabilities Capabilities { get; }

    /// <summary>The extensions the server offered.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; }

    public SftpLimits Limits { get; }

    /// <summary>The ssh processes this file system's pool runs now.</summary>
    public IReadOnlyList<int> ProcessIds => _pool.ProcessIds;

    /// <summary>Completes when the connections the pool opens in the background have opened (for tests).</summary>
    internal Task WhenPoolGrownAsync() => _pool.WhenGrownAsync();

    private SftpSettings Settings => _pool.Command.Settings;

    private int ReadChunk => (int)Math.Min(Settings.ChunkSize, Limits.MaxReadLength);

    private int WriteChunk => (int)Math.Min(Settings.ChunkSize, Math.Min(Limits.MaxWriteLength, Limits.MaxPacketLength - 1024));

    /// <summary>The server path for a path given to this file system.</summary>
    public string Resolve(string path)
    {
        var text = string.IsNullOrEmpty(path) ? "." : path.Replace('\\', '/');
        if (!text.StartsWith('/'))
        {
            var basePath = Endpoint.Path is "" or "/" ? _home : Endpoint.Path;
            text = basePath.TrimEnd('/') + "/" + text;
        }
        if (text == "/~" || text.StartsWith("/~/", StringComparison.Ordinal))
            text = _home.TrimEnd('/') + text[2..];
        return RemotePath.Normalize(text);
    }

    public async IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new ListOptions();
        var root = Resolve(path);
        var glob = options.Filter is null ? null : Glob.Compile(options.Filter);
        var directories = new Queue<string>([root]);
        var first = true;
        while (directories.Count > 0)
        {
            var directory = directories.Dequeue();
            var isRoot = first;
            first = false;
            var entries = await RunAsync("Listing", directory, async channel =>
            {
                try
                {
                    return await channel.ReadDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
                }
                catch (SftpStatusException) when (isRoot)
                {
                    var attributes = await channel.TryStatAsync(directory, true, cancellationToken).ConfigureAwait(false);
                    if (attributes is null) throw new RemoteFsException(RemoteErrorKind.NotFound, "Directory not found", directory, Endpoint);
                    if (!attributes.Value.IsDirectory) throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot list a file as a directory", directory, Endpoint);
                    throw;
                }
            }, cancellationToken).ConfigureAwait(false);
            foreach (var (name, attributes) in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                var full = directory.TrimEnd('/') + "/" + name;
                var item = attributes.ToItem(full);
                if (attributes.IsSymbolicLink)
                {
                    var target = await RunAsync("Listing", full, channel => channel.TryStatAsync(full, true, cancellationToken), cancellationToken).ConfigureAwait(false);
                    if (target is not null) item = target.Value.ToItem(full) with { IsSymbolicLink = true };
                }
                else if (attributes.IsDirectory && options.Recursive)
                {
                    directories.Enqueue(full); // links to directories are not followed: no loops
                }
                if (item.IsDirectory && !options.IncludeDirectories) continue;
                if (glob is not null && !glob.IsMatch(full[(root.TrimEnd('/').Length + 1)..])) continue;
                yield return item;
            }
        }
    }

    public Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return RunAsync<RemoteItem?>("Stat", full, async channel =>
        {
            var attributes = await channel.TryStatAsync(full, false, cancellationToken).ConfigureAwait(false);
            if (attributes is null) return null;
            if (!attributes.Value.IsSymbolicLink) return attributes.Value.ToItem(full);
            var target = await channel.TryStatAsync(full, true, cancellationToken).ConfigureAwait(false);
            return (target ?? attributes.Value).ToItem(full) with { IsSymbolicLink = true };
        }, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "The length cannot be negative.");
        var full = Resolve(path);
        return RunAsync<Stream>("Opening for reading", full, async channel =>
        {
            var (statAnswer, openAnswer) = await StatAndOpenAsync(channel, full, full, SftpOpenFlags.Read, null, cancellationToken).ConfigureAwait(false);
            SftpAttributes attributes;
            try
            {
                using (statAnswer) attributes = statAnswer.ReadAttributes();
                if (attributes.IsDirectory) throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot read a directory as a file", full, Endpoint);
            }
            catch
            {
                await DiscardOpenedAsync(channel, openAnswer, null).ConfigureAwait(false);
                throw;
            }
            byte[] handle;
            using (openAnswer) handle = openAnswer.ReadHandle();
            var end = length is null ? long.MaxValue : offset + length.Value;
            if (attributes.Flags.HasFlag(SftpAttributeFlags.Size)) end = Math.Min(end, attributes.Size);
            return new SftpReadStream(channel, handle, full, offset, Math.Max(end, offset), ReadChunk, Settings.MaxRequests, Error);
        }, cancellationToken, forTransfer: true);
    }

    public Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WriteOptions();
        var full = Resolve(path);
        if (full == "/") throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot write a file over the root directory", full, Endpoint);
        return RunAsync<RemoteWriteStream>("Opening for writing", full, async channel =>
        {
            if (options.Resume)
            {
                var found = await channel.TryStatAsync(full, true, cancellationToken).ConfigureAwait(false);
                CheckTarget(full, options, found);
                var resumed = await ResumeAsync(channel, full, options, found, cancellationToken).ConfigureAwait(false);
                if (resumed is not null) return resumed;
            }
            var temporary = RemotePath.TemporarySibling(full);
            var (statAnswer, openAnswer) = await StatAndOpenAsync(channel, full, temporary, NewFileFlags, temporary, cancellationToken).ConfigureAwait(false);
            try
            {
                using (statAnswer) CheckTarget(full, options, SftpRequests.ReadStat(statAnswer));
            }
            catch
            {
                await DiscardOpenedAsync(channel, openAnswer, temporary).ConfigureAwait(false);
                throw;
            }
            byte[] handle;
            try
            {
                using (openAnswer) handle = openAnswer.ReadHandle();
            }
            catch (SftpStatusException ex) when (ex.Code == SftpStatusCode.NoSuchFile)
            {
                var parent = RemotePath.GetParent(full);
                if (!options.CreateParents) throw new RemoteFsException(RemoteErrorKind.NotFound, "The parent directory does not exist", full, Endpoint, ex);
                await EnsureDirectoryAsync(channel, parent, cancellationToken).ConfigureAwait(false);
                handle = await OpenNewAsync(channel, temporary, cancellationToken).ConfigureAwait(false);
            }
            return new SftpWriteStream(this, channel, handle, full, temporary, 0, options, WriteChunk, Settings.MaxRequests, Settings.Fsync);
        }, cancellationToken, forTransfer: true, small: options.ExpectedLength <= (long)WriteChunk * Settings.MaxRequests);
    }

    /// <summary>
    /// Sends a STAT and an OPEN in one write and waits once, for the OPEN's answer (a server answering in order has
    /// answered the STAT by then): one wake-up where two requests in turn cost two. The answers are the caller's; when
    /// the wait is cancelled, a handle the OPEN brings later is closed and <c>removeIfAbandoned</c> (the file the OPEN
    /// creates, if any) removed.
    /// </summary>
    private async Task<(SftpResponse Stat, SftpResponse Open)> StatAndOpenAsync(SftpChannel channel, string statPath, string openPath, SftpOpenFlags flags,
        string? removeIfAbandoned, CancellationToken cancellationToken)
    {
        PendingRequest[] sent;
        using (var stat = SftpRequests.StatRequest(statPath, followLinks: true))
        using (var open = SftpRequests.OpenRequest(openPath, flags))
            sent = channel.Send([stat, open], cancellationToken);
        var (statAnswer, openAnswer) = (sent[0].Task, sent[1].Task);
        try
        {
            await ((Task)openAnswer).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
            var statResponse = await statAnswer.WaitAsync(cancellationToken).ConfigureAwait(false);
            return (statResponse, await openAnswer.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            SftpResponse.DisposeWhenAnswered(statAnswer);
            _ = openAnswer.ContinueWith(t => DiscardOpenedAsync(channel, t.Result, removeIfAbandoned), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    private void CheckTarget(string full, WriteOptions options, SftpAttributes? target)
    {
        if (target is { IsDirectory: true }) throw new RemoteFsException(RemoteErrorKind.Conflict, "A directory exists where the file was to be written", full, Endpoint);
        if (target is not null && !options.Overwrite) throw new RemoteFsException(RemoteErrorKind.Conflict, "The file already exists", full, Endpoint);
    }

    /// <summary>Closes the handle an OPEN answered (if it did) for a transfer that will not go on, and removes <paramref name="remove"/>.</summary>
    private async Task DiscardOpenedAsync(SftpChannel channel, SftpResponse openAnswer, string? remove)
    {
        byte[] handle;
        using (openAnswer)
        {
            if (openAnswer.Type != SftpPacketType.Handle) return;
            handle = openAnswer.ReadHandle();
        }
        await channel.CloseQuietlyAsync(handle).ConfigureAwait(false);
        if (remove is not null) await RemoveQuietlyAsync(channel, remove).ConfigureAwait(false);
    }

    private const SftpOpenFlags NewFileFlags = SftpOpenFlags.Write | SftpOpenFlags.Create | SftpOpenFlags.Exclusive | SftpOpenFlags.Truncate;

    private static Task<byte[]> OpenNewAsync(SftpChannel channel, string path, CancellationToken cancellationToken) =>
        channel.OpenAsync(path, NewFileFlags, cancellationToken);

    /// <summary>
    /// Continues an interrupted upload: the largest partial sibling left by an earlier attempt, or else (as the local
    /// provider does) a copy of the existing file to append to. Null when there is nothing to resume.
    /// </summary>
    private async Task<RemoteWriteStream?> ResumeAsync(SftpChannel channel, string full, WriteOptions options, SftpAttributes? existing, CancellationToken cancellationToken)
    {
        var parent = RemotePath.GetParent(full);
        var pattern = new Regex("^\\." + Regex.Escape(RemotePath.GetName(full)) + "\\.[0-9a-f]{32}\\.partial$", RegexOptions.CultureInvariant);
        List<(string Name, SftpAttributes Attributes)> siblings;
        try
        {
            siblings = await channel.ReadDirectoryAsync(parent, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpStatusException ex) when (ex.Code == SftpStatusCode.NoSuchFile)
        {
            return null;
        }
        var partial = siblings.Where(s => pattern.IsMatch(s.Name) && s.Attributes.IsRegularFile).OrderByDescending(s => s.Attributes.Size).FirstOrDefault();
        if (partial.Name is not null)
        {
            var temporary = parent.TrimEnd('/') + "/" + partial.Name;
            var handle = await channel.OpenAsync(temporary, SftpOpenFlags.Write, cancellationToken).ConfigureAwait(false);
            var size = (await channel.FstatAsync(handle, cancellationToken).ConfigureAwait(false)).Size;
            return new SftpWriteStream(this, channel, handle, full, temporary, size, options, WriteChunk, Settings.MaxRequests, Settings.Fsync);
        }
        if (existing is not { IsRegularFile: true }) return null;
        var copy = RemotePath.TemporarySibling(full);
        var target = await OpenNewAsync(channel, copy, cancellationToken).ConfigureAwait(false);
        var length = await CopyContentAsync(channel, full, target, cancellationToken).ConfigureAwait(false);
        return new SftpWriteStream(this, channel, target, full, copy, length, options, WriteChunk, Settings.MaxRequests, Settings.Fsync);
    }

    /// <summary>Copies a file's content into an open handle: on the server with copy-data, else through this client.</summary>
    private async Task<long> CopyContentAsync(SftpChannel channel, string source, byte[] target, CancellationToken cancellationToken)
    {
        var handle = await channel.OpenAsync(source, SftpOpenFlags.Read, cancellationToken).ConfigureAwait(false);
        try
        {
            var size = (await channel.FstatAsync(handle, cancellationToken).ConfigureAwait(false)).Size;
            if (channel.Supports(SftpExtensions.CopyData))
            {
                await channel.CopyDataAsync(handle, target, 0, cancellationToken).ConfigureAwait(false);
                return size;
            }
            await using var input = new SftpReadStream(channel, handle, source, 0, size, ReadChunk, Settings.MaxRequests, Error);
            var buffer = new byte[WriteChunk];
            long offset = 0;
            int read;
            while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                using var request = new SftpPacketWriter(SftpPacketType.Write, read + 64);
                request.WriteBytes(target);
                request.WriteUInt64((ulong)offset);
                request.WriteBytes(buffer.AsSpan(0, read));
                using var response = await channel.RequestAsync(request, cancellationToken).ConfigureAwait(false);
                response.Expect(SftpPacketType.Status);
                offset += read;
            }
            return offset;
        }
        finally
        {
            await channel.CloseQuietlyAsync(handle).ConfigureAwait(false);
        }
    }

    /// <summary>Moves a finished temporary file to its final name (the commit of an upload).</summary>
    internal async Task RenameIntoPlaceAsync(SftpChannel channel, string temporary, string path, bool overwrite, CancellationToken cancellationToken)
    {
        try
        {
            if (overwrite && channel.Supports(SftpExtensions.PosixRename))
            {
                await channel.PosixRenameAsync(temporary, path, cancellationToken).ConfigureAwait(false);
                return;
            }
            if (overwrite)
            {
                try
                {
                    await channel.RemoveAsync(path, cancellationToken).ConfigureAwait(false);
                }
                catch (SftpStatusException ex) when (ex.Code == SftpStatusCode.NoSuchFile)
                {
                }
            }
            await channel.RenameAsync(temporary, path, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpStatusException ex) when (ex.Code == SftpStatusCode.Failure && !overwrite)
        {
            if (await channel.TryStatAsync(path, false, CancellationToken.None).ConfigureAwait(false) is null) throw;
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The file already exists", path, Endpoint, ex);
        }
    }

    internal async Task RemoveQuietlyAsync(SftpChannel channel, string path)
    {
        try
        {
            await channel.RemoveAsync(path, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SftpStatusException or SftpChannelException or SftpProtocolException)
        {
        }
    }

    public Task DeleteFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return RunAsync("Deleting", full, async channel =>
        {
            try
            {
                await channel.RemoveAsync(full, cancellationToken).ConfigureAwait(false);
            }
            catch (SftpStatusException ex) when (ex.Code != SftpStatusCode.NoSuchFile)
            {
                var attributes = await channel.TryStatAsync(full, false, cancellationToken).ConfigureAwait(false);
                if (attributes is { IsDirectory: true }) throw new RemoteFsException(RemoteErrorKind.Conflict, "Is a directory, not a file", full, Endpoint, ex);
                throw;
            }
            return true;
        }, cancellationToken);
    }

    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return RunAsync("Creating a directory", full, async channel =>
        {
            await EnsureDirectoryAsync(channel, full, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>mkdir -p: the common case (parent exists) costs one request.</summary>
    private async Task EnsureDirectoryAsync(SftpChannel channel, string path, CancellationToken cancellationToken)
    {
        if (path == "/") return;
        try
        {
            await channel.MakeDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (SftpStatusException ex)
        {
            var attributes = await channel.TryStatAsync(path, true, cancellationToken).ConfigureAwait(false);
            if (attributes is { IsDirectory: true }) return;
            if (attributes is not null) throw new RemoteFsException(RemoteErrorKind.Conflict, "A file exists where a directory was asked for", path, Endpoint, ex);
            if (ex.Code != SftpStatusCode.NoSuchFile) throw;
        }
        await EnsureDirectoryAsync(channel, RemotePath.GetParent(path), cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.MakeDirectoryAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (SftpStatusException)
        {
            // made by someone else meanwhile?
            if (await channel.TryStatAsync(path, true, cancellationToken).ConfigureAwait(false) is not { IsDirectory: true }) throw;
        }
    }

    public Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (full == "/") throw new RemoteFsException(RemoteErrorKind.PermissionDenied, "Refusing to delete the root directory", full, Endpoint);
        return RunAsync("Deleting a directory", full, async channel =>
        {
            var attributes = await channel.TryStatAsync(full, false, cancellationToken).ConfigureAwait(false);
            if (attributes is null) throw new RemoteFsException(RemoteErrorKind.NotFound, "Directory not found", full, Endpoint);
            if (!attributes.Value.IsDirectory) throw new RemoteFsException(RemoteErrorKind.Conflict, "Not a directory", full, Endpoint);
            if (recursive)
            {
                await DeleteTreeAsync(channel, full, cancellationToken).ConfigureAwait(false);
                return true;
            }
            try
            {
                await channel.RemoveDirectoryAsync(full, cancellationToken).ConfigureAwait(false);
            }
            catch (SftpStatusException ex) when (ex.Code == SftpStatusCode.Failure)
            {
                var entries = await channel.ReadDirectoryAsync(full, cancellationToken).ConfigureAwait(false);
                if (entries.Count > 0)
                    throw new RemoteFsException(RemoteErrorKind.Conflict, "The directory is not empty (delete it recursively to remove its content)", full, Endpoint, ex);
                throw;
            }
            return true;
        }, cancellationToken);
    }

    private static async Task DeleteTreeAsync(SftpChannel channel, string directory, CancellationToken cancellationToken)
    {
        var entries = await channel.ReadDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
        var removals = new List<Task>();
        foreach (var (name, attributes) in entries)
        {
            var full = directory.TrimEnd('/') + "/" + name;
            if (attributes.IsDirectory) await DeleteTreeAsync(channel, full, cancellationToken).ConfigureAwait(false);
            else removals.Add(channel.RemoveAsync(full, cancellationToken)); // files and links, many in flight
        }
        await Task.WhenAll(removals).ConfigureAwait(false);
        await channel.RemoveDirectoryAsync(directory, cancellationToken).ConfigureAwait(false);
    }

    public Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        return RunAsync("Moving", source, async channel =>
        {
            var from = await channel.TryStatAsync(source, false, cancellationToken).ConfigureAwait(false);
            if (from is null) throw new RemoteFsException(RemoteErrorKind.NotFound, "Not found", source, Endpoint);
            var to = await channel.TryStatAsync(destination, false, cancellationToken).ConfigureAwait(false);
            if (to is not null && (!overwrite || from.Value.IsDirectory || to.Value.IsDirectory))
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination already exists", destination, Endpoint);
            try
            {
                await RenameIntoPlaceAsync(channel, source, destination, overwrite, cancellationToken).ConfigureAwait(false);
            }
            catch (SftpStatusException ex) when (ex.Code == SftpStatusCode.NoSuchFile)
            {
                await EnsureDirectoryAsync(channel, RemotePath.GetParent(destination), cancellationToken).ConfigureAwait(false);
                await RenameIntoPlaceAsync(channel, source, destination, overwrite, cancellationToken).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken);
    }

    public async Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        var attributes = await RunAsync("Copying", source, async channel =>
        {
            var from = await channel.TryStatAsync(source, true, cancellationToken).ConfigureAwait(false);
            if (from is null) throw new RemoteFsException(RemoteErrorKind.NotFound, "File not found", source, Endpoint);
            if (from.Value.IsDirectory) throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot copy a directory as a file", source, Endpoint);
            return from.Value;
        }, cancellationToken).ConfigureAwait(false);
        await using (var output = (SftpWriteStream)await OpenWriteAsync(destination, new WriteOptions { Overwrite = overwrite }, cancellationToken).ConfigureAwait(false))
        {
            if (output.CanCopyOnServer)
            {
                await output.CopyOnServerAsync(source, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await using var input = await OpenReadAsync(source, cancellationToken: cancellationToken).ConfigureAwait(false);
                await input.CopyToAsync(output, WriteChunk, cancellationToken).ConfigureAwait(false);
            }
            await output.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        if (attributes.Flags.HasFlag(SftpAttributeFlags.AccessModificationTime))
        {
            await RunAsync("Copying", destination, async channel =>
            {
                await channel.SetModificationTimeAsync(destination, attributes.AccessTime, attributes.ModificationTime, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default)
    {
        // OpenSSH has no check-file extension: the hash is computed from a (pipelined) re-read.
        await using var stream = await OpenReadAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new FileChecksum(algorithm, await Checksums.ComputeAsync(stream, algorithm, cancellationToken).ConfigureAwait(false), Native: false);
    }

    /// <summary>Free and total bytes of the file system holding <paramref name="path"/> (statvfs@openssh.com), or null when not offered.</summary>
    public async Task<(long Available, long Total)?> GetSpaceAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!Extensions.ContainsKey(SftpExtensions.StatVfs)) return null;
        var full = Resolve(path);
        var (fragment, blocks, available) = await RunAsync("Reading free space", full, channel => channel.StatVfsAsync(full, cancellationToken), cancellationToken).ConfigureAwait(false);
        return ((long)(available * fragment), (long)(blocks * fragment));
    }

    /// <summary>Runs an operation on a pooled channel, again on a fresh one when the connection failed transiently.</summary>
    /// <remarks><paramref name="small"/>: a transfer whose writes all fit in flight at once, which shares an open channel.</remarks>
    private async Task<T> RunAsync<T>(string operation, string path, Func<SftpChannel, Task<T>> action, CancellationToken cancellationToken,
        bool forTransfer = false, bool retry = true, bool small = false)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var channel = await _pool.GetAsync(forTransfer, cancellationToken, small).ConfigureAwait(false);
                return await action(channel).ConfigureAwait(false);
            }
            catch (SftpChannelException ex) when (retry && ex.Kind is RemoteErrorKind.Transient or RemoteErrorKind.Timeout &&
                                                  attempt < _options.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 << Math.Min(attempt - 1, 5)), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SftpStatusException or SftpChannelException or SftpProtocolException)
            {
                throw Error(ex, operation, path);
            }
        }
    }

    /// <summary>A typed error for a failure of <paramref name="operation"/> on <paramref name="path"/>.</summary>
    internal RemoteFsException Error(Exception ex, string operation, string path) => ex switch
    {
        RemoteFsException remote => remote,
        SftpStatusException status => new RemoteFsException(KindOf(status.Code), $"{operation} failed: {Describe(status)}", path, Endpoint, ex),
        SftpChannelException channel => new RemoteFsException(channel.Kind, $"{operation} failed: {channel.Message}", path, Endpoint, ex),
        _ => new RemoteFsException(RemoteErrorKind.Protocol, $"{operation} failed: {ex.Message}", path, Endpoint, ex),
    };

    private static RemoteErrorKind KindOf(SftpStatusCode code) => code switch
    {
        SftpStatusCode.NoSuchFile => RemoteErrorKind.NotFound,
        SftpStatusCode.PermissionDenied => RemoteErrorKind.PermissionDenied,
        SftpStatusCode.BadMessage => RemoteErrorKind.Protocol,
        SftpStatusCode.NoConnection or SftpStatusCode.ConnectionLost => RemoteErrorKind.Transient,
        SftpStatusCode.OpUnsupported => RemoteErrorKind.NotSupported,
        _ => RemoteErrorKind.Io,
    };

    private static string Describe(SftpStatusException status) => status.Code switch
    {
        SftpStatusCode.NoSuchFile => "no such file or directory",
        SftpStatusCode.PermissionDenied => "permission denied",
        SftpStatusCode.Failure => "the server reported a failure" + (status.ServerMessage is "" or "Failure" ? "" : ": " + status.ServerMessage),
        _ => status.Message,
    };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _release().ConfigureAwait(false);
    }
}
