namespace Pipeline.RemoteFs;

/// <summary>What kind of failure a remote operation met; decides whether it is retried.</summary>
public enum RemoteErrorKind
{
    /// <summary>Credentials were refused.</summary>
    Authentication,
    /// <summary>The path, bucket or share does not exist.</summary>
    NotFound,
    /// <summary>The credentials are valid but not allowed to do this.</summary>
    PermissionDenied,
    /// <summary>The target already exists, or another party holds it.</summary>
    Conflict,
    /// <summary>A failure that may pass when retried (dropped connection, server busy).</summary>
    Transient,
    /// <summary>The operation did not finish in time.</summary>
    Timeout,
    /// <summary>The peer said something this client does not understand, or broke the protocol.</summary>
    Protocol,
    /// <summary>The operation was cancelled.</summary>
    Cancelled,
    /// <summary>The backend cannot do this.</summary>
    NotSupported,
    /// <summary>A local or remote I/O failure that is not transient (disk full, integrity check failed).</summary>
    Io,
    /// <summary>The host's identity could not be verified (host key, TLS certificate).</summary>
    HostVerification,
}

/// <summary>A typed failure of a remote file system operation. Its message names the operation, the path and the
/// endpoint (redacted: never a password or key).</summary>
public sealed class RemoteFsException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RemoteFsException(RemoteErrorKind kind, string message, string? path = null, RemoteEndpoint? endpoint = null, Exception? innerException = null)
        : base(Compose(message, path, endpoint), innerException)
    {
        Kind = kind;
        Path = path;
        Endpoint = endpoint?.ToString();
    }

    /// <summary>The kind of failure.</summary>
    public RemoteErrorKind Kind { get; }

    /// <summary>The path the operation was about, when there is one.</summary>
    public string? Path { get; }

    /// <summary>The redacted endpoint.</summary>
    public string? Endpoint { get; }

    /// <summary>Whether retrying may help.</summary>
    public bool IsTransient => Kind is RemoteErrorKind.Transient or RemoteErrorKind.Timeout;

    private static string Compose(string message, string? path, RemoteEndpoint? endpoint)
    {
        var where = (path, endpoint) switch
        {
            (null, null) => "",
            (null, _) => $" ({endpoint})",
            (_, null) => $" ({path})",
            _ => $" ({endpoint}{(path.StartsWith('/') ? "" : "/")}{path})",
        };
        return message + where;
    }
}
