using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pipeline.RemoteFs.Tests.S3;

/// <summary>
/// A TCP relay in front of a real s3rver that looks at the first request of every connection: a presigned request (its
/// query carries X-Amz-Signature) is counted and, when <see cref="RefusePresigned"/> is set, answered with 403
/// AccessDenied and the connection closed, as a server that takes no query-string authentication would; every other
/// connection is relayed as it is. It exists because s3rver serves presigned GETs and cannot be told not to.
/// </summary>
public sealed class PresignRefusingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _presigned;

    public PresignRefusingRelay(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The relay's URL, to give as the endpoint setting.</summary>
    public string ServiceUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Answer presigned requests with 403 instead of relaying them.</summary>
    public bool RefusePresigned { get; init; }

    /// <summary>Connections whose first request was presigned.</summary>
    public int PresignedRequests => Volatile.Read(ref _presigned);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_connections) _connections.Add(Task.Run(() => RelayAsync(client)));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        var incoming = client.GetStream();
        try
        {
            // The request line is all that is judged; what was read of it is sent on ahead of the rest.
            var head = new byte[8192];
            var length = 0;
            while (Array.IndexOf(head, (byte)'\n', 0, length) < 0 && length < head.Length)
            {
                var read = await incoming.ReadAsync(head.AsMemory(length), _stop.Token);
                if (read == 0) return;
                length += read;
            }
            var requestLine = Encoding.ASCII.GetString(head, 0, Array.IndexOf(head, (byte)'\n', 0, length));
            if (requestLine.Contains("X-Amz-Signature=", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _presigned);
                if (RefusePresigned)
                {
                    const string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Query-string authentication is not accepted here.</Message></Error>";
                    var answer = $"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
                    await incoming.WriteAsync(Encoding.ASCII.GetBytes(answer), _stop.Token);
                    return;
                }
            }
            using var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            var outgoing = server.GetStream();
            await outgoing.WriteAsync(head.AsMemory(0, length), _stop.Token);
            await Task.WhenAny(incoming.CopyToAsync(outgoing, _stop.Token), outgoing.CopyToAsync(incoming, _stop.Token));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections) connections = [.. _connections];
        await Task.WhenAll(connections);
        _stop.Dispose();
    }
}
