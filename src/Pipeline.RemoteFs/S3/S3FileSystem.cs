using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Pipeline.RemoteFs.S3;

/// <summary>
/// An S3 bucket (or a prefix of it) behind the <see cref="IRemoteFileSystem"/> interface: <c>s3://bucket/prefix</c>,
/// or <c>gs://bucket/prefix</c> through Google Cloud Storage's S3-compatible API. Directories are key prefixes
/// ending in '/'; <see cref="CreateDirectoryAsync"/> writes an empty marker object so that an empty directory
/// exists. Paths resolve against the endpoint's path; the key of <c>/a/b.txt</c> is <c>a/b.txt</c>.
/// </summary>
public sealed class S3FileSystem : IRemoteFileSystem
{
    private const int DeleteBatch = 1000;
    private readonly IAmazonS3 _client;
    private readonly S3Settings _settings;
    private readonly S3PresignedReader? _presigned;

    /// <param name="client">The SDK's client (pooled by the provider).</param>
    /// <param name="settings">This file system's settings.</param>
    /// <param name="presigned">Reads objects by presigned GETs first, or null to read through the SDK only.</param>
    internal S3FileSystem(IAmazonS3 client, S3Settings settings, S3PresignedReader? presigned = null)
    {
        _client = client;
        _settings = settings;
        _presigned = presigned;
    }

    /// <inheritdoc />
    public RemoteEndpoint Endpoint => _settings.Endpoint;

    /// <inheritdoc />
    public RemoteCapabilities Capabilities => RemoteCapabilities.RangedRead | RemoteCapabilities.ServerSideCopy | RemoteCapabilities.NativeChecksum;

    private string Bucket => _settings.Bucket;

    /// <summary>Bytes per multipart part of uploads, so a transfer can predict the multipart ETag it will get.</summary>
    internal int PartSize => _settings.PartSize;

    private string Resolve(string path) => RemotePath.Combine(Endpoint.Path, path);

    /// <summary>The object key of a resolved path ("/a/b" → "a/b"; the root → "").</summary>
    private static string KeyOf(string fullPath) => fullPath.TrimStart('/');

    /// <summary>The prefix under which a directory's content lives ("" for the root).</summary>
    private static string PrefixOf(string fullPath) => KeyOf(fullPath) is { Length: > 0 } key ? key + "/" : "";

