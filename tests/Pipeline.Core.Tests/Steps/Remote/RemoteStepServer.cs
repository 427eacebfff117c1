using Pipeline.RemoteFs;
using Pipeline.RemoteFs.S3;
using Pipeline.RemoteFs.Tests.S3;

namespace Pipeline.Core.Tests.Steps.Remote;

/// <summary>One real s3rver for a test class, and a file system registry whose s3:// provider connects to it.</summary>
public sealed class RemoteStepServer : IAsyncLifetime
{
    private S3rverServer? _server;
    private readonly S3FileSystemProvider _provider = new();

    public S3rverServer Server => _server ?? throw new InvalidOperationException("s3rver did not start.");

    public async Task InitializeAsync()
    {
        if (S3rverServer.MissingReason() is not null && Environment.GetEnvironmentVariable("CI") != "true") return;
        _server = await S3rverServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    /// <summary>The default providers, with s3:// going to this server with its test key pair.</summary>
    public RemoteFileSystems FileSystems()
    {
        var registry = RemoteFileSystems.CreateDefault();
        registry.Register(new ServerProvider(_provider, Server.Options(settings: S3rverServer.SerialDeletes)));
        return registry;
    }

    /// <summary>A unique prefix URI in the test bucket: <c>s3://pipeline-test/tNNN</c>.</summary>
    public static string NewPrefix() => $"s3://{S3rverServer.Bucket}/t{Guid.NewGuid():N}"[..40];

    /// <summary>The real S3 provider with the options a host would pass for this server (credentials, endpoint).</summary>
    private sealed class ServerProvider(S3FileSystemProvider inner, RemoteConnectionOptions options) : IRemoteFileSystemProvider
    {
        public IReadOnlyCollection<string> Schemes => ["s3"];

        public Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions ignored, CancellationToken cancellationToken = default) =>
            inner.ConnectAsync(endpoint, options, cancellationToken);
    }
}

/// <summary>A test that needs s3rver: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class S3rverStepFactAttribute : FactAttribute
{
    public S3rverStepFactAttribute()
    {
        if (S3rverServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}

/// <summary>A fake clock: each timestamp read moves it on by <paramref name="step"/>, so throttled progress is tested without sleeps.</summary>
internal sealed class SteppingTimeProvider(TimeSpan step) : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(Interlocked.Read(ref _ticks));
}
