using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// One ssh process speaking SFTP v3 on its standard input and output. Requests carry ids and any number may be in
/// flight; a reader loop completes each with its response. When the process ends, every request in flight fails
/// with a typed error built from what ssh printed on standard error.
/// </summary>
internal sealed class SftpChannel : IAsyncDisposable
{
    /// <summary>Larger than any packet a sane server sends (OpenSSH: 256 KiB); a bigger length means garbage.</summary>
    private const int MaxIncomingPacket = 16 * 1024 * 1024;

    private readonly Process _process;
    private readonly Stream _input; // blocking writes on ssh's standard input
    private readonly Stream _output; // blocking reads from ssh's standard output (buffered)
    private readonly TaskCompletionSource<(byte[] Buffer, int Length)?> _version = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _writeLock = new(); // one writer at a time: a packet is never interleaved with another
    private readonly ConcurrentDictionary<uint, PendingRequest> _pending = new();
    private int _outstanding; // _pending's count, without taking all its locks
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly TimeSpan _operationTimeout;
    private ITimer? _watchdog;
    private Task _reader = Task.CompletedTask;
    private SftpChannelException? _failure;
    private long _lastProgress;
    private long _lastUsed;
    private int _activeTransfers;
    private uint _nextId;
    private int _disposed;

    private SftpChannel(Process process, TimeProvider time, TimeSpan operationTimeout)
    {
        _process = process;
        _input = BlockingPipe.Open(process.StandardInput.BaseStream, FileAccess.Write);
        _output = new BufferedStream(BlockingPipe.Open(process.StandardOutput.BaseStream, FileAccess.Read), 64 * 1024);
        _time = time;
        _operationTimeout = operationTimeout;
        _lastProgress = _lastUsed = time.GetTimestamp();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stderrClosed.TrySetResult();
                return;
            }
            lock (_stderr)
            {
                if (_stderr.Length < 64 * 1024) _stderr.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
    }

    /// <summary>The ssh process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Extensions the server announced, by name, with their data.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; private set; } = new Dictionary<string, string>();

    /// <summary>What the server allows per request.</summary>
    public SftpLimits Limits { get; private set; } = SftpLimits.Default;

    /// <summary>The directory the session starts in (the user's home, usually).</summary>
    public string InitialDirectory { get; private set; } = "/";

    /// <summary>Whether the process is still there and no failure was seen.</summary>
    public bool IsAlive => _failure is null && !_process.HasExited;

    /// <summary>Requests in flight.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Streams (reads and writes of files) using this channel now.</summary>
    public int ActiveTransfers => Volatile.Read(ref _activeTransfers);

    /// <summary>Time since the last response, or since the channel was last handed out.</summary>
    public TimeSpan IdleTime => _time.GetElapsedTime(Math.Max(Volatile.Read(ref _lastUsed), Volatile.Read(ref _lastProgress)));

    public bool Supports(string extension) => Extensions.ContainsKey(extension);

    public void MarkUsed() => Volatile.Write(ref _lastUsed, _time.GetTimestamp());

    public void BeginTransfer() => Interlocked.Increment(ref _activeTransfers);

    public void EndTransfer() => Interlocked.Decrement(ref _activeTransfers);

