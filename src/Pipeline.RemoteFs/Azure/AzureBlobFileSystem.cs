using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Pipeline.RemoteFs.Azure;

/// <summary>
/// One container of an Azure storage account, <c>az://account/container/path</c>, spoken over the Blob REST API.
/// Paths are blob names within the container: absolute paths start at the container root, relative ones at the
/// URI's path. Directories are prefixes: creating one succeeds without a request, and one exists while a blob
/// is under it.
/// </summary>
internal sealed class AzureBlobFileSystem : IRemoteFileSystem
{
    private readonly AzureBlobClient _client;
    private readonly AzureBlobSettings _settings;

    public AzureBlobFileSystem(AzureBlobClient client, AzureBlobSettings settings)
    {
        _client = client;
        _settings = settings;
    }

    private string Container => _settings.Container;

    public RemoteEndpoint Endpoint => _settings.Endpoint;

    public RemoteCapabilities Capabilities => RemoteCapabilities.RangedRead | RemoteCapabilities.ServerSideCopy | RemoteCapabilities.NativeChecksum;

    /// <summary>The path within the container, '/'-rooted and normalized.</summary>
    /// <summary>
    /// The path within the container. Callers that work with URIs pass the URI's path, which starts with the
    /// container (<c>/exports/day/a.csv</c> for <c>az://account/exports/day/a.csv</c>): the container is taken off.
    /// Any other absolute path is within the container already; a relative one is below the endpoint's base path.
    /// </summary>
    private string Resolve(string path) => IsUriPath(path)
        ? RemotePath.WithoutFirstSegment(path)
        : RemotePath.Combine(_settings.BasePath, path);

    /// <summary>Whether a path given by a caller is a URI path (starts with the container's name).</summary>
    private bool IsUriPath(string path) => RemotePath.StartsWithSegment(path, Container, StringComparison.Ordinal);

    /// <summary>An item's path in the caller's terms: a URI path again when the caller gave one.</summary>
    private RemoteItem Outward(RemoteItem item, bool uriPath) =>
        uriPath ? item with { Path = RemotePath.Normalize("/" + Container + item.Path) } : item;

