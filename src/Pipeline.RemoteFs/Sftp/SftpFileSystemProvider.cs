using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// Serves <c>sftp://user@host:port/path</c> through the system OpenSSH client: it starts <c>ssh -s host sftp</c> and
/// speaks SFTP version 3 over the process's standard input and output, so OpenSSH keeps the transport, keys, agent,
/// known_hosts and ProxyJump. File systems of one endpoint and credential share a pool of ssh processes; the last one
/// disposed ends them all.
/// </summary>
/// <remarks>
/// <para>Authentication: <see cref="RemoteConnectionOptions.KeyFile"/> (its passphrase, if any, is the credential's
/// password), else the credential's password, else the user's agent and default keys. A secret reaches ssh only through
/// an askpass helper reading a file that only the user can read, removed once the session is up: never a command line,
/// an environment variable, or a log. ssh never prompts.</para>
/// <para>Host keys: <see cref="HostKeyPolicy.Strict"/> (known_hosts only), <see cref="HostKeyPolicy.AcceptNew"/> (trust
/// on first use, recorded), or <see cref="RemoteConnectionOptions.PinnedFingerprint"/> (only that key; needs
/// OpenSSH 8.5 or later). A refused key is a <see cref="RemoteErrorKind.HostVerification"/> error that names the
/// fingerprint the server presented.</para>
/// <para>Settings: <c>ssh_path</c>, <c>known_hosts</c>, <c>ssh_config</c> (a file, or <c>none</c>), <c>jump_host</c>,
/// <c>keepalive</c> (seconds), <c>ssh_options</c> (extra <c>Key=Value</c> options separated by ';'),
/// <c>max_connections</c>, <c>chunk_size</c>, <c>max_requests</c>, <c>fsync</c>, <c>health_check_after</c> (seconds),
/// <c>prefer_aes_gcm</c> (AES-GCM first where the CPU has AES instructions and no configuration chose the ciphers).</para>
/// </remarks>
public sealed class SftpFileSystemProvider : IRemoteFileSystemProvider
{
    private readonly TimeProvider _time;
    private readonly Dictionary<string, SharedPool> _pools = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    private sealed class SharedPool(SftpChannelPool pool)
    {
        public SftpChannelPool Pool { get; } = pool;
        public int Leases { get; set; }
    }

    /// <summary>Creates the provider on the system clock.</summary>
    public SftpFileSystemProvider()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Creates the provider on the given clock (timeouts, keep-alive checks, retry delays).</summary>
    public SftpFileSystemProvider(TimeProvider timeProvider)
    {
        _time = timeProvider;
    }

