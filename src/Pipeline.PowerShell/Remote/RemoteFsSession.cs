using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Remote;

/// <summary>
/// A connection made by Connect-RemoteFs and kept for the PowerShell session: the remote cmdlets use it for every
/// URI under its <see cref="Uri"/>. Its credentials stay inside; nothing it prints holds a secret.
/// </summary>
public sealed class RemoteFsSession
{
    internal RemoteFsSession(int id, RemoteEndpoint endpoint, RemoteConnectionOptions options, IRemoteFileSystem fileSystem, DateTimeOffset connectedAt)
    {
        Id = id;
        Endpoint = endpoint;
        Options = options;
        FileSystem = fileSystem;
        ConnectedAt = connectedAt;
    }

    /// <summary>The session's number, unique in this PowerShell process.</summary>
    public int Id { get; }

    /// <summary>The URI the session serves (without secrets); URIs that start with it use this session.</summary>
    public string Uri => RemoteFsLocations.Display(Endpoint with { Query = new Dictionary<string, string>() }, Endpoint.Path);

    /// <summary>The protocol: file, sftp, ftp, ftps, ftpes, s3, gs or az.</summary>
    public string Scheme => Endpoint.Scheme;

    /// <summary>The host, bucket or storage account.</summary>
    public string Host => Endpoint.Host;

    /// <summary>The port, when one was given.</summary>
    public int? Port => Endpoint.Port;

    /// <summary>The user the session logs in as, when there is one.</summary>
    public string? UserName => Endpoint.UserName ?? (LogsInAsUser ? Options.Credential?.UserName : null);

    /// <summary>The base path of the session.</summary>
    public string Path => Endpoint.Path;

    /// <summary>When the session was connected.</summary>
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>Whether Disconnect-RemoteFs has closed the session.</summary>
    public bool IsClosed { get; internal set; }

    internal RemoteEndpoint Endpoint { get; }

    // On object stores the credential's user name is an access key id, not a login.
    private bool LogsInAsUser => Endpoint.Scheme is "sftp" or "ftp" or "ftps" or "ftpes" or "smb";

    internal RemoteConnectionOptions Options { get; }

    internal IRemoteFileSystem FileSystem { get; }

    /// <summary>The session's URI.</summary>
    public override string ToString() => Uri;
}
