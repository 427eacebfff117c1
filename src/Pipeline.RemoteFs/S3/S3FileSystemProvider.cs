using System.Collections.Concurrent;
using Amazon.S3;

namespace Pipeline.RemoteFs.S3;

/// <summary>
/// Serves <c>s3://bucket/prefix</c> (AWS S3 or any S3-compatible server) and <c>gs://bucket/prefix</c> (Google Cloud
/// Storage through its S3-compatible API at https://storage.googleapis.com, with HMAC keys, path-style).
/// Settings (from <see cref="RemoteConnectionOptions.Settings"/> or the URI's query): <c>region</c>;
/// <c>endpoint</c> = the URL of an S3-compatible server (<c>http://127.0.0.1:9000</c>); <c>path_style</c> = true to
/// address buckets in the path (the default when <c>endpoint</c> is set); <c>profile</c> = an AWS profile name;
/// <c>part_size</c> = bytes per multipart part (default 8M, at least 5M); <c>upload_concurrency</c> = parts in flight
/// per upload (default 4); <c>page_size</c> = keys per list request (default 1000); <c>list_version</c> = 1 for servers without ListObjectsV2; <c>batch_delete</c> = false for
/// servers without DeleteObjects (the default for gs://), whose deletes then go one object per request,
/// <c>delete_concurrency</c> at once (default 8); <c>check_bucket</c> = false to skip the listing that
/// connecting does to prove the credentials and the bucket; <c>presigned_reads</c> = false to read objects through the
/// SDK's GetObject only (by default a read is a plain GET of a URL the SDK presigns, which costs far less CPU per
/// object, and falls back to GetObject on any failure).
/// Credentials: the credential's user name and password as access key and secret key; without one, the named
/// profile, else the SDK's default chain (environment, shared profiles, instance roles). Clients are pooled per
/// server and credential for the provider's lifetime.
/// </summary>
public sealed class S3FileSystemProvider : IRemoteFileSystemProvider, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Clients>> _clients = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IReadOnlyCollection<string> Schemes { get; } = ["s3", "gs"];

    /// <inheritdoc />
    /// <remarks>Lists one key of the bucket (unless <c>check_bucket=false</c>), so that wrong credentials or a missing bucket fail here.</remarks>
    public async Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var settings = S3Settings.From(endpoint, options);
        var clients = _clients.GetOrAdd(settings.PoolKey, _ => new Lazy<Clients>(() => Clients.Create(settings))).Value;
        var fileSystem = new S3FileSystem(clients.Sdk, settings, settings.PresignedReads ? clients.Presigned : null);
        if (settings.CheckBucket)
        {
            await fileSystem.ListPageAsync("Connect", "", null, 1, null, cancellationToken).ConfigureAwait(false);
        }
        return fileSystem;
    }

    /// <summary>Releases every pooled client.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var clients in _clients.Values.Where(c => c.IsValueCreated))
        {
            clients.Value.Presigned.Dispose();
            clients.Value.Sdk.Dispose();
        }
        _clients.Clear();
        return ValueTask.CompletedTask;
    }

    /// <summary>The SDK's client of one server and identity, and the presigned reader beside it.</summary>
    private sealed record Clients(AmazonS3Client Sdk, S3PresignedReader Presigned)
    {
        public static Clients Create(S3Settings settings)
        {
            var sdk = settings.CreateClient();
            return new Clients(sdk, new S3PresignedReader(sdk, settings));
        }
    }
}
