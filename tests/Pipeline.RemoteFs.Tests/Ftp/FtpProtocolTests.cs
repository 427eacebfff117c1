using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.RemoteFs.Ftp;

namespace Pipeline.RemoteFs.Tests.Ftp;

/// <summary>
/// How the client meets servers that break the protocol. A real server cannot be made to misbehave on purpose,
/// so these talk to <see cref="MisbehavingServer"/>, a socket on 127.0.0.1 that sends exactly what the test says.
/// </summary>
public sealed class FtpProtocolTests
{
    [Fact]
    public async Task Malformed_greeting_is_a_protocol_error_naming_the_reply()
    {
        await using var server = new MisbehavingServer("SSH-2.0-OpenSSH_9.2\r\n");
        await using var provider = new FtpFileSystemProvider();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint, new RemoteConnectionOptions()));
        Assert.Equal(RemoteErrorKind.Protocol, ex.Kind);
        Assert.Contains("'SSH-2.0-OpenSSH_9.2'", ex.Message);
    }

    [Fact]
    public async Task Silent_server_times_out_after_the_operation_timeout()
    {
        await using var server = new MisbehavingServer("");
        var time = new ManualTimeProvider();
        await using var provider = new FtpFileSystemProvider(time, null);
        var connect = provider.ConnectAsync(server.Endpoint, new RemoteConnectionOptions { OperationTimeout = TimeSpan.FromSeconds(30) });
        await server.Accepted;
        for (var i = 0; i < 500 && !connect.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(31));
            await Task.WhenAny(connect, Task.Delay(10));
        }
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => connect);
        Assert.Equal(RemoteErrorKind.Timeout, ex.Kind);
        Assert.Contains("00:00:30", ex.Message);
    }

    [Fact]
    public async Task Service_not_available_greeting_is_transient()
    {
        await using var server = new MisbehavingServer("421 Too many connections.\r\n");
        await using var provider = new FtpFileSystemProvider();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(server.Endpoint, new RemoteConnectionOptions { MaxAttempts = 1 }));
        Assert.Equal(RemoteErrorKind.Transient, ex.Kind);
    }

    [Fact]
    public async Task Nothing_listening_is_a_transient_connection_error()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await using var provider = new FtpFileSystemProvider();
        var ex = await Assert.ThrowsAsync<RemoteFsException>(() => provider.ConnectAsync(RemoteEndpoint.Parse($"ftp://127.0.0.1:{port}"), new RemoteConnectionOptions()));
        Assert.Equal(RemoteErrorKind.Transient, ex.Kind);
    }

    /// <summary>Accepts one connection on 127.0.0.1, sends a fixed text, then stays silent until disposed.</summary>
    private sealed class MisbehavingServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TaskCompletionSource _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public MisbehavingServer(string send)
        {
            _listener.Start();
            _run = RunAsync(send);
        }

        public RemoteEndpoint Endpoint => RemoteEndpoint.Parse($"ftp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

        public Task Accepted => _accepted.Task;

        private async Task RunAsync(string send)
        {
            try
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _accepted.TrySetResult();
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes(send), _stop.Token);
                await Task.Delay(Timeout.Infinite, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            await _run;
            _listener.Stop();
            _listener.Dispose();
        }
    }
}
