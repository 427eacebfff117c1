namespace Pipeline.Core.State;

/// <summary>
/// A run slot held in the SQLite run store. A timer from the store's <see cref="TimeProvider"/> moves the slot's
/// heartbeat forward every heartbeat interval; the heartbeat runs synchronously in the timer callback, so a fake
/// clock's advance has written it by the time the advance returns.
/// </summary>
internal sealed class SqliteRunLock : RunLock
{
    private readonly SqliteRunStore _store;
    private readonly CancellationTokenSource _lost = new();
    private readonly object _gate = new();
    private ITimer? _timer;
    private bool _released;
    private int _beating;

    public SqliteRunLock(SqliteRunStore store, string pipelineId, string runId, int slot, string token)
    {
        _store = store;
        PipelineId = pipelineId;
        RunId = runId;
        Slot = slot;
        Token = token;
    }

    public override string PipelineId { get; }

    public override string RunId { get; }

    public override CancellationToken Lost => _lost.Token;

    internal int Slot { get; }

    internal string Token { get; }

    /// <summary>The last heartbeat failure (the database was busy past its timeout, the disk failed...), if any.</summary>
    internal Exception? LastHeartbeatError { get; private set; }

    internal void StartHeartbeat()
    {
        lock (_gate)
        {
            if (_released || _timer is not null) return;
            _timer = _store.TimeProvider.CreateTimer(static state => ((SqliteRunLock)state!).Beat(), this,
                _store.HeartbeatInterval, _store.HeartbeatInterval);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        ITimer? timer;
        lock (_gate)
        {
            if (_released) return;
            _released = true;
            timer = _timer;
        }
        if (timer is not null) await timer.DisposeAsync().ConfigureAwait(false);
        _store.Release(this);
    }

    private void Beat()
    {
        // A heartbeat slower than the interval (a busy database) must not pile up behind itself.
        if (Interlocked.Exchange(ref _beating, 1) != 0) return;
        try
        {
            lock (_gate)
            {
                if (_released) return;
            }
            bool held;
            try
            {
                held = _store.Heartbeat(this);
                LastHeartbeatError = null;
            }
            catch (Exception ex)
            {
                // A timer callback must not throw. A lock that cannot beat for long is taken over, and then the
                // first heartbeat that gets through reports the loss.
                LastHeartbeatError = ex;
                return;
            }
            if (held) return;
            lock (_gate)
            {
                if (_released) return;
                _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
            try
            {
                _lost.Cancel();
            }
            catch (AggregateException)
            {
                // A callback registered on Lost failed; that is its owner's failure, and it must not end the process.
            }
        }
        finally
        {
            Volatile.Write(ref _beating, 0);
        }
    }
}
