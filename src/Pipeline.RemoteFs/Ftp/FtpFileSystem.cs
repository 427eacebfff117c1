using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Pipeline.RemoteFs.Local;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// An FTP or FTPS server behind the <see cref="IRemoteFileSystem"/> interface. Paths are the server's paths
/// ('/'-separated, absolute from the server's root, which for a chrooted user is their home); relative paths
/// resolve against the endpoint's path. Control connections come from a pool shared by every file system of the
/// same endpoint and credential.
/// </summary>
public sealed class FtpFileSystem : IRemoteFileSystem
{
    private readonly FtpConnectionPool _pool;
    private readonly bool _ownsPool;
    private readonly FtpFeatures _features;

    // Directories seen to exist, so that a run of uploads into one directory checks it once. Forgotten when this
    // client deletes or moves them; an upload that fails in a remembered directory forgets it and tries again.
    private readonly ConcurrentDictionary<string, bool> _knownDirectories = new(StringComparer.Ordinal);

    internal FtpFileSystem(RemoteEndpoint endpoint, FtpConnectionPool pool, FtpFeatures features, bool ownsPool)
    {
        Endpoint = endpoint;
        _pool = pool;
        _features = features;
        _ownsPool = ownsPool;
    }

    private FtpSettings Settings => _pool.Settings;

    /// <inheritdoc />
    public RemoteEndpoint Endpoint { get; }

    /// <inheritdoc />
    public RemoteCapabilities Capabilities =>
        RemoteCapabilities.RangedRead | RemoteCapabilities.AtomicRename | RemoteCapabilities.Directories |
        RemoteCapabilities.ResumableUpload | RemoteCapabilities.SymbolicLinks |
        (NativeHashCommand(ChecksumAlgorithm.Sha256, _features) is not null || NativeHashCommand(ChecksumAlgorithm.Md5, _features) is not null
            ? RemoteCapabilities.NativeChecksum : RemoteCapabilities.None);

    /// <summary>The features the server announced (FEAT), for diagnostics.</summary>
    public IReadOnlyCollection<string> ServerFeatures => _features.Names.ToArray();

    private string Resolve(string path) => RemotePath.Combine(Endpoint.Path, path);

