namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// The time limit of each read or write of one transfer. A gigabyte is tens of thousands of reads; one timer re-armed
/// per call costs far less than a new timer and token source per call (<see cref="FtpDeadline"/>).
/// </summary>
internal sealed class FtpTransferDeadline : IDisposable
{
    private readonly TimeSpan _limit;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly object _lock = new();
    private CancellationTokenSource _source = new();
    private bool _armed;

    public FtpTransferDeadline(TimeSpan limit, TimeProvider time)
    {
        _limit = limit == Timeout.InfiniteTimeSpan || limit > TimeSpan.FromDays(30) ? Timeout.InfiniteTimeSpan : limit;
        _time = time;
        _timer = time.CreateTimer(static s => ((FtpTransferDeadline)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts the limit for one call and returns the token that the call must honour.</summary>
    public CancellationToken Arm()
    {
        lock (_lock)
        {
            if (_source.IsCancellationRequested)
            {
                _source.Dispose();
                _source = new CancellationTokenSource();
            }
            _armed = true;
        }
        _timer.Change(_limit, Timeout.InfiniteTimeSpan);
        return _source.Token;
    }

    /// <summary>Stops the limit after the call.</summary>
    public void Disarm()
    {
        lock (_lock) _armed = false;
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the limit (rather than the caller) ended the call.</summary>
    public bool Expired(CancellationToken outer) => _source.IsCancellationRequested && !outer.IsCancellationRequested;

    /// <summary>Cancels the armed call when the caller cancels.</summary>
    public void Cancel()
    {
        CancellationTokenSource source;
        lock (_lock) source = _source;
        source.Cancel();
    }

    private void Fire()
    {
        CancellationTokenSource source;
        lock (_lock)
        {
            if (!_armed) return; // a late tick for a call that already finished
            source = _source;
        }
        source.Cancel();
    }

    public void Dispose()
    {
        _timer.Dispose();
        _source.Dispose();
    }
}
