using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.RemoteFs.Azure;
using Pipeline.RemoteFs.Tests.Support;

namespace Pipeline.RemoteFs.Tests.Azure;

/// <summary>
/// A real Azurite blob service (npm package azurite, installed by .ci/provision.d/azurite.sh) started for one test
/// class on 127.0.0.1 at a free port with its data in a temp directory. Disposing kills it and deletes the data.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    public const string Account = AzureConnectionString.DevelopmentAccount;
    public const string Key = AzureConnectionString.DevelopmentKey;

    private static readonly string[] Candidates =
    [
        "/opt/pipeline-test-tools/node_modules/.bin/azurite-blob",
        .. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "azurite-blob")),
    ];

    private readonly string _directory;
    private readonly Process _process;
    private readonly StringBuilder _output;

    private AzuriteServer(string directory, Process process, StringBuilder output, int port)
    {
        _directory = directory;
        _process = process;
        _output = output;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The service URL of the development account, path-style as Azurite serves it.</summary>
    public string ServiceUrl => $"http://127.0.0.1:{Port}/{Account}";

    public static string? Binary => Candidates.FirstOrDefault(File.Exists);

    /// <summary>Why the server cannot run here, or null when it can.</summary>
    public static string? MissingReason() =>
        Binary is null ? "azurite-blob is not installed (run .ci/provision.d/azurite.sh)" : null;

    public RemoteEndpoint Endpoint(string container, string path = "") => RemoteEndpoint.Parse($"az://{Account}/{container}{path}");

    public RemoteConnectionOptions Options(string? key = Key, params (string Name, string Value)[] settings)
    {
        var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["endpoint"] = ServiceUrl };
        if (key is not null) all["account_key"] = key;
        foreach (var (name, value) in settings) all[name] = value;
        return new RemoteConnectionOptions
        {
            Settings = all,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            OperationTimeout = TimeSpan.FromSeconds(30),
            MaxAttempts = 2,
        };
    }

    public static async Task<AzuriteServer> StartAsync()
    {
        var binary = Binary ?? throw new InvalidOperationException($"Azurite cannot run: {MissingReason()}. CI must provision it.");
        var directory = Directory.CreateTempSubdirectory("pipeline-azurite-").FullName;
        var port = ServerProcess.FreePort();
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--location", directory, "--silent", "--skipApiVersionCheck" })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new AzuriteServer(directory, process, output, port);
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"azurite-blob exited with {process.ExitCode}: {output}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        await server.DisposeAsync();
        throw new InvalidOperationException($"azurite-blob did not listen on port {port} within 60 s: {output}");
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
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

/// <summary>One Azurite for a test class (xunit class fixture); tests use their own containers.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? _server;

    public AzuriteServer Server => _server ?? throw new InvalidOperationException("Azurite did not start.");

    public async Task InitializeAsync()
    {
        if (AzuriteServer.MissingReason() is not null && Environment.GetEnvironmentVariable("CI") != "true") return;
        _server = await AzuriteServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>A test that needs Azurite: skipped where it is missing, except on CI (CI=true), where it fails.</summary>
public sealed class AzuriteFactAttribute : FactAttribute
{
    public AzuriteFactAttribute()
    {
        if (AzuriteServer.MissingReason() is { } reason && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = reason;
    }
}
