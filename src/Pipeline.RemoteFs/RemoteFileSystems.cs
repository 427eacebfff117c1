using System.Collections.Concurrent;
using Pipeline.RemoteFs.Local;

namespace Pipeline.RemoteFs;

/// <summary>The registry of providers by URI scheme; the way the engine and the hosts open an endpoint.</summary>
public sealed class RemoteFileSystems
{
    private readonly ConcurrentDictionary<string, IRemoteFileSystemProvider> _providers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry with every provider this assembly ships.</summary>
    public static RemoteFileSystems CreateDefault()
    {
        var registry = new RemoteFileSystems();
        registry.Register(new LocalFileSystemProvider());
        registry.Register(new Sftp.SftpFileSystemProvider());
        registry.Register(new Ftp.FtpFileSystemProvider());
        registry.Register(new Azure.AzureBlobFileSystemProvider());
        registry.Register(new S3.S3FileSystemProvider());
        registry.Register(new Smb.SmbFileSystemProvider());
        return registry;
    }

    /// <summary>Adds or replaces the provider for its schemes.</summary>
    public void Register(IRemoteFileSystemProvider provider)
    {
        foreach (var scheme in provider.Schemes)
            _providers[scheme] = provider;
    }

    /// <summary>The schemes that can be opened.</summary>
    public IReadOnlyCollection<string> Schemes => _providers.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();

    /// <summary>Opens the file system that serves <paramref name="endpoint"/>.</summary>
    /// <exception cref="RemoteFsException">No provider serves the scheme (<see cref="RemoteErrorKind.NotSupported"/>).</exception>
    public Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!_providers.TryGetValue(endpoint.Scheme, out var provider))
            throw new RemoteFsException(RemoteErrorKind.NotSupported,
                $"No provider serves the scheme '{endpoint.Scheme}://'; known schemes: {string.Join(", ", Schemes)}", endpoint: endpoint);
        return provider.ConnectAsync(endpoint, options ?? new RemoteConnectionOptions(), cancellationToken);
    }
}
