using System.Net.Sockets;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// A control or data connection's socket as a stream, in place of <see cref="NetworkStream"/>. A read that finds no
/// data, or a write that finds no room, first waits up to <see cref="PollMicroseconds"/> in poll() on the calling
/// thread, and only then hands over to the socket's asynchronous machinery.
/// </summary>
/// <remarks>
/// Every asynchronous socket wait that completes costs a hand-off from the socket engine's thread to a pool thread,
/// and the pool thread spins afterwards looking for more work. A fast download waits for the server a thousand times
/// per gigabyte (the reader is faster than the server sends), over TLS (SslStream reads a record at a time) far more
/// often, an upload waits for room tens of thousands of times per gigabyte, and a small file waits for each of its
/// replies: on two cores the switching and spinning took the processor time that the server and the decryption
/// needed. A wait in poll() is woken by the kernel on the waiting thread, as curl's and lftp's are, and costs no
/// processor time while it waits. The wait is bounded, so a slow server still gets an asynchronous wait (and the time
/// limits and cancellation that come with it) after a millisecond of one thread's time.
/// <para>On a data connection a wait that outlasts that millisecond goes on in poll() for up to
/// <see cref="PatientSlices"/> more milliseconds, one at a time, giving the thread back between them, before the socket
/// engine takes over. The first asynchronous operation registers a socket with the engine's epoll for good, and from
/// then on every arrival of data (or of room) wakes the engine's thread and queues a pool work item whether or not
/// anyone waits: 6,000 of them for a plain gigabyte, 15,000–20,000 over TLS, a third of the process's processor time.
/// For the same reason <see cref="ConnectAsync"/> opens data connections without the engine.</para>
/// </remarks>
internal sealed class FtpSocketStream : Stream
{
    /// <summary>How long a read or write waits on its own thread before waiting asynchronously.</summary>
    public const int PollMicroseconds = 1000;

    /// <summary>Further waits of <see cref="PollMicroseconds"/> each, the thread given back between them, before the
    /// socket engine takes a read, a write or a connect over (about a tenth of a second).</summary>
    public const int PatientSlices = 100;

    private readonly Socket _socket;
    private readonly int _patientSlices;
    private bool _disposed;

    /// <param name="socket">A connected socket, which the stream owns and closes.</param>
    /// <param name="patient">Wait up to <see cref="PatientSlices"/> more milliseconds in poll() before the socket engine:
    /// for a socket the engine does not know yet (a data connection). One it knows already (connected asynchronously,
    /// as the control connection is) gains nothing from that, so its waits go to the engine after the first
    /// millisecond.</param>
    public FtpSocketStream(Socket socket, bool patient = false)
    {
        _socket = socket;
        _patientSlices = patient ? PatientSlices : 0;
        // A synchronous receive must return at once (WouldBlock when there is nothing), so that only poll() waits.
        _socket.Blocking = false;
    }

    public override bool CanRead => !_disposed;
    public override bool CanWrite => !_disposed;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        if (buffer.Length == 0) return ValueTask.FromResult(0);
        try
        {
            var read = _socket.Receive(buffer.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock && _socket.Poll(PollMicroseconds, SelectMode.SelectRead))
                read = _socket.Receive(buffer.Span, SocketFlags.None, out error);
            if (error == SocketError.Success) return ValueTask.FromResult(read);
            if (error != SocketError.WouldBlock) throw Failure(new SocketException((int)error));
        }
        catch (SocketException ex)
        {
            throw Failure(ex);
        }
        return ReceiveAsync(buffer, cancellationToken);
    }

    private async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            for (var slice = 0; slice < _patientSlices; slice++)
            {
                if (!await PollSliceAsync(_socket, PollMicroseconds, SelectMode.SelectRead, cancellationToken).ConfigureAwait(false)) continue;
                var read = _socket.Receive(buffer.Span, SocketFlags.None, out var error);
                if (error == SocketError.Success) return read;
                if (error != SocketError.WouldBlock) throw new SocketException((int)error);
            }
            return await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw Failure(ex);
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        try
        {
            while (buffer.Length > 0)
            {
                var sent = _socket.Send(buffer.Span, SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    // The server has not taken what was sent so far: wait for room in poll(), then asynchronously.
                    if (!_socket.Poll(PollMicroseconds, SelectMode.SelectWrite)) return SendAsync(buffer, cancellationToken);
                    continue;
                }
                if (error != SocketError.Success) throw Failure(new SocketException((int)error));
                buffer = buffer[sent..];
            }
        }
        catch (SocketException ex)
        {
            throw Failure(ex);
        }
        return ValueTask.CompletedTask;
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            for (var slice = 0; slice < _patientSlices && buffer.Length > 0; slice++)
            {
                if (!await PollSliceAsync(_socket, PollMicroseconds, SelectMode.SelectWrite, cancellationToken).ConfigureAwait(false)) continue;
                var sent = _socket.Send(buffer.Span, SocketFlags.None, out var error);
                if (error == SocketError.Success) buffer = buffer[sent..];
                else if (error != SocketError.WouldBlock) throw new SocketException((int)error);
            }
            while (buffer.Length > 0)
                buffer = buffer[await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
        catch (SocketException ex)
        {
            throw Failure(ex);
        }
    }

    /// <summary>
    /// Connects <paramref name="socket"/> to <paramref name="target"/> without the socket engine: a non-blocking connect
    /// and waits in poll() of a millisecond (after <see cref="PatientSlices"/> of them, ten), the thread given back
    /// between them. A refused or failed connection throws <see cref="SocketException"/>;
    /// <paramref name="cancellationToken"/>, which carries the caller's connect time limit, ends the wait with
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task ConnectAsync(Socket socket, System.Net.IPEndPoint target, CancellationToken cancellationToken)
    {
        socket.Blocking = false;
        try
        {
            socket.Connect(target);
            return;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.AlreadyInProgress)
        {
        }
        for (var slice = 0; ; slice++)
        {
            var microseconds = slice < PatientSlices ? PollMicroseconds : 10 * PollMicroseconds;
            if (await PollSliceAsync(socket, microseconds, SelectMode.SelectWrite, cancellationToken).ConfigureAwait(false) || socket.Poll(0, SelectMode.SelectError))
            {
                var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != SocketError.Success) throw new SocketException((int)error);
                return;
            }
        }
    }

    /// <summary>One patient wait: the thread given back first, then the token checked, then up to
    /// <paramref name="microseconds"/> in poll(); whether the socket is ready.</summary>
    private static async ValueTask<bool> PollSliceAsync(Socket socket, int microseconds, SelectMode mode, CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return socket.Poll(microseconds, mode);
    }

    // As NetworkStream does: socket failures surface as IOException, which SslStream and the callers expect.
    private static IOException Failure(SocketException ex) => new($"The connection failed: {ex.Message}", ex);

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }
}