    /// <inheritdoc />
    public IReadOnlyCollection<string> Schemes { get; } = ["sftp"];

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A setting or the pinned fingerprint is invalid.</exception>
    /// <exception cref="RemoteFsException">ssh is missing, or the connection, host key check or authentication failed.</exception>
    public async Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        if (!Schemes.Contains(endpoint.Scheme))
            throw new ArgumentException($"The SFTP provider cannot open '{endpoint.Scheme}://' URIs.", nameof(endpoint));
        var settings = SftpSettings.Parse(options.Settings);
        var command = new SshCommand(endpoint, options, settings);
        var key = PoolKey(command, options);
        SftpChannelPool pool;
        lock (_gate)
        {
            if (!_pools.TryGetValue(key, out var shared))
                _pools[key] = shared = new SharedPool(new SftpChannelPool(command, options.OperationTimeout, _time));
            shared.Leases++;
            pool = shared.Pool;
        }
        var released = 0;
        ValueTask Release() => Interlocked.Exchange(ref released, 1) == 0 ? ReleaseAsync(key) : ValueTask.CompletedTask;
        try
        {
            var channel = await ConnectWithRetryAsync(pool, options, cancellationToken).ConfigureAwait(false);
            return new SftpFileSystem(endpoint, options, pool, channel, _time, Release);
        }
        catch (SftpChannelException ex)
        {
            await Release().ConfigureAwait(false);
            throw await DescribeAsync(ex, command, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await Release().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<SftpChannel> ConnectWithRetryAsync(SftpChannelPool pool, RemoteConnectionOptions options, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await pool.GetAsync(false, cancellationToken).ConfigureAwait(false);
            }
            catch (SftpChannelException ex) when (ex.Kind == RemoteErrorKind.Transient && attempt < options.MaxAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 << Math.Min(attempt - 1, 5)), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask ReleaseAsync(string key)
    {
        SftpChannelPool? last = null;
        lock (_gate)
        {
            if (_pools.TryGetValue(key, out var shared) && --shared.Leases == 0)
            {
                _pools.Remove(key);
                last = shared.Pool;
            }
        }
        if (last is not null) await last.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Endpoint, user, key, secret (hashed, never kept as text here), host key rules and settings.</summary>
    private static string PoolKey(SshCommand command, RemoteConnectionOptions options)
    {
        var text = new StringBuilder()
            .Append(command.Endpoint.PoolKey).Append('\n')
            .Append(command.UserName).Append('\n')
            .Append(command.KeyFile).Append('\n')
            .Append(command.Policy).Append('\n')
            .Append(command.PinnedFingerprint).Append('\n')
            .Append(options.Credential?.Password).Append('\n')
            .Append(options.ConnectTimeout.Ticks).Append('\n')
            .Append(options.OperationTimeout.Ticks).Append('\n');
        foreach (var (name, value) in options.Settings.OrderBy(s => s.Key, StringComparer.OrdinalIgnoreCase))
            text.Append(name.ToLowerInvariant()).Append('=').Append(value).Append('\n');
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The typed error for a failed connection; for a refused host key, with the key the server presented.</summary>
    private async Task<RemoteFsException> DescribeAsync(SftpChannelException ex, SshCommand command, CancellationToken cancellationToken)
    {
        var endpoint = command.Endpoint;
        var where = endpoint.Port is null ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port}";
        switch (ex.Kind)
        {
            case RemoteErrorKind.Authentication:
                return new RemoteFsException(ex.Kind, $"The server refused the credentials ({ex.Message})", endpoint: endpoint, innerException: ex);
            case RemoteErrorKind.HostVerification:
                var (type, fingerprint) = SshErrors.FindHostKey(ex.Detail);
                if (fingerprint is null)
                    (type, fingerprint) = await ProbeHostKeyAsync(command, cancellationToken).ConfigureAwait(false);
                var presented = fingerprint is null ? "an unknown key" : $"{type} {fingerprint}".Trim();
                string message;
                if (command.PinnedFingerprint is not null)
                    message = $"The host key of {where} does not match the pinned fingerprint {command.PinnedFingerprint}: the server presented {presented}";
                else if (ex.Detail.Contains("HAS CHANGED", StringComparison.OrdinalIgnoreCase) || ex.Detail.Contains("has changed", StringComparison.OrdinalIgnoreCase))
                    message = $"The host key of {where} has changed since it was recorded in known_hosts: the server now presents {presented}. " +
                              "If the change is expected, remove the old entry (ssh-keygen -R) and connect again; otherwise someone may be intercepting the connection";
                else
                    message = $"The host key of {where} is not known: the server presented {presented}. Check it with the server's administrator, then add it to " +
                              $"known_hosts, connect with the AcceptNew host key policy, or pin it{(fingerprint is null ? "" : $" (HostKeyFingerprint {fingerprint})")}";
                return new RemoteFsException(ex.Kind, message, endpoint: endpoint, innerException: ex);
            default:
                return new RemoteFsException(ex.Kind, $"Could not open an SFTP session: {ex.Message}", endpoint: endpoint, innerException: ex);
        }
    }

    /// <summary>Runs ssh once more with debug logging to learn the host key it is offered (nothing is authenticated).</summary>
    private async Task<(string? Type, string? Fingerprint)> ProbeHostKeyAsync(SshCommand command, CancellationToken cancellationToken)
    {
        using var launch = command.Prepare(probeHostKey: true);
        using var process = new Process { StartInfo = launch.StartInfo };
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, null);
        }
        SshChildProcesses.Add(process);
        try
        {
            process.BeginErrorReadLine();
            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken).WaitAsync(command.ConnectTimeout + TimeSpan.FromSeconds(5), _time, cancellationToken).ConfigureAwait(false);
            process.WaitForExit(); // drains the redirected error stream
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            SshChildProcesses.Kill(process);
            SshChildProcesses.Remove(process);
        }
        lock (stderr) return SshErrors.FindHostKey(stderr.ToString());
    }
}