    private async Task<T> Call<T>(string operation, string? key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RemoteFsException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw S3Errors.Map(ex, operation, _settings, key, cancellationToken);
        }
    }

    internal Task<T> CallAsync<T>(string operation, string? key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        Call(operation, key, call, cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        options ??= new ListOptions();
        var root = Resolve(path);
        var prefix = PrefixOf(root);
        var glob = options.Filter is null ? null : Glob.Compile(options.Filter);
        var seenDirectories = new HashSet<string>(StringComparer.Ordinal);
        var any = false;
        string? token = null;
        do
        {
            var page = await ListPageAsync("List", prefix, options.Recursive ? null : "/", _settings.PageSize, token, cancellationToken).ConfigureAwait(false);
            var items = new List<RemoteItem>();
            foreach (var common in page.CommonPrefixes)
            {
                any = true;
                var directory = "/" + common.TrimEnd('/');
                if (seenDirectories.Add(directory)) items.Add(new RemoteItem(directory, true, 0, null));
            }
            foreach (var entry in page.Objects)
            {
                any = true;
                if (entry.Key == prefix) continue; // the directory's own marker
                var relative = entry.Key[prefix.Length..];
                // Parents between the listed directory and a deep key exist as prefixes only: report each once.
                for (var slash = relative.IndexOf('/'); slash >= 0 && slash < relative.Length - 1; slash = relative.IndexOf('/', slash + 1))
                {
                    var directory = "/" + prefix + relative[..slash];
                    if (seenDirectories.Add(directory)) items.Add(new RemoteItem(directory, true, 0, null));
                }
                if (entry.Key.EndsWith('/'))
                {
                    var directory = "/" + entry.Key.TrimEnd('/');
                    if (seenDirectories.Add(directory)) items.Add(new RemoteItem(directory, true, 0, null));
                    continue;
                }
                items.Add(new RemoteItem("/" + entry.Key, false, entry.Size ?? 0, ToOffset(entry.LastModified)) { ETag = entry.ETag });
            }
            foreach (var item in items)
            {
                if (item.IsDirectory && !options.IncludeDirectories) continue;
                if (glob is not null && !glob.IsMatch(item.Path[(prefix.Length + 1)..])) continue;
                yield return item;
            }
            token = page.Next;
        }
        while (token is not null);

        if (!any && prefix.Length > 0)
        {
            // An empty listing is an empty directory only when its marker exists; a file is not a directory.
            var item = await StatAsync(root, cancellationToken).ConfigureAwait(false);
            if (item is null) throw new RemoteFsException(RemoteErrorKind.NotFound, $"List of s3 prefix '{Bucket}/{prefix}' at {_settings.Server} found no such directory", root, Endpoint);
            if (!item.IsDirectory) throw new RemoteFsException(RemoteErrorKind.Conflict, $"List of s3 prefix '{Bucket}/{prefix}': it is a file, not a directory", root, Endpoint);
        }
    }

    /// <summary>
    /// One page of keys (and, with a delimiter, common prefixes) under <paramref name="prefix"/>, starting where
    /// <paramref name="token"/> says the previous page stopped (a continuation token for ListObjectsV2, a marker for version 1).
    /// </summary>
    internal async Task<ListPage> ListPageAsync(string operation, string prefix, string? delimiter, int maxKeys, string? token, CancellationToken cancellationToken)
    {
        if (_settings.ListVersion == 2)
        {
            var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix, Delimiter = delimiter, MaxKeys = maxKeys, ContinuationToken = token };
            var page = await Call(operation, prefix, ct => _client.ListObjectsV2Async(request, ct), cancellationToken).ConfigureAwait(false);
            return new ListPage(page.CommonPrefixes ?? [], page.S3Objects ?? [], page.IsTruncated == true ? page.NextContinuationToken : null);
        }
        var v1 = new ListObjectsRequest { BucketName = Bucket, Prefix = prefix, Delimiter = delimiter, MaxKeys = maxKeys, Marker = token };
        var response = await Call(operation, prefix, ct => _client.ListObjectsAsync(v1, ct), cancellationToken).ConfigureAwait(false);
        var prefixes = response.CommonPrefixes ?? [];
        var objects = response.S3Objects ?? [];
        string? next = null;
        if (response.IsTruncated == true)
        {
            // Version 1 returns NextMarker only with a delimiter; otherwise the last key is where the next page starts.
            next = !string.IsNullOrEmpty(response.NextMarker) ? response.NextMarker
                : objects.Select(o => o.Key).Concat(prefixes).Max(StringComparer.Ordinal);
        }
        return new ListPage(prefixes, objects, next);
    }

    internal sealed record ListPage(IReadOnlyList<string> CommonPrefixes, IReadOnlyList<S3Object> Objects, string? Next);

    private static DateTimeOffset? ToOffset(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime(), TimeSpan.Zero) : null;

    /// <inheritdoc />
    public async Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        var key = KeyOf(full);
        if (key.Length > 0)
        {
            var head = await Head(key, "Stat", cancellationToken).ConfigureAwait(false);
            if (head is not null)
                return new RemoteItem(full, false, head.ContentLength, ToOffset(head.LastModified)) { ETag = head.ETag };
        }
        // A directory is any prefix with at least one key under it (its marker included); the root always is.
        var page = await ListPageAsync("Stat", PrefixOf(full), null, 1, null, cancellationToken).ConfigureAwait(false);
        return key.Length == 0 || page.Objects.Count > 0 ? new RemoteItem(full, true, 0, null) : null;
    }

    private async Task<GetObjectMetadataResponse?> Head(string key, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (S3Errors.IsMissingObject(ex))
        {
            // HEAD has no body, so a missing bucket also looks like a plain 404: the listing that follows tells them apart.
            return null;
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw S3Errors.Map(ex, operation, _settings, key, cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "The length must not be negative.");
        var key = KeyOf(Resolve(path));
        if (length == 0)
        {
            // HTTP cannot ask for an empty range: check the object exists and hand back nothing.
            if (await Head(key, "Read", cancellationToken).ConfigureAwait(false) is null)
                throw new RemoteFsException(RemoteErrorKind.NotFound, $"Read of s3 object '{Bucket}/{key}' at {_settings.Server} failed: no such object", "/" + key, Endpoint);
            return Stream.Null;
        }
        var presigned = _presigned is null ? default : await _presigned.TryOpenAsync(this, key, offset, length, cancellationToken).ConfigureAwait(false);
        if (presigned.Stream is not null) return presigned.Stream;

        var request = new GetObjectRequest { BucketName = Bucket, Key = key };
        if (offset > 0 || length is not null)
            request.ByteRange = length is { } l ? new ByteRange(offset, offset + l - 1) : new ByteRange($"bytes={offset}-");
        try
        {
            var response = await Call("Read", key, ct => _client.GetObjectAsync(request, ct), cancellationToken).ConfigureAwait(false);
            // The server refused the presigned request but serves the SDK's: read through the SDK from now on.
            if (presigned.Refused) _presigned!.Disable();
            return S3ReadStream.FromSdk(response, this, key, wholeObject: offset == 0 && length is null);
        }
        catch (RemoteFsException ex) when (ex.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable })
        {
            // Reading from the end of an object (a resumed download that was complete) yields nothing, as a file would.
            return Stream.Null;
        }
    }

    internal RemoteFsException ReadFailed(Exception ex, string key, CancellationToken cancellationToken) => S3Errors.Map(ex, "Read", _settings, key, cancellationToken);

    internal RemoteFsException ReadDamaged(string key, string expected, string actual) =>
        new(RemoteErrorKind.Io, $"Read of s3 object '{Bucket}/{key}' at {_settings.Server} received damaged bytes: their MD5 is {actual}, the object's ETag {expected}", "/" + key, Endpoint);

    /// <inheritdoc />
    public async Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new WriteOptions();
        var full = Resolve(path);
        var key = KeyOf(full);
        if (key.Length == 0 || full.EndsWith('/'))
            throw new ArgumentException($"'{path}' names no object: give a file name.", nameof(path));
        if (options.Resume)
            throw new RemoteFsException(RemoteErrorKind.NotSupported, "S3 objects cannot be appended to: an upload cannot resume", full, Endpoint);
        if (!options.Overwrite && await Head(key, "Write", cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, $"Write of s3 object '{Bucket}/{key}' refused: the object already exists", full, Endpoint);
        return new S3WriteStream(this, _client, _settings, full, key, options.Overwrite);
    }

    internal async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken) =>
        await Head(key, "Write", cancellationToken).ConfigureAwait(false) is not null;

    /// <inheritdoc />
    public async Task DeleteFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        var key = KeyOf(full);
        if (key.Length == 0 || await Head(key, "Delete", cancellationToken).ConfigureAwait(false) is null)
        {
            var isDirectory = await StatAsync(full, cancellationToken).ConfigureAwait(false) is { IsDirectory: true };
            throw new RemoteFsException(isDirectory ? RemoteErrorKind.Conflict : RemoteErrorKind.NotFound,
                $"Delete of s3 object '{Bucket}/{key}' at {_settings.Server} failed: {(isDirectory ? "it is a directory (a prefix), not a file" : "no such object")}", full, Endpoint);
        }
        await Call("Delete", key, ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        var key = KeyOf(full);
        if (key.Length == 0) return;
        if (await Head(key, "Create directory", cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, $"Create directory '{Bucket}/{key}/' refused: an object exists under that name", full, Endpoint);
        // Parents need no markers: a prefix exists as soon as anything lies under it.
        var request = new PutObjectRequest { BucketName = Bucket, Key = key + "/", InputStream = new MemoryStream([]), UseChunkEncoding = false };
        await Call("Create directory", key + "/", ct => _client.PutObjectAsync(request, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        var prefix = PrefixOf(full);
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await ListPageAsync("Delete directory", prefix, null, _settings.PageSize, token, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.Objects)
            {
                if (!recursive && entry.Key != prefix)
                    throw new RemoteFsException(RemoteErrorKind.Conflict, $"Delete directory '{Bucket}/{prefix}' refused: it is not empty (delete it recursively to remove its content)", full, Endpoint);
                keys.Add(entry.Key);
            }
            token = page.Next;
        }
        while (token is not null);
        if (keys.Count == 0)
        {
            if (prefix.Length == 0) return;
            throw new RemoteFsException(RemoteErrorKind.NotFound, $"Delete directory '{Bucket}/{prefix}' at {_settings.Server} failed: no such directory", full, Endpoint);
        }
        await DeleteKeysAsync(keys, "Delete directory", cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteKeysAsync(IReadOnlyList<string> keys, string operation, CancellationToken cancellationToken)
    {
        if (!_settings.BatchDelete)
        {
            await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = _settings.DeleteConcurrency, CancellationToken = cancellationToken }, async (key, ct) =>
                await Call(operation, key, c => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = key }, c), ct).ConfigureAwait(false)).ConfigureAwait(false);
            return;
        }
        foreach (var batch in keys.Chunk(DeleteBatch))
        {
            var request = new DeleteObjectsRequest { BucketName = Bucket, Quiet = true, Objects = batch.Select(k => new KeyVersion { Key = k }).ToList() };
            var response = await Call(operation, batch[0], ct => _client.DeleteObjectsAsync(request, ct), cancellationToken).ConfigureAwait(false);
            if (response.DeleteErrors is { Count: > 0 } errors)
            {
                var first = errors[0];
                var status = first.Code == "AccessDenied" ? HttpStatusCode.Forbidden : HttpStatusCode.InternalServerError;
                throw new RemoteFsException(S3Errors.KindOf(status, first.Code),
                    $"{operation} at {_settings.Server}: {errors.Count} of {batch.Length} objects were not deleted, the first '{Bucket}/{first.Key}': {first.Code} {first.Message}",
                    "/" + first.Key, Endpoint);
            }
        }
    }

    /// <inheritdoc />
    public async Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var source = Resolve(sourcePath);
        var destination = Resolve(destinationPath);
        var sourceKey = KeyOf(source);
        if (sourceKey.Length > 0 && await Head(sourceKey, "Move", cancellationToken).ConfigureAwait(false) is { } head)
        {
            RefuseTooLargeForOneCopy(head, sourceKey, "Move");
            await CopyObjectAsync(sourceKey, KeyOf(destination), overwrite, "Move", cancellationToken).ConfigureAwait(false);
            await Call("Move", sourceKey, ct => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = sourceKey }, ct), cancellationToken).ConfigureAwait(false);
            return;
        }
        // A directory: copy every key under its prefix, then delete the originals (S3 has no rename).
        var sourcePrefix = PrefixOf(source);
        var destinationPrefix = PrefixOf(destination);
        if (sourcePrefix.Length == 0 || destinationPrefix.StartsWith(sourcePrefix, StringComparison.Ordinal))
            throw new ArgumentException($"Cannot move '{source}' into itself ('{destination}').", nameof(destinationPath));
        var keys = new List<string>();
        await foreach (var item in ListAsync(source, new ListOptions { Recursive = true, IncludeDirectories = false }, cancellationToken).ConfigureAwait(false))
            keys.Add(KeyOf(item.Path));
        if (await StatAsync(destination, cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, $"Move of '{Bucket}/{sourcePrefix}' refused: the destination already exists", destination, Endpoint);
        var marker = await Head(sourcePrefix, "Move", cancellationToken).ConfigureAwait(false) is not null;
        if (marker) keys.Add(sourcePrefix);
        if (keys.Count == 0)
            throw new RemoteFsException(RemoteErrorKind.NotFound, $"Move of '{Bucket}/{sourcePrefix}' at {_settings.Server} failed: no such object or directory", source, Endpoint);
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (key, ct) =>
            await CopyObjectAsync(key, destinationPrefix + key[sourcePrefix.Length..], overwrite: true, "Move", ct).ConfigureAwait(false)).ConfigureAwait(false);
        await DeleteKeysAsync(keys, "Move", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default)
    {
        var sourceKey = KeyOf(Resolve(sourcePath));
        var head = sourceKey.Length == 0 ? null : await Head(sourceKey, "Copy", cancellationToken).ConfigureAwait(false);
        if (head is null)
            throw new RemoteFsException(RemoteErrorKind.NotFound, $"Copy of s3 object '{Bucket}/{sourceKey}' at {_settings.Server} failed: no such object", "/" + sourceKey, Endpoint);
        RefuseTooLargeForOneCopy(head, sourceKey, "Copy");
        await CopyObjectAsync(sourceKey, KeyOf(Resolve(destinationPath)), overwrite, "Copy", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>CopyObject takes at most 5 GiB; larger objects would need a multipart copy (UploadPartCopy), not done here.</summary>
    private void RefuseTooLargeForOneCopy(GetObjectMetadataResponse head, string key, string operation)
    {
        if (head.ContentLength > S3Settings.MaximumPartSize)
            throw new RemoteFsException(RemoteErrorKind.NotSupported,
                $"{operation} of s3 object '{Bucket}/{key}' ({head.ContentLength} bytes) is not done server-side: CopyObject takes at most 5 GiB; download and upload it instead", "/" + key, Endpoint);
    }

    private async Task CopyObjectAsync(string sourceKey, string destinationKey, bool overwrite, string operation, CancellationToken cancellationToken)
    {
        if (destinationKey.Length == 0)
            throw new ArgumentException("The destination names no object: give a file name.", nameof(destinationKey));
        if (!overwrite && await Head(destinationKey, operation, cancellationToken).ConfigureAwait(false) is not null)
            throw new RemoteFsException(RemoteErrorKind.Conflict, $"{operation} to s3 object '{Bucket}/{destinationKey}' refused: the destination already exists", "/" + destinationKey, Endpoint);
        var request = new CopyObjectRequest { SourceBucket = Bucket, SourceKey = sourceKey, DestinationBucket = Bucket, DestinationKey = destinationKey };
        await Call(operation, sourceKey, ct => _client.CopyObjectAsync(request, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// MD5 is native when the object's ETag is its MD5: a single-part upload without KMS encryption, whose ETag is
    /// 32 hex digits (a multipart ETag carries a '-' and a part count). Everything else is computed by reading.
    /// </remarks>
    public async Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default)
    {
        var full = Resolve(path);
        var key = KeyOf(full);
        if (algorithm == ChecksumAlgorithm.Md5)
        {
            var head = await Head(key, "Checksum", cancellationToken).ConfigureAwait(false)
                ?? throw new RemoteFsException(RemoteErrorKind.NotFound, $"Checksum of s3 object '{Bucket}/{key}' at {_settings.Server} failed: no such object", full, Endpoint);
            if (head.ETag?.Trim('"') is { Length: 32 } etag && etag.All(char.IsAsciiHexDigit))
                return new FileChecksum(algorithm, etag.ToLowerInvariant(), Native: true);
        }
        await using var stream = await OpenReadAsync(full, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new FileChecksum(algorithm, await Local.Checksums.ComputeAsync(stream, algorithm, cancellationToken).ConfigureAwait(false), Native: false);
    }

    /// <inheritdoc />
    /// <remarks>The client is pooled by the provider and outlives this file system.</remarks>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
