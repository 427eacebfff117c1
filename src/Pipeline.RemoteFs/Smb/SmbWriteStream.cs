namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// An upload: WRITE requests of the negotiated size, <see cref="SmbSettings.IoDepth"/> in flight, into a temporary
/// sibling renamed to the final name on commit (after FLUSH). Disposed without commit, it deletes the temporary
/// file, so nothing half-written ever carries the final name. A resumable upload writes to a fixed partial name
/// instead, keeps it when not committed, and continues it next time; <see cref="Position"/> then starts at the
/// bytes already there.
/// </summary>
internal sealed class SmbWriteStream : RemoteWriteStream
{
    private readonly SmbFileSystem _fs;
    private readonly SmbHandle _handle;
    private readonly string _path, _temporary;
    private readonly bool _overwrite, _resume;
    private readonly Queue<Task> _inFlight = new();
    private readonly byte[] _buffer;
    private int _filled;
    private long _position;
    private bool _committed, _disposed, _closed;

    public SmbWriteStream(SmbFileSystem fs, SmbHandle handle, string path, string temporary, bool overwrite, bool resume, long position)
    {
        _fs = fs;
        _handle = handle;
        _path = path;
        _temporary = temporary;
        _overwrite = overwrite;
        _resume = resume;
        _position = position;
        _buffer = new byte[handle.Connection.MaxWriteSize];
    }

    public override string Path => _path;

    /// <summary>Bytes accepted so far, counting those already in a resumed partial file.</summary>
    public override long Position { get => _position + _filled; set => throw new NotSupportedException(); }

    public override void Flush() { }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("The upload was already committed.");
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, _buffer.Length - _filled);
            buffer.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _buffer.Length) await SendBufferAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendBufferAsync(CancellationToken cancellationToken)
    {
        if (_filled == 0) return;
        // WriteAsync copies the bytes into its request before it first awaits, so the buffer is free again at once.
        _inFlight.Enqueue(_handle.WriteAsync(_position, _buffer.AsMemory(0, _filled), cancellationToken));
        _position += _filled;
        _filled = 0;
        // A resumable upload keeps one WRITE in flight, so that the partial file never has a hole that a resume would skip.
        while (_inFlight.Count >= (_resume ? 1 : _fs.Settings.IoDepth))
            await AwaitOldestAsync().ConfigureAwait(false);
    }

    private async Task AwaitOldestAsync()
    {
        try
        {
            await _inFlight.Dequeue().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw SmbErrors.Map(ex, "Writing", _path, _fs.Endpoint);
        }
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("The upload was already committed.");
        await SendBufferAsync(cancellationToken).ConfigureAwait(false);
        while (_inFlight.Count > 0) await AwaitOldestAsync().ConfigureAwait(false);
        try
        {
            // FLUSH, rename and CLOSE in one compound: one round trip. Every WRITE has been acknowledged before it.
            var parts = new List<(SmbCommand, byte[])>();
            if (_fs.Settings.FlushOnCommit) parts.Add((SmbCommand.Flush, SmbFiles.FlushRequest(_handle)));
            parts.Add((SmbCommand.SetInfo, SmbFiles.RenameRequest(_handle, _path, _overwrite)));
            parts.Add((SmbCommand.Close, SmbFiles.CloseRequest(_handle)));
            _closed = true;
            await _handle.Connection.SendCompoundAsync(parts, cancellationToken).ConfigureAwait(false);
        }
        catch (SmbStatusException ex) when (ex.Status == SmbStatus.ObjectNameCollision)
        {
            throw new RemoteFsException(RemoteErrorKind.Conflict, "The file already exists and overwrite is off", _path, _fs.Endpoint, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw SmbErrors.Map(ex, "Committing", _path, _fs.Endpoint);
        }
        _committed = true;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        while (_inFlight.Count > 0)
        {
            try
            {
                await _inFlight.Dequeue().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
            {
            }
        }
        if (!_committed)
        {
            if (_resume && _filled > 0 && !_handle.Connection.IsBroken)
            {
                try
                {
                    // Keep what was accepted, so that the next resumed upload continues after it.
                    using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await _handle.WriteAsync(_position, _buffer.AsMemory(0, _filled), quick.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
                {
                }
            }
            else if (!_resume && !_handle.Connection.IsBroken)
            {
                try
                {
                    using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await _handle.DeleteOnCloseAsync(quick.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
                {
                }
            }
            await _handle.CloseQuietlyAsync().ConfigureAwait(false);
            if (!_resume && _closed && !_handle.Connection.IsBroken)
            {
                // A failed commit compound may have closed the handle already: delete the temporary file by name.
                try
                {
                    await _fs.DeleteFileAsync(_temporary).ConfigureAwait(false);
                }
                catch (RemoteFsException)
                {
                }
            }
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
