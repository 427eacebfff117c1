using System.Collections.Concurrent;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// Serves <c>ftp://</c> (plain, or explicit TLS with the setting <c>tls=explicit</c>), <c>ftps://</c> (implicit TLS,
/// port 990) and <c>ftpes://</c> (explicit TLS). Settings (from <see cref="RemoteConnectionOptions.Settings"/> or the
/// URI's query): <c>mode</c> = passive (default) | active; <c>tls</c> = none | explicit | implicit;
/// <c>epsv</c> / <c>eprt</c> = false to go straight to PASV / PORT; <c>pipelining</c> = false to send every command
/// only after the previous one was answered (by default RNFR goes out with RNTO, SIZE and EPSV with RETR, EPSV with
/// STOR, each saving a round trip; turn it off for a server or firewall that loses commands sent together); <c>tls_server_name</c> = the name to validate the certificate against and resume TLS sessions under (needed when
/// the URI has an IP address and the server requires TLS session reuse); <c>tls_protocols</c> = default | tls12 |
/// tls13; <c>encoding</c> = the encoding of path names (UTF-8 by default).
/// A certificate is trusted when the system store validates it for the host, or when its SHA-256 thumbprint equals
/// <see cref="RemoteConnectionOptions.PinnedFingerprint"/>. Control connections are pooled per endpoint and
/// credential for the provider's lifetime.
/// </summary>
public sealed class FtpFileSystemProvider : IRemoteFileSystemProvider, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, FtpConnectionPool> _pools = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Action<string>? _trace;

    /// <summary>Creates the provider with the system clock and no command trace.</summary>
    public FtpFileSystemProvider()
        : this(null, null)
    {
    }

    /// <summary>Creates the provider.</summary>
    /// <param name="timeProvider">The clock for time limits and pool ages; the system clock when null.</param>
    /// <param name="commandTrace">Receives every command sent and reply line received (passwords appear as <c>***</c>).</param>
    public FtpFileSystemProvider(TimeProvider? timeProvider, Action<string>? commandTrace)
    {
        _time = timeProvider ?? TimeProvider.System;
        _trace = commandTrace;
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Schemes { get; } = ["ftp", "ftps", "ftpes"];

    /// <inheritdoc />
    /// <remarks>Logs in once (or takes a pooled connection), so that a wrong password or certificate fails here.</remarks>
    public async Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var settings = FtpSettings.From(endpoint, options, _time, _trace);
        var pool = _pools.GetOrAdd(settings.PoolKey, _ => new FtpConnectionPool(settings));
        var connection = await pool.RentAsync(cancellationToken).ConfigureAwait(false);
        var features = connection.Features;
        await pool.ReturnAsync(connection).ConfigureAwait(false);
        return new FtpFileSystem(endpoint, pool, features, ownsPool: false);
    }

    /// <summary>Closes every pooled connection.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools.Values)
            await pool.DisposeAsync().ConfigureAwait(false);
        _pools.Clear();
    }
}
