namespace Pipeline.RemoteFs.Local;

/// <summary>Writes to a hidden temporary sibling and renames it over the final name on commit.</summary>
internal sealed class LocalWriteStream : RemoteWriteStream
{
    private readonly FileStream _inner;
    private readonly string _temporary;
    private readonly bool _overwrite;
    private bool _committed;

    public LocalWriteStream(string path, WriteOptions options)
    {
        Path = path;
        _overwrite = options.Overwrite;
        _temporary = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.partial");
        _inner = new FileStream(_temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        if (options.Resume && File.Exists(path))
        {
            using var existing = File.OpenRead(path);
            existing.CopyTo(_inner);
        }
    }

    public override string Path { get; }

    public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Guard(() => _inner.Write(buffer, offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex is not RemoteFsException)
        {
            throw LocalErrors.Map(ex, Path);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => Guard(_inner.Flush);

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        try
        {
            await _inner.FlushAsync(cancellationToken).ConfigureAwait(false);
            _inner.Flush(flushToDisk: true);
            await _inner.DisposeAsync().ConfigureAwait(false);
            if (!_overwrite && File.Exists(Path))
                throw new RemoteFsException(RemoteErrorKind.Conflict, "The file already exists", Path);
            File.Move(_temporary, Path, _overwrite);
            _committed = true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not RemoteFsException)
        {
            throw LocalErrors.Map(ex, Path);
        }
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (IOException ex) when (ex is not RemoteFsException)
        {
            throw LocalErrors.Map(ex, Path);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Discard();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        Discard();
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void Discard()
    {
        _inner.Dispose();
        if (!_committed)
        {
            try { File.Delete(_temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
