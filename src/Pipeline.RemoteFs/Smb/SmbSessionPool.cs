namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// The one connection (and session and tree) that every file system of an endpoint, share and credential shares:
/// SMB multiplexes any number of requests over it, so more connections would only cost more logons. A broken
/// connection is replaced by a new one on the next use; one idle for longer than <see cref="HealthCheckAfter"/>
/// must answer an ECHO first.
/// </summary>
internal sealed class SmbSessionPool : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SmbConnection? _current;
    private bool _disposed;

    public SmbSessionPool(SmbSettings settings) => Settings = settings;

    public SmbSettings Settings { get; }

    /// <summary>Idle time after which the connection must answer an ECHO before it is used again.</summary>
    public TimeSpan HealthCheckAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Connections opened so far (for tests and diagnostics).</summary>
    public int Opened { get; private set; }

    /// <summary>The live connection, or a new one when there is none or it broke.</summary>
    public async Task<SmbConnection> GetAsync(CancellationToken cancellationToken)
    {
        var current = _current;
        if (current is { IsBroken: false } && Settings.Time.GetUtcNow() - current.LastUsed <= HealthCheckAfter)
            return current;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            current = _current;
            if (current is { IsBroken: false })
            {
                if (Settings.Time.GetUtcNow() - current.LastUsed <= HealthCheckAfter ||
                    await current.IsAliveAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false))
                    return current;
            }
            if (current is not null)
                await current.DisposeAsync().ConfigureAwait(false);
            _current = null;
            var opened = await SmbConnection.OpenAsync(Settings, cancellationToken).ConfigureAwait(false);
            _current = opened;
            Opened++;
            return opened;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Logs off and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_current is not null)
                await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
        finally
        {
            _gate.Release();
        }
    }
}
