namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// A download (RETR): reads the data connection, and at its end checks the server's final reply and the byte count
/// announced by SIZE, so that a transfer cut short never looks complete. The control connection goes back to the
/// pool when the stream ends or is disposed.
/// </summary>
internal sealed class FtpReadStream : Stream
{
    private readonly FtpConnectionPool _pool;
    private readonly FtpControlConnection _control;
    private readonly FtpDataConnection _data;
    private readonly string _path;
    private readonly long? _expected;
    private long? _remainingLimit;
    private long _read;
    private bool _finished;
    private bool _disposed;

    /// <param name="pool">Where the control connection returns.</param>
    /// <param name="control">The control connection, busy with this transfer.</param>
    /// <param name="data">The data connection.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="expected">The bytes the server should send (SIZE minus the offset), when known.</param>
    /// <param name="limit">Read at most this many bytes, then end the transfer early.</param>
    public FtpReadStream(FtpConnectionPool pool, FtpControlConnection control, FtpDataConnection data, string path, long? expected, long? limit)
    {
        _pool = pool;
        _control = control;
        _data = data;
        _path = path;
        _expected = expected;
        _remainingLimit = limit;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _read; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished || buffer.Length == 0) return 0;
        if (_remainingLimit is { } limit)
        {
            if (limit == 0)
            {
                await FinishEarlyAsync().ConfigureAwait(false);
                return 0;
            }
            if (buffer.Length > limit) buffer = buffer[..(int)limit];
        }
        int read;
        try
        {
            read = await _data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await ReleaseAsync(abort: true).ConfigureAwait(false);
            throw;
        }
        if (read == 0)
        {
            await CompleteAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        _read += read;
        if (_remainingLimit is not null)
        {
            _remainingLimit -= read;
            if (_remainingLimit == 0 && _expected is { } expected && _read == expected)
                _remainingLimit = null; // the limit is the end of the file: let the transfer complete normally
        }
        return read;
    }

    private async Task CompleteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _data.CompleteAsync(cancellationToken).ConfigureAwait(false);
            if (_expected is { } expected && _read != expected)
            {
                _control.MarkBroken();
                throw new RemoteFsException(RemoteErrorKind.Transient,
                    $"Download ended after {_read} of {expected} bytes", _path, _control.Settings.Endpoint);
            }
        }
        catch (RemoteFsException ex) when (ex.Kind != RemoteErrorKind.Transient && _expected is { } expected && _read < expected)
        {
            // The data ended early and the control connection failed too: the server went away mid-transfer.
            _control.MarkBroken();
            throw new RemoteFsException(RemoteErrorKind.Transient, $"Download ended after {_read} of {expected} bytes ({ex.Message})", _path, _control.Settings.Endpoint, ex);
        }
        finally
        {
            await ReleaseAsync(abort: false).ConfigureAwait(false);
        }
    }

    private Task FinishEarlyAsync() => ReleaseAsync(abort: true);

    private async Task ReleaseAsync(bool abort)
    {
        if (_finished) return;
        _finished = true;
        if (abort) await _data.AbortAsync().ConfigureAwait(false);
        await _data.DisposeAsync().ConfigureAwait(false);
        await _pool.ReturnAsync(_control).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await ReleaseAsync(abort: true).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
