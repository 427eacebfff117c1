namespace Pipeline.RemoteFs.Transfers;

/// <summary>
/// Counts the bytes and files of one transfer and reports them through <see cref="TransferOptions.Progress"/> at most
/// once per interval of the injected clock, so a fast transfer of thousands of chunks costs a handful of reports
/// (unthrottled progress is what makes some hosts' transfers slow). <see cref="Complete"/> always reports.
/// </summary>
internal sealed class ProgressTracker
{
    private readonly IProgress<TransferProgress>? _sink;
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _started;
    private readonly object _gate = new();
    private long _lastReport;
    private bool _reportedOnce;
    private long _bytes;
    private long? _totalBytes;
    private int _filesDone;
    private int _filesTotal;
    private string _path = "";

    public ProgressTracker(TransferOptions options)
    {
        _sink = options.Progress;
        _time = options.TimeProvider;
        _interval = (long)(options.ProgressInterval.TotalSeconds * _time.TimestampFrequency);
        _started = _time.GetTimestamp();
    }

    public long Bytes => Interlocked.Read(ref _bytes);

    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>Sets what the transfer will move, once it is known.</summary>
    public void SetTotals(int files, long? bytes)
    {
        lock (_gate)
        {
            _filesTotal = files;
            _totalBytes = bytes;
        }
    }

    public void FileStarted(string path)
    {
        lock (_gate) _path = path;
    }

    public void FileDone()
    {
        lock (_gate) _filesDone++;
        Maybe();
    }

    /// <summary>Adds moved bytes (negative when a failed attempt's bytes are taken back before a retry).</summary>
    public void Add(long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        Maybe();
    }

    private void Maybe()
    {
        if (_sink is null) return;
        TransferProgress report;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_reportedOnce && now - _lastReport < _interval) return;
            _reportedOnce = true;
            _lastReport = now;
            report = Snapshot(now, completed: false);
        }
        _sink.Report(report);
    }

    /// <summary>The final report, always sent.</summary>
    public void Complete()
    {
        if (_sink is null) return;
        TransferProgress report;
        lock (_gate) report = Snapshot(_time.GetTimestamp(), completed: true);
        _sink.Report(report);
    }

    private TransferProgress Snapshot(long now, bool completed)
    {
        var bytes = Interlocked.Read(ref _bytes);
        var seconds = (now - _started) / (double)_time.TimestampFrequency;
        var rate = seconds > 0 ? bytes / seconds : 0;
        TimeSpan? remaining = completed ? TimeSpan.Zero
            : _totalBytes is { } total && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - bytes) / rate) : null;
        return new TransferProgress(_path, bytes, _totalBytes, _filesDone, _filesTotal, rate, remaining, completed);
    }
}
