namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// The ssh processes of one endpoint and credential. Channels are shared: small requests go to the least busy one,
/// and a file transfer gets a channel of its own while fewer than the maximum are open. A small file's transfer
/// (all its writes in flight at once: it waits on round trips, not on bandwidth) never waits for a key exchange while
/// a channel is open: it shares the least busy one, and when even that one carries <c>transfers_per_connection</c>
/// transfers, another channel opens in the background. A channel idle for
/// a while answers a cheap request before it is used again; a dead one is dropped. Disposing kills every process,
/// those still opening included.
/// </summary>
internal sealed class SftpChannelPool : IAsyncDisposable
{
    private readonly SshCommand _command;
    private readonly TimeSpan _operationTimeout;
    private readonly TimeProvider _time;
    private readonly List<SftpChannel> _channels = [];
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closing = new();
    private readonly List<Task> _growing = [];
    private readonly List<Task> _dropped = [];
    private int _opening;
    private bool _cannotGrow;
    private bool _disposed;

    public SftpChannelPool(SshCommand command, TimeSpan operationTimeout, TimeProvider time)
    {
        _command = command;
        _operationTimeout = operationTimeout;
        _time = time;
    }

    public SshCommand Command => _command;

    /// <summary>The ids of the ssh processes of this pool.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (_gate) return _channels.Select(c => c.ProcessId).ToArray();
        }
    }

    /// <summary>
    /// A channel for one request (<paramref name="forTransfer"/> false) or one file transfer; a <paramref name="small"/>
    /// transfer shares an open channel rather than wait for a new one, which then opens in the background.
    /// </summary>
    public async Task<SftpChannel> GetAsync(bool forTransfer, CancellationToken cancellationToken, bool small = false)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SftpChannel? chosen;
            bool open;
            Task changed;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _channels.RemoveAll(c => !c.IsAlive && Drop(c));
                chosen = _channels.MinBy(c => (c.ActiveTransfers, c.Outstanding));
                var room = _channels.Count + _opening < _command.Settings.MaxConnections;
                if (forTransfer && small)
                {
                    // The first channel is opened by one caller and waited for by the rest; later ones open behind.
                    open = room && chosen is null && _opening == 0;
                    if (room && !_cannotGrow && chosen is not null && _opening == 0
                        && chosen.ActiveTransfers >= _command.Settings.TransfersPerConnection)
                    {
                        _opening++;
                        _growing.RemoveAll(t => t.IsCompleted);
                        _growing.Add(Task.Run(GrowAsync));
                    }
                }
                else
                {
                    open = room && (chosen is null
                        ? _opening == 0 || forTransfer
                        : forTransfer && chosen.ActiveTransfers > 0);
                }
                if (open) _opening++;
                changed = _changed.Task;
            }
            if (open)
            {
                try
                {
                    var channel = await SftpChannel.StartAsync(_command, _operationTimeout, _time, cancellationToken).ConfigureAwait(false);
                    lock (_gate)
                    {
                        if (_disposed)
                        {
                            _ = channel.DisposeAsync().AsTask();
                            throw new ObjectDisposedException(nameof(SftpChannelPool));
                        }
                        _channels.Add(channel);
                    }
                    channel.MarkUsed();
                    return channel;
                }
                catch when (chosen is not null)
                {
                    // Another connection could not be opened (server limit, say): share the ones we have.
                }
                finally
                {
                    OpeningEnded();
                }
            }
            if (chosen is null)
            {
                // Another caller is opening the first channel: wait for it to succeed or fail.
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (await IsHealthyAsync(chosen, cancellationToken).ConfigureAwait(false))
            {
                chosen.MarkUsed();
                return chosen;
            }
            lock (_gate) _channels.Remove(chosen);
            await chosen.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Completes when every channel that was opening in the background has opened or failed.</summary>
    internal Task WhenGrownAsync()
    {
        lock (_gate) return Task.WhenAll(_growing.ToArray());
    }

    /// <summary>Opens one more channel for the pool; a failure (a server's connection limit, say) stops the growing.</summary>
    private async Task GrowAsync()
    {
        try
        {
            SftpChannel? channel = await SftpChannel.StartAsync(_command, _operationTimeout, _time, _closing.Token).ConfigureAwait(false);
            lock (_gate)
            {
                if (!_disposed)
                {
                    channel.MarkUsed();
                    _channels.Add(channel);
                    channel = null;
                }
            }
            if (channel is not null) await channel.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nobody waits for this channel: the ones open carry on, and no more are opened in the background.
            lock (_gate) _cannotGrow = true;
        }
        finally
        {
            OpeningEnded();
        }
    }

    /// <summary>A channel's opening is over (opened or failed): callers waiting for it look again.</summary>
    private void OpeningEnded()
    {
        lock (_gate)
        {
            _opening--;
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Ends a dead channel's process; disposing the pool waits for it, so no ssh process outlives the pool.</summary>
    private bool Drop(SftpChannel channel)
    {
        _dropped.RemoveAll(t => t.IsCompleted);
        _dropped.Add(channel.DisposeAsync().AsTask());
        return true;
    }

    /// <summary>A channel that was idle gets a cheap request (REALPATH of "."), answered within a short time.</summary>
    private async Task<bool> IsHealthyAsync(SftpChannel channel, CancellationToken cancellationToken)
    {
        if (!channel.IsAlive) return false;
        if (channel.Outstanding > 0 || channel.IdleTime < _command.Settings.HealthCheckAfter) return true;
        using var ping = new SftpPacketWriter(SftpPacketType.Realpath);
        ping.WriteString(".");
        try
        {
            var timeout = TimeSpan.FromTicks(Math.Min(_operationTimeout.Ticks, TimeSpan.FromSeconds(10).Ticks));
            using var answer = await channel.RequestAsync(ping, cancellationToken).WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return answer.Type == SftpPacketType.Name;
        }
        catch (Exception ex) when (ex is SftpChannelException or TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        SftpChannel[] channels;
        Task[] growing, dropped;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            channels = _channels.ToArray();
            _channels.Clear();
            growing = _growing.ToArray();
            dropped = _dropped.ToArray();
        }
        // A channel still opening is abandoned and its ssh process ended before this returns.
        await _closing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(growing).ConfigureAwait(false);
        await Task.WhenAll(channels.Select(c => c.DisposeAsync().AsTask()).Concat(dropped)).ConfigureAwait(false);
        _closing.Dispose();
    }
}
