using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Pipeline.RemoteFs.Smb;

namespace Pipeline.RemoteFs.Tests.Smb;

/// <summary>
/// A TCP relay between the client and a real smbd that, once armed, flips one bit in the last byte of every
/// server-to-client SMB frame, as an attacker on the path would. It exists because no real server can be made to
/// send a bad signature or a corrupted ciphertext, nor fail a WRITE on demand (<see cref="Rewrite"/>). It also
/// counts the client's frames, which are its round trips.
/// </summary>
public sealed class TamperingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _accepting;

    public TamperingProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    /// <summary>From now on, corrupt every frame the server sends.</summary>
    public volatile bool Armed;

    /// <summary>Frames corrupted so far.</summary>
    public int Tampered;

    /// <summary>Changes server-to-client frames in place before they are relayed (an unsigned session's only).</summary>
    public volatile Action<byte[]>? Rewrite;

    /// <summary>Frames the client sent so far (a compound is one frame).</summary>
    public int ClientFrames;

    /// <summary>Calls <paramref name="each"/> with the offset of every SMB2 header in a frame (one, or a compound's).</summary>
    public static void ForEachMessage(byte[] frame, Action<int> each)
    {
        for (var offset = 0; offset + 64 <= frame.Length;)
        {
            each(offset);
            var next = BinaryPrimitives.ReadInt32LittleEndian(frame.AsSpan(offset + 20));
            if (next == 0) break;
            offset += next;
        }
    }

    /// <summary>The command of the message at <paramref name="offset"/>.</summary>
    internal static SmbCommand Command(byte[] frame, int offset) => (SmbCommand)BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(offset + 12));

    /// <summary>The status of the response at <paramref name="offset"/>.</summary>
    public static uint Status(byte[] frame, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(offset + 8));

    /// <summary>Makes the response at <paramref name="offset"/> an unsigned one, so that a changed answer is accepted by
    /// a session that does not require signing (SMB 2.1 without mandatory signing).</summary>
    public static void Unsign(byte[] frame, int offset)
    {
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(offset + 16));
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(offset + 16), flags & ~8u);
        frame.AsSpan(offset + 48, 16).Clear();
    }

    /// <summary>Turns the response at <paramref name="offset"/> into a failure with <paramref name="status"/>, unsigned.</summary>
    public static void Fail(byte[] frame, int offset, uint status)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(offset + 8), status);
        Unsign(frame, offset);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                lock (_clients) _clients.AddRange([client, server]);
                _ = Relay(client.GetStream(), server.GetStream(), tamper: false);
                _ = Relay(server.GetStream(), client.GetStream(), tamper: true);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task Relay(NetworkStream from, NetworkStream to, bool tamper)
    {
        try
        {
            var length = new byte[4];
            while (true)
            {
                await from.ReadExactlyAsync(length, _stop.Token);
                var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(length)];
                await from.ReadExactlyAsync(frame, _stop.Token);
                if (!tamper) Interlocked.Increment(ref ClientFrames);
                if (tamper) Rewrite?.Invoke(frame);
                if (tamper && Armed && frame.Length > 64)
                {
                    frame[^1] ^= 0x01;
                    Interlocked.Increment(ref Tampered);
                }
                await to.WriteAsync(length, _stop.Token);
                await to.WriteAsync(frame, _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
            foreach (var c in _clients) c.Dispose();
        await _accepting;
    }
}