    /// <inheritdoc />
    public async IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var uriPath = IsUriPath(path);
        await foreach (var item in ListWithinAsync(path, options, cancellationToken).ConfigureAwait(false))
            yield return Outward(item, uriPath);
    }

    /// <inheritdoc />
    public async Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default) =>
        await StatWithinAsync(path, cancellationToken).ConfigureAwait(false) is { } item ? Outward(item, IsUriPath(path)) : null;

    /// <summary>The blob name of a file path (no leading '/').</summary>
    private string BlobName(string path, string operation)
    {
        var full = Resolve(path);
        return full == "/"
            ? throw new RemoteFsException(RemoteErrorKind.Conflict, $"{operation}: the container root is not a file", "/", _client.ErrorEndpoint(Container))
            : full[1..];
    }

    /// <summary>The prefix of a directory path: "" for the root, else "dir/".</summary>
    private string DirectoryPrefix(string path)
    {
        var full = Resolve(path);
        return full == "/" ? "" : full[1..] + "/";
    }

    private async IAsyncEnumerable<RemoteItem> ListWithinAsync(string path, ListOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        options ??= new ListOptions();
        var prefix = DirectoryPrefix(path);
        var glob = options.Filter is null ? null : Glob.Compile(options.Filter);
        var seenDirectories = new HashSet<string>(StringComparer.Ordinal);
        string? marker = null;
        do
        {
            var page = await _client.ListAsync(Container, prefix, options.Recursive ? null : "/", marker, _settings.MaxResults, cancellationToken).ConfigureAwait(false);
            if (options.IncludeDirectories)
            {
                foreach (var directory in page.Prefixes)
                {
                    var relative = directory[prefix.Length..].TrimEnd('/');
                    if (seenDirectories.Add(relative) && (glob is null || glob.IsMatch(relative)))
                        yield return new RemoteItem("/" + directory.TrimEnd('/'), true, 0, null);
                }
            }
            foreach (var blob in page.Blobs)
            {
                var relative = blob.Name[prefix.Length..];
                if (options.Recursive && options.IncludeDirectories)
                {
                    // A recursive listing has no prefixes of its own: the directories are implied by the names.
                    for (var slash = relative.IndexOf('/'); slash > 0; slash = relative.IndexOf('/', slash + 1))
                    {
                        var directory = relative[..slash];
                        if (seenDirectories.Add(directory) && (glob is null || glob.IsMatch(directory)))
                            yield return new RemoteItem("/" + prefix + directory, true, 0, null);
                    }
                }
                if (glob is null || glob.IsMatch(relative))
                    yield return ToItem(blob);
            }
            marker = page.NextMarker;
        }
        while (marker is not null);
    }

    private static RemoteItem ToItem(AzureBlobItem blob) =>
        new("/" + blob.Name, false, blob.Length, blob.LastModified) { ETag = blob.ETag };

    private async Task<RemoteItem?> StatWithinAsync(string path, CancellationToken cancellationToken)
    {
        var full = Resolve(path);
        if (full == "/")
            return await _client.ContainerExistsAsync(Container, cancellationToken).ConfigureAwait(false) ? new RemoteItem("/", true, 0, null) : null;
        var blob = await _client.GetPropertiesAsync(Container, full[1..], cancellationToken).ConfigureAwait(false);
        if (blob is not null) return ToItem(blob);
        var page = await _client.ListAsync(Container, full[1..] + "/", "/", null, 1, cancellationToken).ConfigureAwait(false);
        return page.Blobs.Count > 0 || page.Prefixes.Count > 0 ? new RemoteItem(full, true, 0, null) : null;
    }

    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "The length cannot be negative.");
        return _client.DownloadAsync(Container, BlobName(path, "Get blob"), offset, length, cancellationToken);
    }

    public async Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WriteOptions();
        var blob = BlobName(path, "Put blob");
        if (options.Resume)
            throw new RemoteFsException(RemoteErrorKind.NotSupported, "Resuming an upload is not supported by block blobs: write the whole content", "/" + blob, _client.ErrorEndpoint(Container));
        if (!options.Overwrite && await _client.GetPropertiesAsync(Container, blob, cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The blob already exists", "/" + blob, _client.ErrorEndpoint(Container));
        return new AzureBlobWriteStream(_client, Container, blob, "/" + blob, options.Overwrite, _settings.BlockSize, _settings.ParallelBlocks);
    }

    public Task DeleteFileAsync(string path, CancellationToken cancellationToken = default) =>
        _client.DeleteBlobAsync(Container, BlobName(path, "Delete blob"), cancellationToken);

    /// <summary>Directories are prefixes: nothing to create.</summary>
    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default)
    {
        var prefix = DirectoryPrefix(path);
        if (!recursive)
        {
            var page = await _client.ListAsync(Container, prefix, "/", null, 1, cancellationToken).ConfigureAwait(false);
            if (page.Blobs.Count > 0 || page.Prefixes.Count > 0)
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The directory is not empty (delete it recursively)", Resolve(path), _client.ErrorEndpoint(Container));
            return;
        }
        string? marker = null;
        do
        {
            var page = await _client.ListAsync(Container, prefix, null, marker, _settings.MaxResults, cancellationToken).ConfigureAwait(false);
            await Parallel.ForEachAsync(page.Blobs, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (blob, token) =>
                {
                    try
                    {
                        await _client.DeleteBlobAsync(Container, blob.Name, token).ConfigureAwait(false);
                    }
                    catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound)
                    {
                        // Someone else deleted it first: the goal is reached.
                    }
                }).ConfigureAwait(false);
            marker = page.NextMarker;
        }
        while (marker is not null);
    }

    /// <summary>Server-side copy, then delete of the source: a blob cannot be renamed.</summary>
    public async Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        await CopyAsync(sourcePath, destinationPath, overwrite, cancellationToken).ConfigureAwait(false);
        await DeleteFileAsync(sourcePath, cancellationToken).ConfigureAwait(false);
    }

    public async Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = BlobName(sourcePath, "Copy blob");
        var destination = BlobName(destinationPath, "Copy blob");
        // Copy Blob of a missing source answers 404 about the destination's request; say which one is missing.
        if (await _client.GetPropertiesAsync(Container, source, cancellationToken).ConfigureAwait(false) is null)
            throw new RemoteFsException(RemoteErrorKind.NotFound, "Copy blob failed: the source blob does not exist", "/" + source, _client.ErrorEndpoint(Container));
        await _client.CopyBlobAsync(Container, source, destination, overwrite, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>MD5 from the blob's Content-MD5 when it has one; any other algorithm (or no stored MD5) is computed by reading the blob.</summary>
    public async Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default)
    {
        var blob = BlobName(path, "Get blob properties");
        if (algorithm == ChecksumAlgorithm.Md5)
        {
            var properties = await _client.GetPropertiesAsync(Container, blob, cancellationToken).ConfigureAwait(false)
                ?? throw new RemoteFsException(RemoteErrorKind.NotFound, "Get blob properties failed: the blob does not exist", "/" + blob, _client.ErrorEndpoint(Container));
            if (properties.ContentMd5 is { Length: 16 } md5)
                return new FileChecksum(algorithm, Convert.ToHexString(md5).ToLowerInvariant(), Native: true);
        }
        using var hash = IncrementalHash.CreateHash(algorithm switch
        {
            ChecksumAlgorithm.Md5 => HashAlgorithmName.MD5,
            ChecksumAlgorithm.Sha1 => HashAlgorithmName.SHA1,
            ChecksumAlgorithm.Sha512 => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        });
        await using var stream = await _client.DownloadAsync(Container, blob, 0, null, cancellationToken).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            hash.AppendData(buffer, 0, read);
        return new FileChecksum(algorithm, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), Native: false);
    }

    /// <summary>Nothing to release: the HTTP connections belong to the provider's pool.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
