using System.Collections.Concurrent;

namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// Serves <c>smb://[domain;]user@host[:port]/share/path</c> with the project's own SMB2/3 client: dialects 2.0.2 to
/// 3.1.1, NTLMv2 inside SPNEGO (Kerberos is not supported), signing (HMAC-SHA256, AES-CMAC, AES-GMAC) and
/// encryption (AES-128/256 CCM/GCM) when the server or share requires them or a setting asks. Settings (from
/// <see cref="RemoteConnectionOptions.Settings"/> or the URI's query): <c>min_dialect</c>, <c>max_dialect</c>
/// (2.0.2, 2.1, 3.0, 3.0.2, 3.1.1); <c>signing</c> = auto | required; <c>encryption</c> = auto | required;
/// <c>cipher</c> = auto (the server picks among AES-128/256 GCM/CCM) | aes256 (offer only AES-256); <c>guest</c> = true to accept a guest or anonymous session (refused otherwise);
/// <c>domain</c>; <c>io_size</c> (bytes per READ/WRITE, default 1 MiB); <c>io_depth</c> (requests in flight per
/// stream, default 8); <c>flush</c> = false to skip the FLUSH before an upload's rename (faster for many small
/// files; Samba's <c>strict sync</c> makes each FLUSH an fsync); <c>flush_every</c> (bytes between background FLUSHes of
/// a large upload, default 64 MiB, 0 for none). One session per endpoint, share and credential is shared for the provider's lifetime.
/// </summary>
public sealed class SmbFileSystemProvider : IRemoteFileSystemProvider, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SmbSessionPool> _pools = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates the provider with the system clock.</summary>
    public SmbFileSystemProvider()
        : this(null)
    {
    }

    /// <summary>Creates the provider.</summary>
    /// <param name="timeProvider">The clock for time limits and idle checks; the system clock when null.</param>
    public SmbFileSystemProvider(TimeProvider? timeProvider) => _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public IReadOnlyCollection<string> Schemes { get; } = ["smb"];

    /// <inheritdoc />
    /// <remarks>Logs on and connects the share once (or reuses the shared session), so that a wrong password or
    /// share fails here.</remarks>
    public async Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default)
    {
        var settings = SmbSettings.From(endpoint, options, _time);
        var pool = _pools.GetOrAdd(settings.PoolKey, _ => new SmbSessionPool(settings));
        try
        {
            await pool.GetAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw SmbErrors.Map(ex, "Connecting", null, endpoint);
        }
        return new SmbFileSystem(endpoint, pool);
    }

    /// <summary>Logs off every shared session.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _pools.Values)
            await pool.DisposeAsync().ConfigureAwait(false);
        _pools.Clear();
    }
}
