using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.RemoteFs.Tests.Support;

namespace Pipeline.RemoteFs.Tests.S3;

/// <summary>
/// A real s3rver (npm's S3-compatible server, installed by .ci/provision.d/s3rver.sh) started for one test on
/// 127.0.0.1 at a free port with its data in a temp directory and one bucket, <see cref="Bucket"/>.
/// Disposing kills it and deletes its data.
/// </summary>
public sealed class S3rverServer : IAsyncDisposable
{
    public const string Prefix = "/opt/pipeline-test-tools";
    public const string Script = Prefix + "/node_modules/s3rver/bin/s3rver.js";
    public const string Bucket = "pipeline-test";
    /// <summary>The fixed key pair s3rver accepts; a test fixture, not a secret.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly string _directory;
    private Process? _process;

    private S3rverServer(string directory, int port)
    {
        _directory = directory;
        Port = port;
    }

    /// <summary>
    /// Settings for tests that delete sibling objects: s3rver deletes a batch concurrently and removes emptied
    /// folders as it goes, so two deletes in one folder race on its removal and one fails with an internal error.
    /// </summary>
    public static IReadOnlyDictionary<string, string> SerialDeletes { get; } =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["batch_delete"] = "false", ["delete_concurrency"] = "1" };

    public int Port { get; }

    public string ServiceUrl => $"http://127.0.0.1:{Port}";

    /// <summary>
    /// Flips one byte of a stored object in s3rver's own files, keeping its length and its recorded MD5 (ETag): the
    /// server then sends damaged bytes under the original ETag, as a bad disk or a bad hop on the way would.
    /// </summary>
    public void DamageStoredObject(string key, long at)
    {
        var file = Path.Combine(_directory, "data", Bucket, key.Replace('/', Path.DirectorySeparatorChar) + "._S3rver_object");
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = at;
        var original = stream.ReadByte();
        stream.Position = at;
        stream.WriteByte((byte)(original ^ 0xFF));
    }

    /// <summary>Why the server cannot run here, or null when it can.</summary>
    public static string? MissingReason()
    {
        if (!File.Exists(Script)) return $"{Script} is not installed (run .ci/provision.d/s3rver.sh)";
        if (FindNode() is null) return "node is not installed (run .ci/provision.d/s3rver.sh)";
        return null;
    }

    private static string? FindNode() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);

    public RemoteEndpoint Endpoint(string path = "/", string bucket = Bucket) => RemoteEndpoint.Parse($"s3://{bucket}{path}");

    public RemoteConnectionOptions Options(string? accessKey = null, string? secret = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["endpoint"] = ServiceUrl };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) all[key] = value;
        return new RemoteConnectionOptions
        {
            Credential = new NetworkCredential(accessKey ?? AccessKey, secret ?? SecretKey),
            Settings = all,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            OperationTimeout = TimeSpan.FromSeconds(60),
            MaxAttempts = 1,
        };
    }

    public static async Task<S3rverServer> StartAsync()
    {
        if (MissingReason() is { } reason)
            throw new InvalidOperationException($"s3rver cannot run: {reason}. CI must provision it (.ci/provision.d/s3rver.sh).");
        var directory = Directory.CreateTempSubdirectory("pipeline-s3rver-").FullName;
        var server = new S3rverServer(directory, ServerProcess.FreePort());
        await server.RunAsync();
        return server;
    }

    private async Task RunAsync()
    {
        var start = new ProcessStartInfo(FindNode()!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17 and later) keeps in its legacy provider.
        foreach (var argument in new[] { "--openssl-legacy-provider", Script, "--address", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--directory", Path.Combine(_directory, "data"), "--silent", "--no-vhost-buckets", "--configure-bucket", Bucket })
            start.ArgumentList.Add(argument);
        _process = await Support.ServerProcess.StartAsync(start, Port, "s3rver", TimeSpan.FromSeconds(30));
    }

    public ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
            _process = null;
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }

}

/// <summary>A test that needs s3rver: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class S3rverFactAttribute : FactAttribute
{
    public S3rverFactAttribute()
    {
        if (S3rverServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}

/// <summary>A theory that needs s3rver: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class S3rverTheoryAttribute : TheoryAttribute
{
    public S3rverTheoryAttribute()
    {
        if (S3rverServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}
