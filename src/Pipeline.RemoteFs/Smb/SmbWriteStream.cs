namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// An upload: WRITE requests of the negotiated size, <see cref="SmbSettings.IoDepth"/> in flight, into a temporary
/// sibling renamed to the final name on commit. Disposed without commit, it deletes the temporary file, so nothing
/// half-written ever carries the final name. A resumable upload writes to a fixed partial name instead, keeps it
/// when not committed, and continues it next time; <see cref="Position"/> then starts at the bytes already there.
/// </summary>
/// <remarks>
/// <para>Round trips, which decide the time of small files: the temporary file is created in one compound with its
/// first WRITE (and, for a file that fits in one WRITE, its FLUSH), and the commit renames and closes it in a
/// second. Two round trips for a small file, where a CREATE, a WRITE and a commit took three.</para>
/// <para>The rename is never in the same compound as the WRITE or FLUSH it depends on: servers fail the later
/// requests of a related compound only when its CREATE failed (Samba, Windows), so a failed WRITE or FLUSH would
/// not stop a rename queued behind it, and a short or unflushed file would take the final name. The commit's
/// compound is sent only after every WRITE and the FLUSH have answered with success.</para>
/// <para>The FLUSH (on by default, <c>flush=false</c> skips it) asks the server to make the bytes durable before
/// the rename: without it a server crash can leave the final name on an empty or partial file (ext4 and others
/// commit a rename before the delayed data of a new file). On Samba with <c>strict sync</c> (its default) it is an
/// fsync of that one file; uploads of several files at once overlap them.</para>
/// </remarks>
internal sealed class SmbWriteStream : RemoteWriteStream, IChecksumVerifyingWriteStream
{
    private readonly SmbFileSystem _fs;
    private readonly string _path, _temporary;
    private readonly bool _overwrite, _resume, _createParents;
    // Each WRITE in flight with its pooled request buffer, returned to the pool once that WRITE has completed.
    private readonly Queue<(Task Write, byte[] Request)> _inFlight = new();
    // A pooled WRITE request being filled from SmbFiles.WriteDataOffset: sent as it is, without another copy.
    private byte[] _buffer;
    private readonly int _bufferSize;
    private SmbHandle? _handle;
    private int _filled;
    private long _position;
    private bool _committed, _disposed, _closed;
    // The READ that rode in the creating compound (a file that fits in one WRITE, verified before its commit).
    private ArraySegment<byte>? _readBack;
    // The background FLUSH of a large upload (SmbSettings.FlushEvery), and the position it was asked for at.
    private Task? _interimFlush;
    private long _interimFlushAt;

    /// <summary>An upload whose temporary file is created with its first WRITE.</summary>
    public SmbWriteStream(SmbFileSystem fs, string path, string temporary, bool overwrite, bool createParents, int writeSize)
    {
        _fs = fs;
        _path = path;
        _temporary = temporary;
        _overwrite = overwrite;
        _createParents = createParents;
        // Pooled: a fresh megabyte per upload (or per WRITE) is a large-object allocation, and thousands of small
        // uploads or a large one would spend their time in full garbage collections.
        _buffer = SmbFiles.RentWriteRequest(writeSize);
        _bufferSize = writeSize;
    }

