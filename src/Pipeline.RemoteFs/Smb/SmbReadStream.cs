namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// A download: READ requests of the negotiated size kept <see cref="SmbSettings.IoDepth"/> deep in flight, consumed
/// in order. The first chunk comes with the open (see <see cref="OpenAsync"/>). When the connection drops, the file is opened again on a new connection and reading resumes at the
/// current position (up to <see cref="SmbSettings.MaxAttempts"/> times).
/// </summary>
internal sealed class SmbReadStream : Stream
{
    private readonly SmbFileSystem _fs;
    private readonly string _path;
    private readonly long? _length;
    private readonly Queue<(long Offset, int Length, Task<SmbReadChunk> Read)> _inFlight = new();
    private readonly CancellationTokenSource _disposing = new();
    private SmbHandle? _handle;
    private long _position, _end, _next;
    private ArraySegment<byte> _current = ArraySegment<byte>.Empty;
    // The READ whose (pooled) buffer _current lies in: released as soon as _current is used up.
    private SmbReadChunk _currentChunk;
    private int _failures;

    public SmbReadStream(SmbFileSystem fs, string path, long offset, long? length)
    {
        _fs = fs;
        _path = path;
        _position = offset;
        _next = offset;
        _length = length;
    }

    /// <summary>
    /// Opens the file with CREATE, READ of the first chunk and CLOSE in one compound: a file that fits in one READ
    /// costs one round trip. A larger one is opened again, on first need, for the rest.
    /// </summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        var (info, first) = await _fs.WithConnectionAsync("Opening for read", _path, c => OpenAndReadFirstAsync(c, cancellationToken), cancellationToken).ConfigureAwait(false);
        var size = info.Length;
        _end = _length is { } l ? Math.Min(size, _position + l) : size;
        if (first.Count > _end - _position) first = first.Slice(0, (int)Math.Max(0, _end - _position));
        if (first.Count == 0) _end = Math.Min(_end, _position); // at (or past) the end, or the file shrank
        _current = first;
        _next = _position + first.Count;
    }

    private async Task<(SmbFileInfo Info, ArraySegment<byte> First)> OpenAndReadFirstAsync(SmbConnection c, CancellationToken cancellationToken)
    {
        var length = (int)Math.Min(c.MaxReadSize, _length ?? long.MaxValue);
        if (length == 0) length = 1; // a READ of 0 bytes is refused; the range's end trims the byte away
        var related = SmbHandle.Related(c);
        var responses = await c.SendCompoundAsync(
            [new SmbCompoundPart(SmbCommand.Create, SmbFiles.CreateRequest(_path, SmbAccess.Read, SmbAccess.Open, 0, SmbAccess.ShareRead | SmbAccess.ShareDelete)),
             new SmbCompoundPart(SmbCommand.Read, SmbFiles.ReadRequest(related, _position, length), length, _ => true),
             new SmbCompoundPart(SmbCommand.Close, SmbFiles.CloseRequest(related), Accept: _ => true)], cancellationToken).ConfigureAwait(false);
        var info = SmbFiles.ParseCreate(c, responses[0]).Info;
        if (info.IsDirectory) throw new RemoteFsException(RemoteErrorKind.Conflict, "Cannot read a directory as a file", _path, _fs.Endpoint);
        var read = responses[1];
        if (read.Status is not (SmbStatus.Success or SmbStatus.EndOfFile)) throw new SmbStatusException(read.Status, "Read");
        return (info, SmbFiles.ParseRead(read, length));
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
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        while (true)
        {
            if (_current.Count > 0)
            {
                var n = Math.Min(buffer.Length, _current.Count);
                _current.AsSpan(0, n).CopyTo(buffer.Span);
                _current = _current.Slice(n);
                _position += n;
                if (_current.Count == 0) ReleaseCurrent();
                return n;
            }
            if (_position >= _end || buffer.Length == 0) return 0;
            // Bytes already here are returned even when cancelled; a new chunk is not taken (it may have arrived).
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (_handle is null || _handle.Connection.IsBroken)
                    await ReopenAsync(cancellationToken).ConfigureAwait(false);
                var handle = _handle!;
                var chunkSize = handle.Connection.MaxReadSize;
                while (_inFlight.Count < _fs.Settings.IoDepth && _next < _end)
                {
                    var length = (int)Math.Min(chunkSize, _end - _next);
                    _inFlight.Enqueue((_next, length, handle.ReadAsync(_next, length, _disposing.Token)));
                    _next += length;
                }
                var (offset, requested, read) = _inFlight.Dequeue();
                SmbReadChunk chunk;
                try
                {
                    chunk = await read.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    ReleaseWhenDone(read);
                    throw;
                }
                var segment = chunk.Data;
                if (segment.Count == 0)
                {
                    // The file shrank under us: what is left is gone.
                    _end = offset;
                    DropInFlight();
                    return 0;
                }
                if (segment.Count < requested)
                {
                    DropInFlight();
                    _next = offset + segment.Count;
                }
                _current = segment;
                _currentChunk = chunk;
            }
            catch (SmbConnectionException) when (++_failures < _fs.Settings.MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                DropInFlight();
                _handle = null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw SmbErrors.Map(ex, "Reading", _path, _fs.Endpoint);
            }
        }
    }

    private async Task ReopenAsync(CancellationToken cancellationToken)
    {
        DropInFlight();
        _next = _position;
        var connection = await _fs.Pool.GetAsync(cancellationToken).ConfigureAwait(false);
        _handle = await _fs.OpenFileForReadAsync(connection, _path, cancellationToken).ConfigureAwait(false);
    }

    private void DropInFlight()
    {
        while (_inFlight.TryDequeue(out var entry)) ReleaseWhenDone(entry.Read);
        _next = _position + _current.Count;
    }

    /// <summary>A READ nobody will consume: its buffer goes back to the pool when it arrives (its failure is observed).</summary>
    private static void ReleaseWhenDone(Task<SmbReadChunk> read) =>
        _ = read.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) t.Result.Release();
            else _ = t.Exception;
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private void ReleaseCurrent()
    {
        _currentChunk.Release();
        _currentChunk = default;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested) return;
        while (_inFlight.TryDequeue(out var entry))
        {
            try
            {
                (await entry.Read.ConfigureAwait(false)).Release();
            }
            catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
            {
            }
        }
        _current = ArraySegment<byte>.Empty;
        ReleaseCurrent();
        _disposing.Cancel();
        if (_handle is not null) await _handle.CloseQuietlyAsync().ConfigureAwait(false);
        _disposing.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposing.IsCancellationRequested) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
