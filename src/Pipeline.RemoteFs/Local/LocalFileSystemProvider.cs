namespace Pipeline.RemoteFs.Local;

/// <summary>Serves <c>file://</c> URIs and plain or UNC paths.</summary>
public sealed class LocalFileSystemProvider : IRemoteFileSystemProvider
{
    /// <inheritdoc />
    public IReadOnlyCollection<string> Schemes { get; } = ["file"];

    /// <inheritdoc />
    public Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default) =>
        Task.FromResult<IRemoteFileSystem>(new LocalFileSystem(endpoint));
}
