using System.Collections.Concurrent;

namespace Pipeline.RemoteFs.Azure;

/// <summary>
/// Serves <c>az://account/container/path</c> over the Blob service REST API with a client of this library's own.
/// Settings (from <see cref="RemoteConnectionOptions.Settings"/>): <c>connection_string</c> (including
/// <c>UseDevelopmentStorage=true</c>), <c>account_key</c>, <c>sas</c> (a SAS token, also accepted as the URI's
/// query), or the credential's password as the account key; <c>endpoint</c> = the service URL (for example
/// <c>http://127.0.0.1:10000/devstoreaccount1</c> for Azurite; <c>https://account.blob.core.windows.net</c> unless
/// given); <c>create_container</c> = true to create a missing container on connect; <c>block_size</c> (bytes, 8 MiB
/// by default) and <c>parallel_blocks</c> (4) for uploads; <c>max_results</c> = the List Blobs page size.
/// HTTP connections are pooled per service and credential for the provider's lifetime.
/// </summary>
public sealed class AzureBlobFileSystemProvider : IRemoteFileSystemProvider, IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<HttpClient>> _clients = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Action<string>? _trace;

    /// <summary>Creates the provider with the system clock.</summary>
    public AzureBlobFileSystemProvider()
        : this(null, null)
    {
    }

    /// <summary>Creates the provider.</summary>
    /// <param name="timeProvider">The clock for request dates, timeouts and retry delays; the system clock when null.</param>
    /// <param name="requestTrace">Receives one line per request and per answer (operation, status, blob path; never a URL, key or SAS).</param>
    public AzureBlobFileSystemProvider(TimeProvider? timeProvider, Action<string>? requestTrace = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _trace = requestTrace;
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Schemes { get; } = ["az"];

    /// <inheritdoc />
    /// <remarks>
    /// Asks for the container's properties (or creates it with <c>create_container</c>), so that a wrong key or a
    /// missing container fails here.
    /// </remarks>
    /// <exception cref="ArgumentException">A setting is invalid or no credential was given.</exception>
    public async Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var settings = AzureBlobSettings.From(endpoint, options, _time, _trace);
        var http = _clients.GetOrAdd(settings.PoolKey, _ => new Lazy<HttpClient>(() => AzureBlobClient.CreateHttpClient(settings))).Value;
        var client = new AzureBlobClient(settings, http);
        if (settings.CreateContainer)
            await client.CreateContainerAsync(settings.Container, cancellationToken).ConfigureAwait(false);
        else if (!await client.ContainerExistsAsync(settings.Container, cancellationToken).ConfigureAwait(false))
            throw new RemoteFsException(RemoteErrorKind.NotFound, "The container does not exist (set create_container=true to create it)", "/", client.ErrorEndpoint(settings.Container));
        return new AzureBlobFileSystem(client, settings);
    }

    /// <summary>Closes every pooled HTTP connection.</summary>
    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated))
            client.Value.Dispose();
        _clients.Clear();
    }
}
