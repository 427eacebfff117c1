namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// Idle logged-in control connections for one endpoint and credential. A connection idle for longer than
/// <see cref="HealthCheckAfter"/> must answer a NOOP before it is lent again; one idle for longer than
/// <see cref="MaxIdleTime"/> is closed. Broken connections are never returned to the pool.
/// </summary>
internal sealed class FtpConnectionPool : IAsyncDisposable
{
    private readonly FtpSettings _settings;
    private readonly Stack<FtpControlConnection> _idle = new();
    private readonly object _lock = new();
    private bool _disposed;

    public FtpConnectionPool(FtpSettings settings) => _settings = settings;

    /// <summary>The settings every connection of this pool was opened with.</summary>
    public FtpSettings Settings => _settings;

    /// <summary>Most idle connections kept.</summary>
    public int MaxIdle { get; init; } = 8;

    /// <summary>Idle time after which a connection is checked with NOOP before use.</summary>
    public TimeSpan HealthCheckAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Idle time after which a connection is closed rather than reused (servers drop idle sessions, vsftpd after 300 s).</summary>
    public TimeSpan MaxIdleTime { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Connections opened so far (for tests and diagnostics).</summary>
    public int Opened { get; private set; }

    /// <summary>Lends a healthy connection: an idle one that still answers, or a new one.</summary>
    public async Task<FtpControlConnection> RentAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            FtpControlConnection? candidate;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _idle.TryPop(out candidate);
            }
            if (candidate is null) break;
            var idle = _settings.Time.GetUtcNow() - candidate.LastUsed;
            if (idle > MaxIdleTime ||
                (idle > HealthCheckAfter && !await candidate.IsAliveAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false)))
            {
                await candidate.DisposeAsync().ConfigureAwait(false);
                continue;
            }
            return candidate;
        }
        var connection = await FtpControlConnection.OpenAsync(_settings, cancellationToken).ConfigureAwait(false);
        lock (_lock) Opened++;
        return connection;
    }

    /// <summary>Takes a connection back; a broken one (or one over the idle limit) is closed.</summary>
    public async ValueTask ReturnAsync(FtpControlConnection connection)
    {
        if (!connection.IsBroken)
        {
            lock (_lock)
            {
                if (!_disposed && _idle.Count < MaxIdle)
                {
                    _idle.Push(connection);
                    return;
                }
            }
        }
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes every idle connection (QUIT).</summary>
    public async ValueTask DisposeAsync()
    {
        FtpControlConnection[] idle;
        lock (_lock)
        {
            _disposed = true;
            idle = _idle.ToArray();
            _idle.Clear();
        }
        foreach (var connection in idle)
            await connection.DisposeAsync().ConfigureAwait(false);
    }
}
