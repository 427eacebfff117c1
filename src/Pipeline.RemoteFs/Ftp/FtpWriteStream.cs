namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// An upload: STOR (or APPE, when resuming) to a temporary sibling, then RNFR/RNTO to the final name on commit.
/// Disposed without commit, it deletes the temporary file (DELE), so nothing half-written ever carries the final
/// name. A resumable upload (<see cref="WriteOptions.Resume"/>) writes to a fixed partial name instead, keeps it
/// when not committed, and continues it next time; <see cref="Position"/> then starts at the bytes already there.
/// </summary>
internal sealed class FtpWriteStream : RemoteWriteStream
{
    private readonly FtpFileSystem _fileSystem;
    private readonly FtpConnectionPool _pool;
    private readonly FtpControlConnection _control;
    private readonly FtpDataConnection _data;
    private readonly string _temporary;
    private readonly bool _overwrite;
    private readonly bool _keepPartial;
    private readonly long _start;
    private long _written;
    private bool _committed;
    private bool _released;
    private bool _disposed;

    public FtpWriteStream(FtpFileSystem fileSystem, FtpConnectionPool pool, FtpControlConnection control, FtpDataConnection data,
        string path, string temporary, bool overwrite, bool keepPartial, long start)
    {
        _fileSystem = fileSystem;
        _pool = pool;
        _control = control;
        _data = data;
        Path = path;
        _temporary = temporary;
        _overwrite = overwrite;
        _keepPartial = keepPartial;
        _start = start;
    }

    public override string Path { get; }

    /// <summary>Bytes in the file so far: those already there when resuming, plus those written.</summary>
    public override long Position { get => _start + _written; set => throw new NotSupportedException(); }

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _released, this);
        await _data.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        _written += buffer.Length;
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _released, this);
        await _data.CompleteAsync(cancellationToken).ConfigureAwait(false);
        await _fileSystem.RenameAsync(_control, _temporary, Path, _overwrite, cancellationToken).ConfigureAwait(false);
        _committed = true;
        _released = true;
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
        GC.SuppressFinalize(this);
        if (_released) return;
        _released = true;
        // Closing the data connection ends the STOR; the server keeps what arrived under the temporary name.
        await _data.AbortAsync().ConfigureAwait(false);
        await _data.DisposeAsync().ConfigureAwait(false);
        if (_committed || _keepPartial)
        {
            await _pool.ReturnAsync(_control).ConfigureAwait(false);
            return;
        }
        await _fileSystem.DiscardAsync(_control, _temporary).ConfigureAwait(false);
    }
}
