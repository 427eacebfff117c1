using System.Globalization;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>
/// The SFTP provider's settings, read once from <see cref="RemoteConnectionOptions.Settings"/> and validated before
/// anything starts. An invalid value fails with the setting's name.
/// </summary>
internal sealed record SftpSettings
{
    /// <summary>Path of the ssh executable (<c>ssh_path</c>); found on PATH when absent.</summary>
    public string? SshPath { get; init; }

    /// <summary>A known_hosts file to check and record host keys in (<c>known_hosts</c>); ssh's default otherwise.</summary>
    public string? KnownHostsFile { get; init; }

    /// <summary>An ssh_config file (<c>ssh_config</c>), or <c>none</c> to read no configuration files.</summary>
    public string? SshConfigFile { get; init; }

    /// <summary>A jump host, as ssh's <c>-J</c> takes it (<c>jump_host</c>).</summary>
    public string? JumpHost { get; init; }

    /// <summary>Keep-alive interval (<c>keepalive</c>, seconds; 0 turns it off).</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Extra ssh options (<c>ssh_options</c>: <c>Key=Value</c> entries separated by ';' or new lines).
    /// They come after the provider's own options, so they cannot weaken host key checking or authentication.</summary>
    public IReadOnlyList<string> ExtraOptions { get; init; } = [];

    /// <summary>Most ssh processes per endpoint and credential (<c>max_connections</c>).</summary>
    public int MaxConnections { get; init; } = 4;

    /// <summary>
    /// Small transfers (each fits in one round trip of writes or reads) that share one ssh connection before another
    /// opens for them (<c>transfers_per_connection</c>). One connection keeps several small files in flight at once;
    /// every further one costs a key exchange and a server process.
    /// </summary>
    public int TransfersPerConnection { get; init; } = 8;

    /// <summary>Bytes per READ/WRITE request (<c>chunk_size</c>), capped by what the server allows.</summary>
    public int ChunkSize { get; init; } = 255 * 1024;

    /// <summary>Requests in flight per file (<c>max_requests</c>).</summary>
    public int MaxRequests { get; init; } = 16;

    /// <summary>Ask the server to flush an upload to disk before it is renamed into place (<c>fsync</c>).</summary>
    public bool Fsync { get; init; } = true;

    /// <summary>
    /// Put OpenSSH's AES-GCM ciphers first when this CPU has AES instructions and neither ssh_config nor
    /// <c>ssh_options</c> chose the ciphers (<c>prefer_aes_gcm</c>). Both are in OpenSSH's default set; in hardware they
    /// cost both ends a fraction of the CPU of OpenSSH's first choice, chacha20-poly1305.
    /// </summary>
    public bool PreferAesGcm { get; init; } = true;

    /// <summary>A pooled connection idle this long is checked with a cheap request before reuse (<c>health_check_after</c>, seconds).</summary>
    public TimeSpan HealthCheckAfter { get; init; } = TimeSpan.FromSeconds(5);

    private static readonly HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        "ssh_path", "known_hosts", "ssh_config", "jump_host", "keepalive", "ssh_options", "max_connections",
        "chunk_size", "max_requests", "fsync", "health_check_after", "prefer_aes_gcm", "transfers_per_connection",
    };

    /// <summary>Reads and validates the settings.</summary>
    /// <exception cref="ArgumentException">A setting is unknown or its value is invalid.</exception>
    public static SftpSettings Parse(IReadOnlyDictionary<string, string> settings)
    {
        foreach (var key in settings.Keys)
        {
            if (!Known.Contains(key))
                throw new ArgumentException($"Unknown SFTP setting '{key}'; known settings: {string.Join(", ", Known.Order(StringComparer.Ordinal))}.", nameof(settings));
        }
        string? Text(string key) => settings.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
        int Integer(string key, int fallback, int min, int max)
        {
            var text = Text(key);
            if (text is null) return fallback;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                throw new ArgumentException($"The SFTP setting '{key}' must be a whole number from {min} to {max}, not '{text}'.", nameof(settings));
            return value;
        }
        bool Boolean(string key, bool fallback)
        {
            var text = Text(key);
            if (text is null) return fallback;
            return text.ToLowerInvariant() switch
            {
                "true" or "yes" or "1" or "on" => true,
                "false" or "no" or "0" or "off" => false,
                _ => throw new ArgumentException($"The SFTP setting '{key}' must be true or false, not '{text}'.", nameof(settings)),
            };
        }
        var extra = new List<string>();
        foreach (var entry in (Text("ssh_options") ?? "").Split([';', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = entry.IndexOfAny(['=', ' ']);
            if (separator <= 0 || separator == entry.Length - 1 || entry.StartsWith('-'))
                throw new ArgumentException($"The SFTP setting 'ssh_options' holds '{entry}', which is not an ssh option of the form Key=Value.", nameof(settings));
            extra.Add(entry);
        }
        var jump = Text("jump_host");
        if (jump is not null && jump.StartsWith('-'))
            throw new ArgumentException($"The SFTP setting 'jump_host' must be a host ([user@]host[:port]), not '{jump}'.", nameof(settings));
        return new SftpSettings
        {
            SshPath = Text("ssh_path"),
            KnownHostsFile = Text("known_hosts"),
            SshConfigFile = Text("ssh_config"),
            JumpHost = jump,
            KeepAlive = TimeSpan.FromSeconds(Integer("keepalive", 15, 0, 3600)),
            ExtraOptions = extra,
            MaxConnections = Integer("max_connections", 4, 1, 64),
            TransfersPerConnection = Integer("transfers_per_connection", 8, 1, 1024),
            ChunkSize = Integer("chunk_size", 255 * 1024, 1024, 4 * 1024 * 1024),
            MaxRequests = Integer("max_requests", 16, 1, 1024),
            Fsync = Boolean("fsync", true),
            PreferAesGcm = Boolean("prefer_aes_gcm", true),
            HealthCheckAfter = TimeSpan.FromSeconds(Integer("health_check_after", 5, 0, 86400)),
        };
    }
}
