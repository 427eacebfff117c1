namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// Writes a temporary sibling of the final file with many WRITE requests in flight, and on commit flushes it
/// (fsync@openssh.com when offered), closes it and renames it into place (posix-rename@openssh.com when offered, so
/// the replacement is atomic). Disposed without a commit, it removes the temporary file — unless the upload was opened
/// with <see cref="WriteOptions.Resume"/>, in which case the partial file stays for the next attempt to continue.
/// </summary>
/// <remarks><see cref="Position"/> starts where a resumed upload continues: the caller skips that many bytes of its source.</remarks>
internal sealed class SftpWriteStream : RemoteWriteStream
{
    private readonly SftpFileSystem _fileSystem;
    private readonly SftpChannel _channel;
    private readonly byte[] _handle;
    private readonly string _temporary;
    private readonly WriteOptions _options;
    private readonly bool _fsync;
    private readonly int _window;
    private readonly int _chunk;
    private SftpPacketWriter? _packet; // the WRITE being filled: the data goes straight into the packet
    private int _lengthPosition;
    private readonly Queue<Task<SftpResponse>> _inFlight = new();
    private int _buffered;
    private long _offset;
    private bool _handleOpen = true;
    private bool _committed;
    private bool _broken;
    private int _disposed;

    public SftpWriteStream(SftpFileSystem fileSystem, SftpChannel channel, byte[] handle, string path, string temporary, long startOffset,
        WriteOptions options, int chunk, int window, bool fsync)
    {
        _fileSystem = fileSystem;
        _channel = channel;
        _handle = handle;
        Path = path;
        _temporary = temporary;
        _offset = startOffset;
        _options = options;
        _window = window;
        _fsync = fsync;
        _chunk = chunk;
        channel.BeginTransfer();
    }

    public override string Path { get; }

    /// <summary>The temporary name the data goes to until commit.</summary>
    public string TemporaryPath => _temporary;

