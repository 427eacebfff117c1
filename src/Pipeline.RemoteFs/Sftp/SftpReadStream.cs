namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// Reads a remote file with many READ requests in flight (like OpenSSH sftp's <c>-R</c>), delivering the data in
/// order. The file's size at open bounds the requests; a short answer is followed by a request for the rest.
/// </summary>
internal sealed class SftpReadStream : Stream
{
    private readonly SftpChannel _channel;
    private readonly byte[] _handle;
    private readonly string _path;
    private readonly Func<Exception, string, string, RemoteFsException> _error;
    private readonly int _chunk;
    private readonly int _window;
    private readonly long _end;
    private readonly LinkedList<InFlight> _inFlight = new();
    private long _requestOffset;
    private long _position;
    private SftpResponse? _current;
    private int _currentOffset;
    private int _currentRemaining;
    private bool _eof;
    private bool _broken;
    private int _disposed;

    private readonly record struct InFlight(long Offset, int Length, Task<SftpResponse> Response);

    public SftpReadStream(SftpChannel channel, byte[] handle, string path, long offset, long end, int chunk, int window,
        Func<Exception, string, string, RemoteFsException> error)
    {
        _channel = channel;
        _handle = handle;
        _path = path;
        _position = _requestOffset = offset;
        _end = end;
        _chunk = chunk;
        _window = window;
        _error = error;
        channel.BeginTransfer();
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// Copies answers into <paramref name="buffer"/>: waits for the first, then takes those that have arrived already,
    /// so that a large buffer is filled from several answers (fewer, larger writes downstream).
    /// </summary>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_broken) throw new RemoteFsException(RemoteErrorKind.Io, "The read stream cannot go on after an earlier failure or cancellation", _path);
        var total = 0;
        while (total < buffer.Length)
        {
            if (_currentRemaining == 0)
            {
                _current?.Dispose();
                _current = null;
                if (_eof || (total > 0 && !NextHasArrived)) break;
                try
                {
                    if (!await NextAsync(cancellationToken).ConfigureAwait(false)) break;
                }
                catch (Exception ex) when (ex is SftpChannelException or SftpStatusException or SftpProtocolException or OperationCanceledException)
                {
                    _broken = true;
                    if (ex is OperationCanceledException) throw;
                    throw _error(ex, "Reading", _path);
                }
            }
            var count = Math.Min(buffer.Length - total, _currentRemaining);
            _current!.Payload.Slice(_currentOffset, count).CopyTo(buffer.Span[total..]);
            _currentOffset += count;
            _currentRemaining -= count;
            _position += count;
            total += count;
        }
        return total;
    }

    /// <summary>Whether the next answer is here and good (a failure waits for the next call, so no data is lost).</summary>
    private bool NextHasArrived => _inFlight.First is { } next && next.Value.Response.IsCompletedSuccessfully;

    /// <summary>Takes the next answer in order; false at end of file.</summary>
    private async Task<bool> NextAsync(CancellationToken cancellationToken)
    {
        Fill(cancellationToken);
        if (_inFlight.First is null)
        {
            _eof = true;
            return false;
        }
        var next = _inFlight.First.Value;
        var response = await next.Response.WaitAsync(cancellationToken).ConfigureAwait(false);
        _inFlight.RemoveFirst();
        if (response.Type == SftpPacketType.Status)
        {
            using (response)
            {
                var reader = response.Reader();
                if ((SftpStatusCode)reader.ReadUInt32() == SftpStatusCode.Eof)
                {
                    _eof = true; // the file ended (or shrank) before the size seen at open
                    return false;
                }
                response.Expect(SftpPacketType.Data);
            }
        }
        response.Expect(SftpPacketType.Data);
        var received = response.Reader().ReadBytes().Length;
        _current = response;
        _currentOffset = 4; // the data's length prefix
        _currentRemaining = received;
        if (received == 0 || received > next.Length)
            throw new SftpProtocolException($"The server answered a read of {next.Length} bytes with {received} bytes.");
        if (received < next.Length)
        {
            // A short read: ask for the rest before anything later.
            var rest = next.Offset + received;
            _inFlight.AddFirst(new InFlight(rest, next.Length - received, SendRead(rest, next.Length - received, cancellationToken)));
        }
        Fill(cancellationToken);
        return true;
    }

    private void Fill(CancellationToken cancellationToken)
    {
        while (_inFlight.Count < _window && _requestOffset < _end)
        {
            var length = (int)Math.Min(_chunk, _end - _requestOffset);
            _inFlight.AddLast(new InFlight(_requestOffset, length, SendRead(_requestOffset, length, cancellationToken)));
            _requestOffset += length;
        }
    }

    private Task<SftpResponse> SendRead(long offset, int length, CancellationToken cancellationToken)
    {
        using var request = new SftpPacketWriter(SftpPacketType.Read, 64);
        request.WriteBytes(_handle);
        request.WriteUInt64((ulong)offset);
        request.WriteUInt32((uint)length);
        return _channel.Send(request, cancellationToken).Task;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return ValueTask.CompletedTask;
        _current?.Dispose();
        _current = null;
        foreach (var request in _inFlight) SftpResponse.DisposeWhenAnswered(request.Response);
        _inFlight.Clear();
        _channel.CloseWithoutWaiting(_handle);
        _channel.EndTransfer();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
