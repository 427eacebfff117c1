using System.Net;
using System.Net.Sockets;
using Pipeline.RemoteFs.Ftp;

namespace Pipeline.RemoteFs.Tests.Ftp;

/// <summary>
/// The data connection's stream, over a real TCP connection on 127.0.0.1: reads that wait in poll() first and
/// asynchronously after, and the ends a transfer can meet (the end of the data, a reset, cancellation).
/// </summary>
public sealed class FtpSocketStreamTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a data connection's: more waits in poll() before the socket engine
    public async Task Data_sent_before_and_after_a_read_starts_arrives_whole_and_the_end_reads_zero(bool patient)
    {
        var (client, peer) = await ConnectedPairAsync();
        using var stream = new FtpSocketStream(client, patient);
        using var _ = peer;
        var sent = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
        peer.Send(sent.AsSpan(0, 1000));
        var buffer = new byte[64 * 1024];
        var received = new MemoryStream();
        var first = await stream.ReadAsync(buffer);
        received.Write(buffer, 0, first);
        // A read that finds nothing waits past its poll() and is completed by data sent later.
        var pending = stream.ReadAsync(buffer).AsTask();
        var sender = Task.Run(() =>
        {
            peer.Send(sent.AsSpan(1000));
            peer.Shutdown(SocketShutdown.Send);
        });
        int read;
        while ((read = await pending) > 0)
        {
            received.Write(buffer, 0, read);
            pending = stream.ReadAsync(buffer).AsTask();
        }
        await sender;
        Assert.Equal(sent, received.ToArray());
        Assert.Equal(0, await stream.ReadAsync(buffer));
    }

    [Fact]
    public async Task Reset_connection_is_an_IOException_as_from_NetworkStream()
    {
        var (client, peer) = await ConnectedPairAsync();
        using var stream = new FtpSocketStream(client);
        peer.LingerState = new LingerOption(true, 0); // close with RST: the data connection was cut, not ended
        peer.Send(new byte[10]);
        peer.Dispose();
        var buffer = new byte[1024];
        var ex = await Assert.ThrowsAsync<IOException>(async () =>
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        });
        Assert.IsType<SocketException>(ex.InnerException);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Waiting_read_ends_with_cancellation_when_its_token_is_cancelled(bool patient)
    {
        var (client, peer) = await ConnectedPairAsync();
        using var stream = new FtpSocketStream(client, patient);
        using var _ = peer;
        using var cancel = new CancellationTokenSource();
        var read = stream.ReadAsync(new byte[1024], cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
    }

    [Fact]
    public async Task Writes_arrive_in_order_and_disposing_ends_the_data()
    {
        var (client, peer) = await ConnectedPairAsync();
        using var _ = peer;
        var sent = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 13)).ToArray();
        var receiver = Task.Run(() =>
        {
            var received = new MemoryStream();
            var buffer = new byte[65536];
            int read;
            while ((read = peer.Receive(buffer)) > 0) received.Write(buffer, 0, read);
            return received.ToArray();
        });
        await using (var stream = new FtpSocketStream(client))
        {
            for (var offset = 0; offset < sent.Length; offset += 1 << 20)
                await stream.WriteAsync(sent.AsMemory(offset, Math.Min(1 << 20, sent.Length - offset)));
        }
        Assert.Equal(sent, await receiver);
    }

    [Fact]
    public async Task Connect_without_the_socket_engine_reaches_a_listener_and_a_refusal_is_a_SocketException()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await FtpSocketStream.ConnectAsync(client, (IPEndPoint)listener.LocalEndPoint!, CancellationToken.None);
        using var peer = await listener.AcceptAsync();
        await using (var stream = new FtpSocketStream(client, patient: true))
            await stream.WriteAsync(new byte[] { 1, 2, 3 });
        var buffer = new byte[8];
        var received = new MemoryStream();
        int read;
        while ((read = peer.Receive(buffer)) > 0) received.Write(buffer, 0, read);
        Assert.Equal(new byte[] { 1, 2, 3 }, received.ToArray());

        // A port nobody listens on: the refusal comes back as the socket error it is.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        closed.Dispose();
        using var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var ex = await Assert.ThrowsAsync<SocketException>(() => FtpSocketStream.ConnectAsync(refused, new IPEndPoint(IPAddress.Loopback, port), CancellationToken.None));
        Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_write_that_finds_no_room_completes_once_the_peer_reads(bool patient)
    {
        var (client, peer) = await ConnectedPairAsync();
        using var _ = peer;
        using var stream = new FtpSocketStream(client, patient);
        // More than the kernel's buffers on both sides hold: the write must wait for room until the peer reads.
        var sent = Enumerable.Range(0, 32 * 1024 * 1024).Select(i => (byte)(i * 31)).ToArray();
        var write = stream.WriteAsync(sent).AsTask();
        var received = new MemoryStream();
        var buffer = new byte[1 << 20];
        while (received.Length < sent.Length)
        {
            var read = peer.Receive(buffer);
            Assert.True(read > 0);
            received.Write(buffer, 0, read);
        }
        await write;
        Assert.Equal(sent, received.ToArray());
    }

    private static async Task<(Socket Client, Socket Peer)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return (client, await accept);
    }
}