    /// <summary>Starts ssh, sends INIT and waits for VERSION; then learns the server's limits and home.</summary>
    /// <exception cref="SftpChannelException">ssh could not connect, authenticate or start the subsystem.</exception>
    public static async Task<SftpChannel> StartAsync(SshCommand command, TimeSpan operationTimeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var launch = command.Prepare();
        var process = new Process { StartInfo = launch.StartInfo };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new SftpChannelException(RemoteErrorKind.NotSupported, $"ssh could not be started from '{command.SshPath}': {ex.Message}", ex);
        }
        SshChildProcesses.Add(process);
        var channel = new SftpChannel(process, time, operationTimeout);
        try
        {
            await channel.HandshakeAsync(command.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        // The session is authenticated: the askpass secret is no longer needed (the launch is disposed here).
        return channel;
    }

    private async Task HandshakeAsync(TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        _reader = StartReader();
        using (var init = new SftpPacketWriter(SftpPacketType.Init))
        {
            init.WriteUInt32(3);
            WriteRaw(init.Complete());
        }
        (byte[] Buffer, int Length)? version;
        try
        {
            version = await _version.Task.WaitAsync(connectTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            SshChildProcesses.Kill(_process);
            throw new SftpChannelException(RemoteErrorKind.Timeout,
                $"No SFTP session within the connect timeout of {connectTimeout.TotalSeconds:0.#} s. {await StderrAfterExitAsync().ConfigureAwait(false)}".TrimEnd());
        }
        catch (OperationCanceledException)
        {
            SshChildProcesses.Kill(_process);
            throw;
        }
        if (version is null)
        {
            await _reader.ConfigureAwait(false); // it has recorded why the session ended
            throw _failure ?? await ExitErrorAsync().ConfigureAwait(false);
        }
        try
        {
            ParseVersion(version.Value.Buffer.AsSpan(0, version.Value.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(version.Value.Buffer);
        }
        _watchdog = _time.CreateTimer(_ => CheckProgress(), null, WatchdogPeriod, WatchdogPeriod);

        Task<SftpResponse>? limits = null;
        if (Supports(SftpExtensions.Limits))
        {
            using var request = new SftpPacketWriter(SftpPacketType.Extended);
            request.WriteString(SftpExtensions.Limits);
            limits = RequestAsync(request, cancellationToken);
        }
        using (var realpath = new SftpPacketWriter(SftpPacketType.Realpath))
        {
            realpath.WriteString(".");
            using var home = await RequestAsync(realpath, cancellationToken).ConfigureAwait(false);
            InitialDirectory = home.ReadSingleName();
        }
        if (limits is not null)
        {
            using var reply = await limits.ConfigureAwait(false);
            reply.Expect(SftpPacketType.ExtendedReply);
            var reader = reply.Reader();
            var packet = (long)reader.ReadUInt64();
            var read = (long)reader.ReadUInt64();
            var write = (long)reader.ReadUInt64();
            var handles = (long)reader.ReadUInt64();
            Limits = new SftpLimits(
                packet > 0 ? packet : SftpLimits.Default.MaxPacketLength,
                read > 0 ? read : SftpLimits.Default.MaxReadLength,
                write > 0 ? write : SftpLimits.Default.MaxWriteLength,
                handles);
        }
    }

    private TimeSpan WatchdogPeriod => TimeSpan.FromTicks(Math.Clamp(_operationTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(5).Ticks));

    private void ParseVersion(ReadOnlySpan<byte> packet)
    {
        var reader = new SftpPacketReader(packet);
        var type = (SftpPacketType)reader.ReadByte();
        if (type != SftpPacketType.Version)
            throw new SftpChannelException(RemoteErrorKind.Protocol, $"The server answered INIT with {type}, not VERSION.");
        var version = reader.ReadUInt32();
        if (version < 3)
            throw new SftpChannelException(RemoteErrorKind.NotSupported, $"The server speaks SFTP version {version}; version 3 is needed.");
        var extensions = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Remaining > 0)
        {
            var name = reader.ReadString();
            extensions[name] = reader.ReadString();
        }
        Extensions = extensions;
    }

    /// <summary>
    /// The reader runs on a thread of its own with blocking reads: streaming a large file through the thread pool's
    /// asynchronous pipe reads cost several times the CPU (a wake-up per 64 KiB pipe read).
    /// </summary>
    private Task StartReader()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ReadLoop();
            }
            finally
            {
                _version.TrySetResult(null);
                done.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = $"sftp reader (ssh {ProcessId})",
        };
        thread.Start();
        return done.Task;
    }

    private bool ReadExactly(Span<byte> buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = _output.Read(buffer[read..]);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    /// <summary>
    /// Reads one packet (without its length prefix) into a pooled buffer; false at end of stream. The first packet is
    /// the VERSION answer, where anything else than SFTP (a login script's text) shows first.
    /// </summary>
    private bool TryReadPacket(bool first, out byte[] buffer, out int length)
    {
        Span<byte> header = stackalloc byte[4];
        buffer = [];
        length = 0;
        if (!ReadExactly(header)) return false;
        length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length < (first ? 1 : 5) || length > MaxIncomingPacket)
            throw new SftpChannelException(RemoteErrorKind.Protocol, first
                ? $"The server sent a packet length of {length}; the stream is not SFTP (does a login script print text?)."
                : $"The server sent a packet length of {length}.");
        buffer = ArrayPool<byte>.Shared.Rent(length);
        if (ReadExactly(buffer.AsSpan(0, length))) return true;
        ArrayPool<byte>.Shared.Return(buffer);
        return false;
    }

    private void ReadLoop()
    {
        try
        {
            if (!TryReadPacket(first: true, out var version, out var versionLength))
            {
                _version.TrySetResult(null);
                if (_failure is null) Fail(ExitErrorAsync().GetAwaiter().GetResult(), kill: true);
                return;
            }
            _version.TrySetResult((version, versionLength));
            while (TryReadPacket(first: false, out var buffer, out var length))
            {
                Volatile.Write(ref _lastProgress, _time.GetTimestamp());
                var response = new SftpResponse(buffer, length);
                if (TryTake(response.RequestId, out var pending))
                    pending.Complete(response, this);
                else
                    response.Dispose(); // an answer to nothing we asked: ignore it
            }
            if (_failure is null)
                Fail(ExitErrorAsync().GetAwaiter().GetResult(), kill: true);
        }
        catch (SftpChannelException ex)
        {
            Fail(ex, kill: true);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SftpProtocolException)
        {
            Fail(_failure ?? (ex is SftpProtocolException
                ? new SftpChannelException(RemoteErrorKind.Protocol, ex.Message, ex)
                : ExitErrorAsync().GetAwaiter().GetResult()), kill: true);
        }
    }

    private async Task<SftpChannelException> ExitErrorAsync()
    {
        var stderr = await StderrAfterExitAsync().ConfigureAwait(false);
        var exitCode = _process.HasExited ? _process.ExitCode : (int?)null;
        return SshErrors.Classify(stderr, exitCode);
    }

    /// <summary>Everything ssh printed, once it has exited (or a few seconds have passed).</summary>
    public async Task<string> StderrAfterExitAsync()
    {
        try
        {
            await Task.WhenAll(_process.WaitForExitAsync(), _stderrClosed.Task).WaitAsync(TimeSpan.FromSeconds(5), _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        lock (_stderr) return _stderr.ToString();
    }

    /// <summary>Sends a request and waits for its response. Cancelling stops the wait, not the request.</summary>
    /// <param name="request">The request; its id is assigned here.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <param name="closeHandleIfAbandoned">For OPEN/OPENDIR: when the wait is cancelled, close the handle that arrives later.</param>
    public async Task<SftpResponse> RequestAsync(SftpPacketWriter request, CancellationToken cancellationToken, bool closeHandleIfAbandoned = false)
    {
        var pending = Send(request, cancellationToken, closeHandleIfAbandoned);
        try
        {
            return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            pending.Abandon(this);
            throw;
        }
    }

    /// <summary>Sends a request; the returned pending request completes with its response.</summary>
    /// <remarks>
    /// Sending is synchronous: a blocking write to ssh's pipe, which returns as soon as the pipe has room (1 MiB on
    /// Linux). An asynchronous send cost a state machine per request and gained nothing, the write being blocking.
    /// </remarks>
    public PendingRequest Send(SftpPacketWriter request, CancellationToken cancellationToken, bool closeHandleIfAbandoned = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pending = Register(request, closeHandleIfAbandoned, out var id);
        Write(request.Complete().Span, new ReadOnlySpan<uint>(in id));
        return pending;
    }

    /// <summary>
    /// Sends several requests with one write to ssh, so that ssh wakes once and sends them in one SSH message (the
    /// server still answers each on its own, in order). The answers belong to the caller, also when it stops waiting.
    /// </summary>
    public PendingRequest[] Send(IReadOnlyList<SftpPacketWriter> requests, CancellationToken cancellationToken)
    {
        if (requests.Count == 1) return [Send(requests[0], cancellationToken)];
        cancellationToken.ThrowIfCancellationRequested();
        var pendings = new PendingRequest[requests.Count];
        Span<uint> ids = stackalloc uint[requests.Count];
        var length = 0;
        for (var i = 0; i < requests.Count; i++)
        {
            pendings[i] = Register(requests[i], closeHandleIfAbandoned: false, out ids[i]);
            length += requests[i].Length;
        }
        var batch = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var position = 0;
            foreach (var request in requests)
            {
                request.Complete().Span.CopyTo(batch.AsSpan(position));
                position += request.Length;
            }
            Write(batch.AsSpan(0, length), ids);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
        return pendings;
    }

    private PendingRequest Register(SftpPacketWriter request, bool closeHandleIfAbandoned, out uint id)
    {
        ThrowIfFailed();
        id = Interlocked.Increment(ref _nextId);
        request.SetRequestId(id);
        var pending = new PendingRequest(closeHandleIfAbandoned);
        if (Interlocked.Increment(ref _outstanding) == 1) Volatile.Write(ref _lastProgress, _time.GetTimestamp());
        _pending[id] = pending;
        return pending;
    }

    /// <summary>Writes registered requests to ssh; when they cannot be sent, they are taken back (or fail with the channel).</summary>
    private void Write(ReadOnlySpan<byte> packets, ReadOnlySpan<uint> ids)
    {
        lock (_writeLock)
        {
            try
            {
                if (_failure is not null)
                {
                    foreach (var id in ids) TryTake(id, out _);
                    ThrowIfFailed();
                }
                // A blocking write, never cancelled half-way (the stream would lose its framing). Asynchronous pipe
                // writes cost a thread-pool wake-up per 64 KiB; this blocks one thread at most per channel (others wait
                // for the lock), for as long as ssh takes to drain the pipe (bounded by the operation timeout, after
                // which ssh is killed).
                _input.Write(packets);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                Fail(new SftpChannelException(RemoteErrorKind.Transient, "The connection to the server was lost.", ex), kill: true);
            }
        }
    }

    private bool TryTake(uint id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PendingRequest? pending)
    {
        if (!_pending.TryRemove(id, out pending)) return false;
        Interlocked.Decrement(ref _outstanding);
        return true;
    }

    /// <summary>Sends a request whose answer nobody waits for (closing an abandoned handle).</summary>
    private void SendAndForget(SftpPacketWriter request)
    {
        _ = Task.Run(async () =>
        {
            using (request)
            {
                try
                {
                    (await Send(request, CancellationToken.None).Task.ConfigureAwait(false)).Dispose();
                }
                catch (SftpChannelException)
                {
                }
            }
        });
    }

    internal void CloseAbandonedHandle(SftpResponse response)
    {
        using (response)
        {
            if (response.Type != SftpPacketType.Handle || _failure is not null) return;
            var close = new SftpPacketWriter(SftpPacketType.Close);
            close.WriteBytes(response.ReadHandle());
            SendAndForget(close);
        }
    }

    private void WriteRaw(ReadOnlyMemory<byte> packet)
    {
        lock (_writeLock)
        {
            try
            {
                _input.Write(packet.Span);
            }
            catch (IOException)
            {
                // ssh is gone already: the read that follows reports why.
            }
        }
    }

    private void ThrowIfFailed()
    {
        var failure = _failure;
        if (failure is not null) throw new SftpChannelException(failure.Kind, failure.Message, failure);
    }

    private void CheckProgress()
    {
        if (Outstanding == 0 || _failure is not null) return;
        if (_time.GetElapsedTime(Volatile.Read(ref _lastProgress)) > _operationTimeout)
            Fail(new SftpChannelException(RemoteErrorKind.Timeout,
                $"The server answered nothing for {_operationTimeout.TotalSeconds:0.#} s (the operation timeout); the connection was closed."), kill: true);
    }

    /// <summary>Fails every request in flight and every later one; with <paramref name="kill"/> also ends ssh.</summary>
    private void Fail(SftpChannelException failure, bool kill)
    {
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null) return;
        foreach (var id in _pending.Keys)
        {
            if (TryTake(id, out var pending))
                pending.Fail(failure);
        }
        if (kill) SshChildProcesses.Kill(_process);
    }

    /// <summary>Ends the session: closes ssh's input so it exits cleanly, and kills it if it does not at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        Fail(new SftpChannelException(RemoteErrorKind.Cancelled, "The SFTP session was closed."), kill: false);
        if (_watchdog is not null) await _watchdog.DisposeAsync().ConfigureAwait(false);
        lock (_writeLock)
        {
            try
            {
                _input.Dispose();
                _process.StandardInput.Dispose(); // closes the pipe: ssh sees end of input and exits
            }
            catch (IOException)
            {
            }
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(2), _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            SshChildProcesses.Kill(_process);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        SshChildProcesses.Remove(_process);
        try
        {
            await _reader.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
        _output.Dispose();
        _process.Dispose();
    }
}

/// <summary>A request in flight: completed by the reader loop, failed with the channel, or abandoned by its caller.</summary>
internal sealed class PendingRequest(bool closeHandleIfAbandoned)
{
    private const int Waiting = 0, Done = 1, Abandoned = 2;
    private readonly TaskCompletionSource<SftpResponse> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;

    public Task<SftpResponse> Task => _completion.Task;

    public void Complete(SftpResponse response, SftpChannel channel)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) == Waiting)
            _completion.SetResult(response);
        else
            Orphan(response, channel);
    }

    public void Fail(SftpChannelException failure)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Waiting) == Waiting)
            _completion.SetException(new SftpChannelException(failure.Kind, failure.Message, failure));
    }

    /// <summary>The caller stopped waiting; a response that came or comes is released (and its handle closed).</summary>
    public void Abandon(SftpChannel channel)
    {
        if (Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting) return;
        if (_completion.Task.IsCompletedSuccessfully) Orphan(_completion.Task.Result, channel);
    }

    private void Orphan(SftpResponse response, SftpChannel channel)
    {
        if (closeHandleIfAbandoned) channel.CloseAbandonedHandle(response);
        else response.Dispose();
    }
}
