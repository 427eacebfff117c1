namespace Pipeline.RemoteFs;

/// <summary>
/// One remote (or local) file system endpoint. Every provider implements this interface; the engine reaches
/// remote data only through it. Paths are absolute within the endpoint and use '/' as separator.
/// </summary>
/// <remarks>
/// Every operation throws <see cref="RemoteFsException"/> with a <see cref="RemoteErrorKind"/> on failure, and
/// <see cref="OperationCanceledException"/> when its token is cancelled.
/// </remarks>
public interface IRemoteFileSystem : IAsyncDisposable
{
    /// <summary>The endpoint this file system talks to, safe to print.</summary>
    RemoteEndpoint Endpoint { get; }

    /// <summary>What this backend supports natively.</summary>
    RemoteCapabilities Capabilities { get; }

    /// <summary>Lists a directory (or a prefix), optionally recursively and filtered by a glob.</summary>
    IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Describes one item, or returns <c>null</c> when nothing exists at <paramref name="path"/>.</summary>
    Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Opens a file for reading from <paramref name="offset"/>, up to <paramref name="length"/> bytes when given.</summary>
    Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens a file for writing. Nothing appears under <paramref name="path"/> until
    /// <see cref="RemoteWriteStream.CommitAsync"/> succeeds; disposing without committing discards what was written.
    /// </summary>
    Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes a file. Throws <see cref="RemoteErrorKind.NotFound"/> when it does not exist.</summary>
    Task DeleteFileAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Creates a directory and its missing parents; succeeds when it already exists.</summary>
    Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Deletes a directory; with <paramref name="recursive"/> also everything below it.</summary>
    Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default);

    /// <summary>Moves or renames a file within this endpoint.</summary>
    Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default);

    /// <summary>Copies a file within this endpoint, server-side where the backend can.</summary>
    Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// The checksum of a file: the backend's native hash when it has one for <paramref name="algorithm"/>,
    /// otherwise computed by reading the file.
    /// </summary>
    Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default);
}