    /// <inheritdoc />
    public async IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new ListOptions();
        var root = Resolve(path);
        var glob = options.Filter is null ? null : Glob.Compile(options.Filter);
        var pending = new Queue<string>();
        pending.Enqueue(root);
        while (pending.Count > 0)
        {
            var directory = pending.Dequeue();
            var entries = await WithConnectionAsync("Listing", directory,
                c => ListDirectoryAsync(c, directory, isRoot: directory == root, cancellationToken), cancellationToken).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                if (entry.Kind is FtpEntryKind.Current or FtpEntryKind.Parent || entry.Name.Length == 0 || entry.Name.Contains('/')) continue;
                var item = ToItem(entry, RemotePath.Combine(directory, entry.Name));
                if (item.IsDirectory && options.Recursive) pending.Enqueue(item.Path);
                if (item.IsDirectory && !options.IncludeDirectories) continue;
                if (glob is not null && !glob.IsMatch(Relative(root, item.Path))) continue;
                yield return item;
            }
        }
    }

    private static string Relative(string root, string path) => root == "/" ? path[1..] : path[(root.Length + 1)..];

    private static RemoteItem ToItem(FtpListEntry entry, string path) =>
        new(path, entry.Kind == FtpEntryKind.Directory, entry.Kind == FtpEntryKind.Directory ? 0 : entry.Size, entry.Modified)
        {
            IsSymbolicLink = entry.Kind == FtpEntryKind.SymbolicLink,
            Permissions = entry.UnixMode,
        };

    private async Task<IReadOnlyList<FtpListEntry>> ListDirectoryAsync(FtpControlConnection c, string directory, bool isRoot, CancellationToken cancellationToken)
    {
        FtpDataConnection data;
        bool mlsd = c.Features.Mlst;
        try
        {
            if (mlsd)
            {
                data = await FtpDataConnection.OpenAsync(c, "MLSD " + directory, 0, "Listing", directory, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // LIST takes options and globs in its argument on most servers, so list the working directory instead.
                await ChangeDirectoryAsync(c, directory, "Listing", cancellationToken).ConfigureAwait(false);
                try
                {
                    data = await FtpDataConnection.OpenAsync(c, "LIST -a", 0, "Listing", directory, cancellationToken).ConfigureAwait(false);
                }
                catch (RemoteFsException ex) when (ex.Kind is RemoteErrorKind.Protocol or RemoteErrorKind.NotFound or RemoteErrorKind.NotSupported && !c.IsBroken)
                {
                    data = await FtpDataConnection.OpenAsync(c, "LIST", 0, "Listing", directory, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound && isRoot && !c.IsBroken)
        {
            if (await SizeAsync(c, directory, cancellationToken).ConfigureAwait(false) is not null)
                throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot list a file as a directory", directory, Endpoint, ex);
            throw new RemoteFsException(RemoteErrorKind.NotFound, "Directory not found", directory, Endpoint, ex);
        }
        var text = await ReadAllAsync(data, cancellationToken).ConfigureAwait(false);
        var now = Settings.Time.GetUtcNow();
        var entries = new List<FtpListEntry>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var entry = mlsd ? FtpListParser.ParseMlsx(line) : FtpListParser.ParseList(line, now);
            if (entry is not null) entries.Add(entry);
        }
        return entries;
    }

    private async Task<string> ReadAllAsync(FtpDataConnection data, CancellationToken cancellationToken)
    {
        await using (data.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await data.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                buffer.Write(chunk, 0, read);
            await data.CompleteAsync(cancellationToken).ConfigureAwait(false);
            return Settings.Encoding.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
    }

    private async Task ChangeDirectoryAsync(FtpControlConnection c, string directory, string operation, CancellationToken cancellationToken)
    {
        var reply = await c.ExecuteAsync("CWD " + directory, cancellationToken).ConfigureAwait(false);
        if (!reply.IsSuccess)
            throw FtpErrors.FromReply(reply, operation, directory, Endpoint);
    }

    private async Task<bool> IsDirectoryAsync(FtpControlConnection c, string path, CancellationToken cancellationToken, bool useKnown = false)
    {
        if (path == "/" || (useKnown && _knownDirectories.ContainsKey(path))) return true;
        var exists = (await c.ExecuteAsync("CWD " + path, cancellationToken).ConfigureAwait(false)).IsSuccess;
        if (exists) _knownDirectories[path] = true;
        return exists;
    }

    private void ForgetDirectories(string path)
    {
        foreach (var known in _knownDirectories.Keys)
            if (known == path || known.StartsWith(path + "/", StringComparison.Ordinal))
                _knownDirectories.TryRemove(known, out _);
    }

    /// <summary>A file's size by SIZE, or null when the server says it has none (no such file, a directory).</summary>
    internal static async Task<long?> SizeAsync(FtpControlConnection c, string path, CancellationToken cancellationToken)
    {
        var reply = await c.ExecuteAsync("SIZE " + path, cancellationToken).ConfigureAwait(false);
        return ParseSize(reply);
    }

    private static long? ParseSize(FtpReply reply) =>
        reply.Code == 213 && long.TryParse(reply.Text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;

    /// <inheritdoc />
    public Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (full == "/") return Task.FromResult<RemoteItem?>(new RemoteItem("/", true, 0, null));
        return WithConnectionAsync("Stat", full, c => StatAsync(c, full, cancellationToken), cancellationToken);
    }

    private async Task<RemoteItem?> StatAsync(FtpControlConnection c, string full, CancellationToken cancellationToken)
    {
        if (full == "/") return new RemoteItem("/", true, 0, null);
        if (c.Features.Mlst)
        {
            var reply = await c.ExecuteAsync("MLST " + full, cancellationToken).ConfigureAwait(false);
            if (reply.IsSuccess)
            {
                var factLine = reply.InnerLines.FirstOrDefault(l => l.StartsWith(' ')) ?? reply.InnerLines.FirstOrDefault();
                if (factLine is not null && FtpListParser.ParseMlsx(factLine.TrimStart()) is { } entry)
                    return ToItem(entry with { Kind = entry.Kind is FtpEntryKind.Current ? FtpEntryKind.Directory : entry.Kind }, full);
            }
            else if (reply.Code == 550)
            {
                return null;
            }
        }
        if (c.Features.Size)
        {
            if (await SizeAsync(c, full, cancellationToken).ConfigureAwait(false) is { } size)
                return new RemoteItem(full, false, size, await ModifiedAsync(c, full, cancellationToken).ConfigureAwait(false));
            if (!await IsDirectoryAsync(c, full, cancellationToken).ConfigureAwait(false))
                return null;
            // A directory: its time, link flag and mode are only in its parent's listing.
            var parentEntry = await FindInParentAsync(c, full, cancellationToken).ConfigureAwait(false);
            return parentEntry is null ? new RemoteItem(full, true, 0, null) : ToItem(parentEntry with { Kind = FtpEntryKind.Directory }, full);
        }
        var found = await FindInParentAsync(c, full, cancellationToken).ConfigureAwait(false);
        return found is null ? null : ToItem(found, full);
    }

    private async Task<FtpListEntry?> FindInParentAsync(FtpControlConnection c, string full, CancellationToken cancellationToken)
    {
        IReadOnlyList<FtpListEntry> entries;
        try
        {
            entries = await ListDirectoryAsync(c, RemotePath.GetParent(full), isRoot: false, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteFsException ex) when (ex.Kind is RemoteErrorKind.NotFound or RemoteErrorKind.PermissionDenied && !c.IsBroken)
        {
            return null;
        }
        var name = RemotePath.GetName(full);
        return entries.FirstOrDefault(e => e.Name == name);
    }

    private static async Task<DateTimeOffset?> ModifiedAsync(FtpControlConnection c, string path, CancellationToken cancellationToken)
    {
        if (!c.Features.Mdtm) return null;
        var reply = await c.ExecuteAsync("MDTM " + path, cancellationToken).ConfigureAwait(false);
        return reply.Code == 213 ? FtpListParser.ParseTimeVal(reply.Text) : null;
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "The length cannot be negative.");
        var full = Resolve(path);
        return await WithConnectionAsync("Download", full, async c =>
        {
            long? size = null;
            if (c.Features.Size && offset > 0)
            {
                size = await SizeAsync(c, full, cancellationToken).ConfigureAwait(false);
                if (size is null)
                    throw await DescribeMissingFileAsync(c, full, "Download", cancellationToken).ConfigureAwait(false);
                if (offset > size)
                    throw new RemoteFsException(RemoteErrorKind.Io, $"Cannot read from offset {offset}: the file has {size} bytes", full, Endpoint);
            }
            FtpDataConnection data;
            try
            {
                // From the start, SIZE goes out with the transfer (one packet when pipelining) and is checked once it runs.
                data = await FtpDataConnection.OpenAsync(c, "RETR " + full, offset, "Download", full, cancellationToken,
                    preface: c.Features.Size && offset == 0 ? "SIZE " + full : null).ConfigureAwait(false);
            }
            catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound && !c.IsBroken)
            {
                throw await DescribeMissingFileAsync(c, full, "Download", cancellationToken).ConfigureAwait(false);
            }
            if (data.PrefaceReply is { } sizeReply && (size = ParseSize(sizeReply)) is null)
            {
                await data.DisposeAsync().ConfigureAwait(false);
                throw await DescribeMissingFileAsync(c, full, "Download", cancellationToken).ConfigureAwait(false);
            }
            return (Stream)new FtpReadStream(_pool, c, data, full, size - offset, length);
        }, cancellationToken, keepConnection: true).ConfigureAwait(false);
    }

    // A file operation failed as if the file were missing: tell a directory, a missing file and a refusal apart.
    private async Task<RemoteFsException> DescribeMissingFileAsync(FtpControlConnection c, string full, string operation, CancellationToken cancellationToken)
    {
        if (await IsDirectoryAsync(c, full, cancellationToken).ConfigureAwait(false))
            return new RemoteFsException(RemoteErrorKind.Conflict, $"{operation} failed: is a directory, not a file", full, Endpoint);
        var parent = RemotePath.GetParent(full);
        var entry = await FindInParentAsync(c, full, cancellationToken).ConfigureAwait(false);
        return entry is null
            ? new RemoteFsException(RemoteErrorKind.NotFound, $"{operation} failed: file not found", full, Endpoint)
            : new RemoteFsException(RemoteErrorKind.PermissionDenied, $"{operation} failed: the server refused access to the file in {parent}", full, Endpoint);
    }

    /// <inheritdoc />
    public async Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WriteOptions();
        var full = Resolve(path);
        if (full == "/") throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot write to the root directory", full, Endpoint);
        var parent = RemotePath.GetParent(full);
        var name = RemotePath.GetName(full);
        return await WithConnectionAsync("Upload", full, async c =>
        {
            if (!options.Overwrite && await StatAsync(c, full, cancellationToken).ConfigureAwait(false) is not null)
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The file already exists", full, Endpoint);
            var parentWasKnown = _knownDirectories.ContainsKey(parent);
            await EnsureParentAsync(c, parent, full, options.CreateParents, cancellationToken).ConfigureAwait(false);
            string temporary;
            long start = 0;
            if (options.Resume)
            {
                // A fixed name, so that the next attempt finds what this one leaves behind.
                temporary = RemotePath.Combine(parent, $".{name}.partial");
                start = await SizeAsync(c, temporary, cancellationToken).ConfigureAwait(false) ?? 0;
                if (start == 0 && await SizeAsync(c, full, cancellationToken).ConfigureAwait(false) is > 0)
                {
                    // Appending to a finished file: continue it under the partial name, and put it back on commit.
                    await RenameAsync(c, full, temporary, overwrite: true, cancellationToken).ConfigureAwait(false);
                    start = await SizeAsync(c, temporary, cancellationToken).ConfigureAwait(false) ?? 0;
                }
            }
            else
            {
                temporary = RemotePath.TemporarySibling(full);
            }
            var command = (start > 0 ? "APPE " : "STOR ") + temporary;
            FtpDataConnection data;
            try
            {
                data = await FtpDataConnection.OpenAsync(c, command, 0, "Upload", full, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteFsException ex) when (parentWasKnown && !ex.IsTransient && !c.IsBroken)
            {
                // The remembered parent may have been removed by someone else: check it for real and try once more.
                ForgetDirectories(parent);
                await EnsureParentAsync(c, parent, full, options.CreateParents, cancellationToken).ConfigureAwait(false);
                data = await FtpDataConnection.OpenAsync(c, command, 0, "Upload", full, cancellationToken).ConfigureAwait(false);
            }
            return (RemoteWriteStream)new FtpWriteStream(this, _pool, c, data, full, temporary, options.Overwrite, options.Resume, start);
        }, cancellationToken, keepConnection: true).ConfigureAwait(false);
    }

    private async Task EnsureParentAsync(FtpControlConnection c, string parent, string full, bool create, CancellationToken cancellationToken)
    {
        if (create)
            await CreateDirectoryAsync(c, parent, cancellationToken, useKnown: true).ConfigureAwait(false);
        else if (!await IsDirectoryAsync(c, parent, cancellationToken, useKnown: true).ConfigureAwait(false))
            throw new RemoteFsException(RemoteErrorKind.NotFound, "The parent directory does not exist", full, Endpoint);
    }

    /// <summary>Deletes an uncommitted upload's temporary file, on the upload's connection when it is still usable.</summary>
    internal async Task DiscardAsync(FtpControlConnection control, string temporary)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30), Settings.Time);
        var c = control;
        try
        {
            if (c.IsBroken)
            {
                await _pool.ReturnAsync(c).ConfigureAwait(false);
                c = await _pool.RentAsync(limit.Token).ConfigureAwait(false);
            }
            await c.ExecuteAsync("DELE " + temporary, limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RemoteFsException or OperationCanceledException)
        {
            // Best effort: the server is gone; the temporary name never looks like a finished file.
        }
        finally
        {
            await _pool.ReturnAsync(c).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// RNFR/RNTO; with <paramref name="overwrite"/>, a server that refuses to rename over an existing file gets it
    /// deleted first. When pipelining, both go out in one packet: RNTO renames only right after an accepted RNFR, and
    /// a server answers a lone RNTO with 503, so a refused RNFR cannot make RNTO do anything.
    /// </summary>
    internal async Task RenameAsync(FtpControlConnection c, string from, string to, bool overwrite, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            FtpReply rnfr, rnto;
            if (Settings.Pipelining)
            {
                await c.SendAsync(["RNFR " + from, "RNTO " + to], cancellationToken).ConfigureAwait(false);
                rnfr = await c.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                rnto = await c.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                if (rnfr.Code != 350)
                    throw FtpErrors.FromReply(rnfr, "Rename", from, Endpoint);
            }
            else
            {
                rnfr = await c.ExecuteAsync("RNFR " + from, cancellationToken).ConfigureAwait(false);
                if (rnfr.Code != 350)
                    throw FtpErrors.FromReply(rnfr, "Rename", from, Endpoint);
                rnto = await c.ExecuteAsync("RNTO " + to, cancellationToken).ConfigureAwait(false);
            }
            if (rnto.IsSuccess) return;
            if (attempt == 0 && overwrite && await SizeAsync(c, to, cancellationToken).ConfigureAwait(false) is not null)
            {
                await c.ExpectAsync("DELE " + to, "Replace", cancellationToken, to).ConfigureAwait(false);
                continue;
            }
            throw FtpErrors.FromReply(rnto, "Rename", to, Endpoint);
        }
    }

    /// <inheritdoc />
    public Task DeleteFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return WithConnectionAsync("Delete", full, async c =>
        {
            var reply = await c.ExecuteAsync("DELE " + full, cancellationToken).ConfigureAwait(false);
            if (reply.IsSuccess) return true;
            if (reply.Code == 550 && !FtpErrors.KindOf(reply).Equals(RemoteErrorKind.PermissionDenied))
                throw await DescribeMissingFileAsync(c, full, "Delete", cancellationToken).ConfigureAwait(false);
            throw FtpErrors.FromReply(reply, "Delete", full, Endpoint);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        return WithConnectionAsync("Create directory", full, async c =>
        {
            await CreateDirectoryAsync(c, full, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    private async Task CreateDirectoryAsync(FtpControlConnection c, string full, CancellationToken cancellationToken, bool useKnown = false)
    {
        if (await IsDirectoryAsync(c, full, cancellationToken, useKnown).ConfigureAwait(false)) return;
        var reply = await c.ExecuteAsync("MKD " + full, cancellationToken).ConfigureAwait(false);
        if (reply.IsSuccess)
        {
            _knownDirectories[full] = true;
            return;
        }
        if (await SizeAsync(c, full, cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, "A file exists where a directory was asked for", full, Endpoint);
        var parent = RemotePath.GetParent(full);
        if (parent == full || await IsDirectoryAsync(c, parent, cancellationToken).ConfigureAwait(false))
        {
            if (await IsDirectoryAsync(c, full, cancellationToken).ConfigureAwait(false)) return; // made by someone else meanwhile
            // The parent may have been made by someone else only after the MKD failed for want of it: try once more.
            reply = await c.ExecuteAsync("MKD " + full, cancellationToken).ConfigureAwait(false);
            if (reply.IsSuccess || await IsDirectoryAsync(c, full, cancellationToken).ConfigureAwait(false))
            {
                _knownDirectories[full] = true;
                return;
            }
            throw FtpErrors.FromReply(reply, "Create directory", full, Endpoint) is { Kind: RemoteErrorKind.NotFound } notFound
                ? new RemoteFsException(RemoteErrorKind.PermissionDenied, notFound.Message, innerException: notFound)
                : FtpErrors.FromReply(reply, "Create directory", full, Endpoint);
        }
        await CreateDirectoryAsync(c, parent, cancellationToken, useKnown).ConfigureAwait(false);
        var again = await c.ExecuteAsync("MKD " + full, cancellationToken).ConfigureAwait(false);
        // Another client (or another worker of a parallel transfer) may have made it since the first MKD.
        if (!again.IsSuccess && !await IsDirectoryAsync(c, full, cancellationToken).ConfigureAwait(false))
            throw FtpErrors.FromReply(again, "Create directory", full, Endpoint);
        _knownDirectories[full] = true;
    }

    /// <inheritdoc />
    public Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (full == "/") throw new RemoteFsException(RemoteErrorKind.PermissionDenied, "Refusing to delete the root directory", full, Endpoint);
        ForgetDirectories(full);
        return WithConnectionAsync("Delete directory", full, async c =>
        {
            if (!await IsDirectoryAsync(c, full, cancellationToken).ConfigureAwait(false))
            {
                throw await SizeAsync(c, full, cancellationToken).ConfigureAwait(false) is not null
                    ? new RemoteFsException(RemoteErrorKind.Conflict, "Is a file, not a directory", full, Endpoint)
                    : new RemoteFsException(RemoteErrorKind.NotFound, "Directory not found", full, Endpoint);
            }
            await DeleteDirectoryAsync(c, full, recursive, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    private async Task DeleteDirectoryAsync(FtpControlConnection c, string full, bool recursive, CancellationToken cancellationToken)
    {
        if (recursive)
        {
            foreach (var entry in await ListDirectoryAsync(c, full, isRoot: false, cancellationToken).ConfigureAwait(false))
            {
                if (entry.Kind is FtpEntryKind.Current or FtpEntryKind.Parent) continue;
                var child = RemotePath.Combine(full, entry.Name);
                if (entry.Kind == FtpEntryKind.Directory)
                    await DeleteDirectoryAsync(c, child, recursive: true, cancellationToken).ConfigureAwait(false);
                else
                    await c.ExpectAsync("DELE " + child, "Delete", cancellationToken, child).ConfigureAwait(false);
            }
        }
        // Leave the directory first: some servers refuse to remove the working directory.
        await c.ExecuteAsync("CWD " + RemotePath.GetParent(full), cancellationToken).ConfigureAwait(false);
        var reply = await c.ExecuteAsync("RMD " + full, cancellationToken).ConfigureAwait(false);
        if (reply.IsSuccess) return;
        if (!recursive && reply.Code == 550 &&
            (await ListDirectoryAsync(c, full, isRoot: false, cancellationToken).ConfigureAwait(false)).Any(e => e.Kind is not (FtpEntryKind.Current or FtpEntryKind.Parent)))
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The directory is not empty (delete it recursively to remove its content)", full, Endpoint);
        throw FtpErrors.FromReply(reply, "Delete directory", full, Endpoint);
    }

    /// <inheritdoc />
    public Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        return WithConnectionAsync("Move", source, async c =>
        {
            var item = await StatAsync(c, source, cancellationToken).ConfigureAwait(false)
                ?? throw new RemoteFsException(RemoteErrorKind.NotFound, "Move failed: not found", source, Endpoint);
            var existing = await StatAsync(c, destination, cancellationToken).ConfigureAwait(false);
            if (existing is not null && (!overwrite || item.IsDirectory || existing.IsDirectory))
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The destination already exists", destination, Endpoint);
            await CreateDirectoryAsync(c, RemotePath.GetParent(destination), cancellationToken).ConfigureAwait(false);
            if (item.IsDirectory) ForgetDirectories(source);
            await RenameAsync(c, source, destination, overwrite, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>FTP has no server-side copy: the data passes through this client, over two connections.</remarks>
    public async Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var destination = Resolve(destinationPath);
        var source = Resolve(sourcePath);
        await using var input = await OpenReadAsync(source, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var output = await OpenWriteAsync(destination, new WriteOptions { Overwrite = overwrite }, cancellationToken).ConfigureAwait(false);
        await input.CopyToAsync(output, 1 << 18, cancellationToken).ConfigureAwait(false);
        await output.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        if (NativeHashCommand(algorithm, _features) is not null)
        {
            var native = await WithConnectionAsync("Checksum", full, c => NativeChecksumAsync(c, full, algorithm, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (native is not null) return new FileChecksum(algorithm, native, Native: true);
        }
        await using var stream = await OpenReadAsync(full, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new FileChecksum(algorithm, await Checksums.ComputeAsync(stream, algorithm, cancellationToken).ConfigureAwait(false), Native: false);
    }

    private static string HashName(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Sha256 => "SHA-256",
        ChecksumAlgorithm.Sha1 => "SHA-1",
        ChecksumAlgorithm.Sha512 => "SHA-512",
        _ => "MD5",
    };

    /// <summary>The command that makes the server hash a file with <paramref name="algorithm"/>: HASH (with OPTS HASH) or an X command.</summary>
    internal static string? NativeHashCommand(ChecksumAlgorithm algorithm, FtpFeatures features)
    {
        if (features.HashAlgorithms.Contains(HashName(algorithm))) return "HASH";
        var x = algorithm switch
        {
            ChecksumAlgorithm.Sha256 => "XSHA256",
            ChecksumAlgorithm.Sha1 => "XSHA1",
            ChecksumAlgorithm.Sha512 => "XSHA512",
            _ => "XMD5",
        };
        return features.Has(x) ? x : null;
    }

    private async Task<string?> NativeChecksumAsync(FtpControlConnection c, string full, ChecksumAlgorithm algorithm, CancellationToken cancellationToken)
    {
        var command = NativeHashCommand(algorithm, c.Features);
        if (command is null) return null;
        if (command == "HASH")
        {
            var opts = await c.ExecuteAsync("OPTS HASH " + HashName(algorithm), cancellationToken).ConfigureAwait(false);
            if (!opts.IsSuccess) return null;
        }
        var reply = await c.ExecuteAsync(command + " " + full, cancellationToken).ConfigureAwait(false);
        if (reply.Code == 550)
            throw await DescribeMissingFileAsync(c, full, "Checksum", cancellationToken).ConfigureAwait(false);
        if (!reply.IsSuccess) return null;
        return ParseHashReply(reply, algorithm);
    }

    /// <summary>The hex digest in a HASH (<c>213 SHA-256 0-42 abc… name</c>) or X-command (<c>250 abc…</c>) reply.</summary>
    internal static string? ParseHashReply(FtpReply reply, ChecksumAlgorithm algorithm)
    {
        var hexLength = algorithm switch
        {
            ChecksumAlgorithm.Sha256 => 64,
            ChecksumAlgorithm.Sha1 => 40,
            ChecksumAlgorithm.Sha512 => 128,
            _ => 32,
        };
        return reply.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(t => t.Length == hexLength && t.All(char.IsAsciiHexDigit))?.ToLowerInvariant();
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a pooled connection, retrying transient failures (a dropped or stale
    /// connection, a busy server) up to the configured attempts. With <paramref name="keepConnection"/> the action's
    /// result owns the connection on success (a stream) and returns it itself.
    /// </summary>
    private async Task<T> WithConnectionAsync<T>(string operation, string path, Func<FtpControlConnection, Task<T>> action, CancellationToken cancellationToken, bool keepConnection = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            FtpControlConnection? c = null;
            try
            {
                c = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
                var result = await action(c).ConfigureAwait(false);
                if (!keepConnection) await _pool.ReturnAsync(c).ConfigureAwait(false);
                return result;
            }
            catch (RemoteFsException ex) when (ex.IsTransient && attempt < Settings.MaxAttempts)
            {
                if (c is not null) await _pool.ReturnAsync(c).ConfigureAwait(false);
                Settings.Trace?.Invoke($"# {operation} {path}: {ex.Message}; retrying (attempt {attempt + 1} of {Settings.MaxAttempts})");
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), Settings.Time, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                if (c is not null)
                {
                    // An error reply leaves the connection in step; a cancellation or timeout has marked it broken.
                    await _pool.ReturnAsync(c).ConfigureAwait(false);
                }
                throw;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _ownsPool ? _pool.DisposeAsync() : ValueTask.CompletedTask;
}
