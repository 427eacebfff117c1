namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// A cancellation token that fires when the caller cancels or when a time limit passes, whichever comes first,
/// and tells the two apart afterwards. Every network read and write of the FTP client runs under one.
/// </summary>
internal sealed class FtpDeadline : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _link;
    private readonly CancellationToken _outer;

    public FtpDeadline(TimeSpan limit, TimeProvider time, CancellationToken outer)
    {
        _outer = outer;
        // Beyond about 49 days a timer cannot be set; such a limit means "no limit".
        _source = limit == Timeout.InfiniteTimeSpan || limit > TimeSpan.FromDays(30) ? new CancellationTokenSource() : new CancellationTokenSource(limit, time);
        _link = outer.CanBeCanceled ? outer.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _source) : default;
    }

    /// <summary>The token to pass to the operation.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Whether the time limit (not the caller) ended the operation.</summary>
    public bool Expired => _source.IsCancellationRequested && !_outer.IsCancellationRequested;

    public void Dispose()
    {
        _link.Dispose();
        _source.Dispose();
    }
}
