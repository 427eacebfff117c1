using Pipeline.RemoteFs.Azure;
using Pipeline.RemoteFs.Local;
using Pipeline.RemoteFs.S3;
using Pipeline.RemoteFs.Transfers;
using Pipeline.RemoteFs.Tests.Azure;
using Pipeline.RemoteFs.Tests.S3;

namespace Pipeline.RemoteFs.Tests.Transfers;

/// <summary>One s3rver and one Azurite for a test class; each test opens its own prefix, container or directory.</summary>
public sealed class TransferServers : IAsyncLifetime
{
    public S3rverServer? S3 { get; private set; }
    public AzuriteServer? Azurite { get; private set; }

    public static string? MissingReason() => S3rverServer.MissingReason() ?? AzuriteServer.MissingReason();

    public async Task InitializeAsync()
    {
        if (MissingReason() is not null && Environment.GetEnvironmentVariable("CI") != "true") return;
        S3 = await S3rverServer.StartAsync();
        Azurite = await AzuriteServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (S3 is not null) await S3.DisposeAsync();
        if (Azurite is not null) await Azurite.DisposeAsync();
    }

    /// <summary>A fresh, empty place on <paramref name="kind"/> (local, s3 or azure): the file system and its root path.</summary>
    public async Task<Backend> OpenAsync(string kind, params (string Key, string Value)[] settings)
    {
        switch (kind)
        {
            case "local":
                var directory = Directory.CreateTempSubdirectory("pipeline-transfer-backend-").FullName;
                return new Backend(kind, new LocalFileSystem(), directory, () => Directory.Delete(directory, recursive: true));
            case "s3":
                return await OpenS3Async(S3 ?? throw new InvalidOperationException("s3rver did not start"), settings);
            case "azure":
                var azurite = Azurite ?? throw new InvalidOperationException("Azurite did not start");
                var provider = new AzureBlobFileSystemProvider();
                var container = "t" + Guid.NewGuid().ToString("N")[..20];
                var fs = await provider.ConnectAsync(azurite.Endpoint(container), azurite.Options(AzuriteServer.Key, [("create_container", "true"), ("block_size", "1048576"), .. settings]));
                return new Backend(kind, fs, "/data", () => { });
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    public static async Task<Backend> OpenS3Async(S3rverServer server, params (string Key, string Value)[] settings)
    {
        var provider = new S3FileSystemProvider();
        var all = S3rverServer.SerialDeletes.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings) all[key] = value;
        var fs = await provider.ConnectAsync(server.Endpoint(), server.Options(settings: all));
        return new Backend("s3", fs, "/t" + Guid.NewGuid().ToString("N")[..12], () => provider.DisposeAsync().AsTask().GetAwaiter().GetResult());
    }
}

/// <summary>A file system under test and the root path a test works below.</summary>
public sealed class Backend(string kind, IRemoteFileSystem fileSystem, string root, Action cleanup) : IAsyncDisposable
{
    public string Kind { get; } = kind;
    public IRemoteFileSystem Fs { get; } = fileSystem;
    public string Root { get; } = root;

    public string Path(string relative) => Fs is LocalFileSystem
        ? System.IO.Path.Combine(Root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar))
        : RemotePath.Combine(Root, relative);

    public async Task WriteAsync(string relative, byte[] content)
    {
        await using var stream = await Fs.OpenWriteAsync(Path(relative));
        await stream.WriteAsync(content);
        await stream.CommitAsync();
    }

    public async Task<byte[]> ReadAsync(string relative)
    {
        await using var stream = await Fs.OpenReadAsync(Path(relative));
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory);
        return memory.ToArray();
    }

    public override string ToString() => Kind;

    public async ValueTask DisposeAsync()
    {
        await Fs.DisposeAsync();
        cleanup();
    }
}

/// <summary>A theory that needs s3rver and Azurite: skipped where one is missing, except on CI (CI=true), where it fails.</summary>
public sealed class TransferTheoryAttribute : TheoryAttribute
{
    public TransferTheoryAttribute()
    {
        if (TransferServers.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}

/// <summary>A test that needs s3rver and Azurite: skipped where one is missing, except on CI (CI=true), where it fails.</summary>
public sealed class TransferFactAttribute : FactAttribute
{
    public TransferFactAttribute()
    {
        if (TransferServers.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}

/// <summary>A real file system wrapped to record the reads asked of it (offset, length), so tests can see ranges and resumes.</summary>
public sealed class ReadRecordingFileSystem(IRemoteFileSystem inner) : IRemoteFileSystem
{
    public System.Collections.Concurrent.ConcurrentQueue<(string Path, long Offset, long? Length)> Reads { get; } = new();
    public RemoteEndpoint Endpoint => inner.Endpoint;
    public RemoteCapabilities Capabilities => inner.Capabilities;
    public IAsyncEnumerable<RemoteItem> ListAsync(string path, ListOptions? options = null, CancellationToken cancellationToken = default) => inner.ListAsync(path, options, cancellationToken);
    public Task<RemoteItem?> StatAsync(string path, CancellationToken cancellationToken = default) => inner.StatAsync(path, cancellationToken);

    public Task<Stream> OpenReadAsync(string path, long offset = 0, long? length = null, CancellationToken cancellationToken = default)
    {
        Reads.Enqueue((path, offset, length));
        return inner.OpenReadAsync(path, offset, length, cancellationToken);
    }

    public Task<RemoteWriteStream> OpenWriteAsync(string path, WriteOptions? options = null, CancellationToken cancellationToken = default) => inner.OpenWriteAsync(path, options, cancellationToken);
    public Task DeleteFileAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteFileAsync(path, cancellationToken);
    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken = default) => inner.CreateDirectoryAsync(path, cancellationToken);
    public Task DeleteDirectoryAsync(string path, bool recursive = false, CancellationToken cancellationToken = default) => inner.DeleteDirectoryAsync(path, recursive, cancellationToken);
    public Task MoveAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default) => inner.MoveAsync(sourcePath, destinationPath, overwrite, cancellationToken);
    public Task CopyAsync(string sourcePath, string destinationPath, bool overwrite = false, CancellationToken cancellationToken = default) => inner.CopyAsync(sourcePath, destinationPath, overwrite, cancellationToken);
    public Task<FileChecksum> GetChecksumAsync(string path, ChecksumAlgorithm algorithm = ChecksumAlgorithm.Sha256, CancellationToken cancellationToken = default) => inner.GetChecksumAsync(path, algorithm, cancellationToken);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>A fake clock: every timestamp read moves it on by <see cref="Step"/> (zero: it stands still), so throttling is tested without sleeps.</summary>
public sealed class SteppingTimeProvider(TimeSpan step) : TimeProvider
{
    private long _ticks;

    public TimeSpan Step { get; } = step;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Add(ref _ticks, Step.Ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(Interlocked.Read(ref _ticks));
}

/// <summary>Calls an action on every report, synchronously on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
public sealed class ProgressRecorder(Action<TransferProgress>? onReport = null) : IProgress<TransferProgress>
{
    public System.Collections.Concurrent.ConcurrentQueue<TransferProgress> Reports { get; } = new();

    public void Report(TransferProgress value)
    {
        Reports.Enqueue(value);
        onReport?.Invoke(value);
    }
}

internal static class TestData
{
    public static byte[] Random(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
