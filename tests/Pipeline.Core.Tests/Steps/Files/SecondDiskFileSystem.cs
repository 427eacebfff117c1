using System.Runtime.CompilerServices;
using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;

namespace Pipeline.Core.Tests.Steps.Files;

/// <summary>
/// A second, real file system for the tests of copies between two file systems: a directory on this disk served as
/// <c>disk2://host/...</c>, with '/'-separated paths from that directory, like a remote endpoint. Only the local
/// provider exists in this repository today; this one lets the streaming path (read, write to a temporary name,
/// commit, verify) run against real files. It cannot set modification times, as most remote endpoints cannot.
/// </summary>
internal sealed class SecondDiskFileSystem : IRemoteFileSystem
{
    private readonly LocalFileSystem _disk;
    private readonly string _root;

    public SecondDiskFileSystem(string root, RemoteEndpoint endpoint)
    {
        _root = Path.GetFullPath(root);
        _disk = new LocalFileSystem(new RemoteEndpoint { Scheme = "file", Path = _root });
        Endpoint = endpoint with { Path = "/" };
    }

    /// <summary>Corrupts the first byte of every file written, to prove that verification catches a bad copy (a fault injection).</summary>
    public bool CorruptWrites { get; init; }

    /// <summary>Called once, after the first chunk of a file was read (to cancel a transfer half-way).</summary>
    public Action? AfterFirstRead { get; init; }

    public RemoteEndpoint Endpoint { get; }

    public RemoteCapabilities Capabilities => RemoteCapabilities.Directories | RemoteCapabilities.AtomicRename;

    private string Native(string path) => Path.Combine(_root, RemotePath.Normalize(path).TrimStart('/'));

    private string Remote(string native) => "/" + Path.GetRelativePath(_root, native).Replace('\\', '/').TrimStart('.').TrimStart('/');

    private RemoteItem Map(RemoteItem item) => item with { Path = Remote(item.Path) };

    public async IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in _disk.ListAsync(Native(path), options, cancellationToken))
            yield return Map(item);
    }

    public async Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default) =>
        await _disk.StatAsync(Native(path), cancellationToken) is { } item ? Map(item) : null;

    public async Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        var stream = await _disk.OpenReadAsync(Native(path), offset, length, cancellationToken);
        return AfterFirstRead is null ? stream : new NotifyingReadStream(stream, AfterFirstRead);
    }

    public async Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inner = await _disk.OpenWriteAsync(Native(path), options, cancellationToken);
        return CorruptWrites ? new CorruptingWriteStream(inner, path) : inner;
    }

    public Task DeleteFileAsync(string path, CancellationToken cancellationToken = default) => _disk.DeleteFileAsync(Native(path), cancellationToken);

    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default) => _disk.CreateDirectoryAsync(Native(path), cancellationToken);

    public Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default) =>
        _disk.DeleteDirectoryAsync(Native(path), recursive, cancellationToken);

    public Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default) =>
        _disk.MoveAsync(Native(sourcePath), Native(destinationPath), overwrite, cancellationToken);

    public Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default) =>
        _disk.CopyAsync(Native(sourcePath), Native(destinationPath), overwrite, cancellationToken);

    public Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default) =>
        _disk.GetChecksumAsync(Native(path), algorithm, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class NotifyingReadStream(Stream inner, Action afterFirstRead) : Stream
    {
        private bool _notified;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            if (!_notified)
            {
                _notified = true;
                afterFirstRead();
            }
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class CorruptingWriteStream(RemoteWriteStream inner, string path) : RemoteWriteStream
    {
        private bool _corrupted;

        public override string Path => path;

        public override Task CommitAsync(CancellationToken cancellationToken = default) => inner.CommitAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_corrupted && buffer.Length > 0)
            {
                var copy = buffer.ToArray();
                copy[0] ^= 0xFF;
                _corrupted = true;
                return inner.WriteAsync(copy, cancellationToken);
            }
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>Serves <c>disk2://</c> from a directory.</summary>
internal sealed class SecondDiskProvider(string root, bool corruptWrites = false, Action? afterFirstRead = null) : IRemoteFileSystemProvider
{
    public IReadOnlyCollection<string> Schemes { get; } = ["disk2"];

    public Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default) =>
        Task.FromResult<IRemoteFileSystem>(new SecondDiskFileSystem(root, endpoint) { CorruptWrites = corruptWrites, AfterFirstRead = afterFirstRead });

    public static RemoteFileSystems Registry(string root, bool corruptWrites = false, Action? afterFirstRead = null)
    {
        var registry = RemoteFileSystems.CreateDefault();
        registry.Register(new SecondDiskProvider(root, corruptWrites, afterFirstRead));
        return registry;
    }
}