    public override long Position { get => _offset + _buffered; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        while (buffer.Length > 0)
        {
            if (_packet is null)
            {
                _packet = new SftpPacketWriter(SftpPacketType.Write, _handle.Length + 32 + _chunk);
                _packet.WriteBytes(_handle);
                _packet.WriteUInt64((ulong)_offset);
                _lengthPosition = _packet.ReserveUInt32();
            }
            var count = Math.Min(buffer.Length, _chunk - _buffered);
            _packet.WriteRaw(buffer.Span[..count]);
            _buffered += count;
            buffer = buffer[count..];
            if (_buffered == _chunk)
                await Guard(() => SendBufferAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Sends what is buffered and waits until the server has acknowledged every write.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        await Guard(async () =>
        {
            await SendBufferAsync(cancellationToken).ConfigureAwait(false);
            while (_inFlight.Count > 0) await CompleteOldestAsync(cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        await Guard(async () =>
        {
            // The last WRITE, the fsync and the CLOSE go to ssh in one write, and the server handles them in order.
            using var last = TakePacket();
            using var fsync = _fsync && _channel.Supports(SftpExtensions.Fsync) ? SftpRequests.FsyncRequest(_handle) : null;
            using var close = SftpRequests.CloseRequest(_handle);
            var batch = new List<SftpPacketWriter>(3);
            if (last is not null) batch.Add(last);
            if (fsync is not null) batch.Add(fsync);
            batch.Add(close);
            var sent = _channel.Send(batch, cancellationToken);
            _handleOpen = false;
            if (last is not null) _inFlight.Enqueue(sent[0].Task);
            var fsyncAnswer = fsync is null ? null : sent[^2].Task;
            var closeAnswer = sent[^1].Task;
            try
            {
                // One wake-up for all of them: a server answering in order (OpenSSH does) has answered every WRITE and
                // the fsync once the CLOSE is answered. Then each is checked in order, so the first failure is the one
                // reported, and nothing is renamed unless every write, the fsync and the close succeeded.
                await ((Task)closeAnswer).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                cancellationToken.ThrowIfCancellationRequested();
                while (_inFlight.Count > 0) await CompleteOldestAsync(cancellationToken).ConfigureAwait(false);
                if (fsyncAnswer is not null) Check(await fsyncAnswer.WaitAsync(cancellationToken).ConfigureAwait(false));
                Check(await closeAnswer.ConfigureAwait(false));
            }
            finally
            {
                SftpResponse.DisposeWhenAnswered(fsyncAnswer);
                SftpResponse.DisposeWhenAnswered(closeAnswer);
            }
            await _fileSystem.RenameIntoPlaceAsync(_channel, _temporary, Path, _options.Overwrite, cancellationToken).ConfigureAwait(false);
            _committed = true;
        }).ConfigureAwait(false);
    }

    /// <summary>Whether the server can copy a file into this upload itself (copy-data).</summary>
    public bool CanCopyOnServer => _channel.Supports(SftpExtensions.CopyData);

    /// <summary>Appends the whole of <paramref name="source"/> by copy-data: the bytes never leave the server.</summary>
    public async Task CopyOnServerAsync(string source, CancellationToken cancellationToken)
    {
        ThrowIfUnusable();
        await Guard(async () =>
        {
            await SendBufferAsync(cancellationToken).ConfigureAwait(false);
            while (_inFlight.Count > 0) await CompleteOldestAsync(cancellationToken).ConfigureAwait(false);
            var handle = await _channel.OpenAsync(source, SftpOpenFlags.Read, cancellationToken).ConfigureAwait(false);
            try
            {
                var size = (await _channel.FstatAsync(handle, cancellationToken).ConfigureAwait(false)).Size;
                await _channel.CopyDataAsync(handle, _handle, _offset, cancellationToken).ConfigureAwait(false);
                _offset += size;
            }
            finally
            {
                await _channel.CloseQuietlyAsync(handle).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }

    private async Task SendBufferAsync(CancellationToken cancellationToken)
    {
        using var request = TakePacket();
        if (request is null) return;
        _inFlight.Enqueue(_channel.Send(request, cancellationToken).Task);
        while (_inFlight.Count >= _window) await CompleteOldestAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The WRITE being filled, finished; null when nothing is buffered.</summary>
    private SftpPacketWriter? TakePacket()
    {
        var request = _packet;
        if (request is null) return null;
        _packet = null;
        request.PatchUInt32(_lengthPosition, (uint)_buffered);
        _offset += _buffered;
        _buffered = 0;
        return request;
    }

    private async Task CompleteOldestAsync(CancellationToken cancellationToken)
    {
        using var response = await _inFlight.Peek().WaitAsync(cancellationToken).ConfigureAwait(false);
        _ = _inFlight.Dequeue();
        response.Expect(SftpPacketType.Status);
    }

    private static void Check(SftpResponse response)
    {
        using (response) response.Expect(SftpPacketType.Status);
    }

    private async Task Guard(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _broken = true;
            throw;
        }
        catch (Exception ex) when (ex is SftpChannelException or SftpStatusException or SftpProtocolException)
        {
            _broken = true;
            throw _fileSystem.Error(ex, "Writing", Path);
        }
        catch (RemoteFsException)
        {
            _broken = true;
            throw;
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_committed) throw new InvalidOperationException($"The upload to '{Path}' is committed already.");
        if (_broken) throw new RemoteFsException(RemoteErrorKind.Io, "The upload cannot go on after an earlier failure or cancellation", Path);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            _packet?.Dispose();
            _packet = null;
            if (_committed) return;
            foreach (var write in _inFlight)
                _ = write.ContinueWith(static t =>
                {
                    if (t.IsCompletedSuccessfully) t.Result.Dispose();
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _inFlight.Clear();
            if (_handleOpen) await _channel.CloseQuietlyAsync(_handle).ConfigureAwait(false);
            if (!_options.Resume) await _fileSystem.RemoveQuietlyAsync(_channel, _temporary).ConfigureAwait(false);
        }
        finally
        {
            _channel.EndTransfer();
            GC.SuppressFinalize(this);
        }
    }
}
