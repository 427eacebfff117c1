using System.Net;

namespace Pipeline.RemoteFs;

/// <summary>How host identity is checked (SSH host keys, TLS certificates).</summary>
public enum HostKeyPolicy
{
    /// <summary>Only known, matching identities are accepted (the default).</summary>
    Strict,
    /// <summary>An unknown identity is trusted on first use and recorded; a changed one is refused.</summary>
    AcceptNew,
}

/// <summary>How to connect to an endpoint. Secrets here are never printed.</summary>
public sealed record RemoteConnectionOptions
{
    /// <summary>User name and password (or key passphrase, for key files).</summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>A private key file (SFTP).</summary>
    public string? KeyFile { get; init; }

    /// <summary>Host identity policy.</summary>
    public HostKeyPolicy HostKeyPolicy { get; init; } = HostKeyPolicy.Strict;

    /// <summary>A pinned host key fingerprint (<c>SHA256:…</c>) or TLS certificate thumbprint; when set, only it is accepted.</summary>
    public string? PinnedFingerprint { get; init; }

    /// <summary>Time allowed to establish a connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for one operation to make progress.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Attempts for operations that fail transiently (1 = no retry).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Verify a checksum after every transfer.</summary>
    public bool VerifyChecksum { get; init; } = true;

    /// <summary>Provider-specific settings (for example <c>region</c>, <c>endpoint</c>, <c>path_style</c>, <c>tls</c>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Creates file systems for the URI schemes it serves.</summary>
public interface IRemoteFileSystemProvider
{
    /// <summary>The schemes served, in lower case (for example <c>sftp</c>).</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>Connects to an endpoint (or takes a pooled connection).</summary>
    Task<IRemoteFileSystem> ConnectAsync(RemoteEndpoint endpoint, RemoteConnectionOptions options, CancellationToken cancellationToken = default);
}