    /// <summary>A resumable upload into the partial file <paramref name="handle"/> has open.</summary>
    public SmbWriteStream(SmbFileSystem fs, SmbHandle handle, string path, string partial, bool overwrite, long position)
    {
        _fs = fs;
        _handle = handle;
        _path = path;
        _temporary = partial;
        _overwrite = overwrite;
        _resume = true;
        _position = position;
        _buffer = SmbFiles.RentWriteRequest(handle.Connection.MaxWriteSize);
        _bufferSize = handle.Connection.MaxWriteSize;
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
            var n = Math.Min(buffer.Length, _bufferSize - _filled);
            buffer.Span[..n].CopyTo(_buffer.AsSpan(SmbFiles.WriteDataOffset + _filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == _bufferSize) await SendBufferAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendBufferAsync(CancellationToken cancellationToken)
    {
        if (_filled == 0) return;
        if (_handle is null)
        {
            _handle = await CreateTemporaryAsync(flush: false, readBack: false, cancellationToken).ConfigureAwait(false);
            return;
        }
        // The buffer is the request: it travels with its WRITE, and the next bytes go to a fresh one.
        _inFlight.Enqueue((_handle.WriteAsync(_position, _buffer, _filled, cancellationToken), _buffer));
        _buffer = SmbFiles.RentWriteRequest(_bufferSize);
        _position += _filled;
        _filled = 0;
        await FlushInBackgroundAsync(cancellationToken).ConfigureAwait(false);
        // A resumable upload keeps one WRITE in flight, so that the partial file never has a hole that a resume would skip.
        while (_inFlight.Count >= (_resume ? 1 : _fs.Settings.IoDepth))
            await AwaitOldestAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// CREATE of the temporary file with the buffered bytes as its first WRITE (and a FLUSH when asked), in one
    /// compound; returns the new handle, with the buffer counted as sent. When the CREATE succeeds but a later part
    /// fails, the temporary file is deleted before the failure is thrown. A missing parent directory is created (when
    /// the upload may) and the compound sent again.
    /// </summary>
    private async Task<SmbHandle> CreateTemporaryAsync(bool flush, bool readBack, CancellationToken cancellationToken)
    {
        SmbHandle handle;
        try
        {
            handle = await _fs.WithConnectionAsync("Opening for write", _path, c => CreateTemporaryAsync(c, flush, readBack, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteFsException ex) when (_createParents && ex.Kind == RemoteErrorKind.NotFound &&
            ex.InnerException is SmbStatusException { Status: SmbStatus.ObjectPathNotFound })
        {
            await _fs.CreateDirectoryAsync(RemotePath.GetParent(_path), cancellationToken).ConfigureAwait(false);
            handle = await _fs.WithConnectionAsync("Opening for write", _path, c => CreateTemporaryAsync(c, flush, readBack, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        _position += _filled;
        _filled = 0;
        return handle;
    }

    private async Task<SmbHandle> CreateTemporaryAsync(SmbConnection c, bool flush, bool readBack, CancellationToken cancellationToken)
    {
        // The read-back asks for one byte more than was written, so that a longer file shows too.
        var readLength = Math.Min(_filled + 1, c.MaxReadSize);
        var related = SmbHandle.Related(c);
        var parts = new List<SmbCompoundPart>
        {
            new(SmbCommand.Create, SmbFiles.CreateRequest(_temporary, SmbAccess.Read | SmbAccess.Write | SmbAccess.Delete, SmbAccess.OverwriteIf,
                SmbAccess.NonDirectoryFile, SmbAccess.ShareRead | SmbAccess.ShareDelete)),
        };
        if (_filled > 0) parts.Add(new(SmbCommand.Write, SmbFiles.WriteRequest(related, 0, _buffer.AsSpan(SmbFiles.WriteDataOffset, _filled)), _filled, _ => true));
        if (flush) parts.Add(new(SmbCommand.Flush, SmbFiles.FlushRequest(related), Accept: _ => true));
        if (readBack) parts.Add(new(SmbCommand.Read, SmbFiles.ReadRequest(related, 0, readLength), readLength, _ => true));
        var responses = await c.SendCompoundAsync(parts, cancellationToken).ConfigureAwait(false);
        var handle = SmbFiles.ParseCreate(c, responses[0]);
        try
        {
            for (var i = 1; i < responses.Length; i++)
                if (responses[i].Status != SmbStatus.Success && !(parts[i].Command == SmbCommand.Read && responses[i].Status == SmbStatus.EndOfFile))
                    throw new SmbStatusException(responses[i].Status, parts[i].Command.ToString());
            if (_filled > 0) SmbFiles.CheckWritten(responses[1], _filled);
            // Only a read that shows the whole file (and its end) can verify it; otherwise the file is read back after.
            _readBack = null;
            if (readBack && SmbFiles.ParseRead(responses[^1], readLength) is var data && (readLength > _filled || data.Count < readLength))
                _readBack = data;
            return handle;
        }
        catch
        {
            await DeleteQuietlyAsync(handle).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Every <see cref="SmbSettings.FlushEvery"/> bytes of a large upload, one FLUSH in the background, so that the
    /// server writes the file to disk while the rest arrives (Samba runs the fsync in its thread pool and goes on
    /// with the WRITEs). It only saves time: the FLUSH before the rename is still what makes the file durable. A
    /// failed background FLUSH fails the upload when the next one is due, or at the commit.
    /// </summary>
    private async ValueTask FlushInBackgroundAsync(CancellationToken cancellationToken)
    {
        var every = _fs.Settings.FlushEvery;
        if (!_fs.Settings.FlushOnCommit || every <= 0 || _position - _interimFlushAt < every) return;
        if (_interimFlush is { IsCompleted: false }) return;
        await AwaitInterimFlushAsync("Writing").ConfigureAwait(false);
        _interimFlushAt = _position;
        _interimFlush = _handle!.FlushAsync(cancellationToken);
    }

    /// <summary>The background FLUSH, if any, awaited; its failure reported as a failure of <paramref name="operation"/>.</summary>
    private async Task AwaitInterimFlushAsync(string operation)
    {
        if (_interimFlush is not { } flush) return;
        _interimFlush = null;
        // A cancelled FLUSH is the cancellation of the write that sent it and stays one, as for the WRITEs in flight.
        try
        {
            await flush.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw SmbErrors.Map(ex, operation, _path, _fs.Endpoint);
        }
    }

    private async Task AwaitOldestAsync()
    {
        var (write, request) = _inFlight.Dequeue();
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw SmbErrors.Map(ex, "Writing", _path, _fs.Endpoint);
        }
        finally
        {
            // The WRITE has completed (sent or failed; SendAsync never abandons a frame half-way): its buffer is free.
            System.Buffers.ArrayPool<byte>.Shared.Return(request);
        }
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("The upload was already committed.");
        await FinishWritesAsync(readBack: false, "Committing", cancellationToken).ConfigureAwait(false);
        await RenameAndCloseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every WRITE sent and acknowledged, then the FLUSH (when <c>flush</c> is on). A file still wholly in the buffer
    /// is created, written and flushed (and read back, when asked) in one compound. A failed FLUSH is reported as a
    /// failure of <paramref name="operation"/>.
    /// </summary>
    private async Task FinishWritesAsync(bool readBack, string operation, CancellationToken cancellationToken)
    {
        var flush = _fs.Settings.FlushOnCommit;
        if (_handle is null)
        {
            _handle = await CreateTemporaryAsync(flush, readBack, cancellationToken).ConfigureAwait(false);
            return;
        }
        await SendBufferAsync(cancellationToken).ConfigureAwait(false);
        while (_inFlight.Count > 0) await AwaitOldestAsync().ConfigureAwait(false);
        if (!flush) return;
        await AwaitInterimFlushAsync(operation).ConfigureAwait(false);
        try
        {
            await _handle.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw SmbErrors.Map(ex, operation, _path, _fs.Endpoint);
        }
    }

    /// <summary>Only once every WRITE and the FLUSH have been acknowledged: rename and CLOSE in one round trip.</summary>
    private async Task RenameAndCloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            _closed = true;
            await _handle!.Connection.SendCompoundAsync(
                [(SmbCommand.SetInfo, SmbFiles.RenameRequest(_handle, _path, _overwrite)), (SmbCommand.Close, SmbFiles.CloseRequest(_handle))],
                cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// The commit of a verified upload: after the last WRITE and the FLUSH, the stored bytes are read back over the
    /// same handle and hashed, and the rename happens only when they match. A file that fits in one WRITE is read back
    /// in the compound that creates it (CREATE, WRITE, FLUSH, READ), so a verified small upload costs the same two
    /// round trips as an unverified one, where a commit followed by reading the file back took three.
    /// </summary>
    public async Task<FileChecksum?> CommitIfStoredChecksumAsync(ChecksumAlgorithm algorithm, string expectedHex, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed) throw new InvalidOperationException("The upload was already committed.");
        if (_resume) return null; // the partial file holds bytes this stream never saw
        using var hash = Local.Checksums.Create(algorithm);
        try
        {
            await FinishWritesAsync(readBack: true, "Verifying", cancellationToken).ConfigureAwait(false);
            if (_readBack is { } data) hash.AppendData(data);
            else await ReadBackAsync(_handle!, hash, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RemoteFsException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            throw SmbErrors.Map(ex, "Verifying", _path, _fs.Endpoint);
        }
        var stored = new FileChecksum(algorithm, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), Native: false);
        if (!stored.Matches(expectedHex)) return stored; // not committed: disposing removes the temporary file
        await RenameAndCloseAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Reads the whole file back over <paramref name="handle"/>, <see cref="SmbSettings.IoDepth"/> READs in
    /// flight, and one READ past the end that must find nothing. A short READ ends it (the hash then differs).</summary>
    private async Task ReadBackAsync(SmbHandle handle, System.Security.Cryptography.IncrementalHash hash, CancellationToken cancellationToken)
    {
        var chunk = handle.Connection.MaxReadSize;
        var inFlight = new Queue<(int Length, Task<SmbReadChunk> Read)>();
        long next = 0;
        try
        {
            while (true)
            {
                while (inFlight.Count < _fs.Settings.IoDepth && next <= _position)
                {
                    // The last READ starts at the end (or asks one byte beyond it), so that a longer file shows.
                    var length = (int)Math.Min(chunk, _position + 1 - next);
                    inFlight.Enqueue((length, handle.ReadAsync(next, length, cancellationToken)));
                    next += length;
                }
                if (inFlight.Count == 0) return;
                var (requested, read) = inFlight.Dequeue();
                var result = await read.ConfigureAwait(false);
                try
                {
                    hash.AppendData(result.Data);
                }
                finally
                {
                    result.Release();
                }
                if (result.Data.Count < requested) return;
            }
        }
        finally
        {
            while (inFlight.TryDequeue(out var left))
            {
                try
                {
                    (await left.Read.ConfigureAwait(false)).Release();
                }
                catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
                {
                }
            }
        }
    }

    private static async Task DeleteQuietlyAsync(SmbHandle handle)
    {
        if (!handle.Connection.IsBroken)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await handle.DeleteOnCloseAsync(quick.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
            {
            }
        }
        await handle.CloseQuietlyAsync().ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        while (_inFlight.TryDequeue(out var entry))
        {
            try
            {
                await entry.Write.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
            {
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(entry.Request);
            }
        }
        if (_interimFlush is { } interim)
        {
            try
            {
                await interim.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
            {
            }
        }
        if (!_committed && _handle is not null)
        {
            if (_resume)
            {
                if (_filled > 0 && !_handle.Connection.IsBroken)
                {
                    try
                    {
                        // Keep what was accepted, so that the next resumed upload continues after it.
                        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                        await _handle.WriteAsync(_position, _buffer, _filled, quick.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is SmbConnectionException or SmbStatusException or SmbProtocolException or OperationCanceledException)
                    {
                    }
                }
                await _handle.CloseQuietlyAsync().ConfigureAwait(false);
            }
            else
            {
                await DeleteQuietlyAsync(_handle).ConfigureAwait(false);
                if (_closed && !_handle.Connection.IsBroken)
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
        }
        System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
