using Pipeline.RemoteFs;

namespace Pipeline.PowerShell.Remote;

/// <summary>
/// The sessions of this PowerShell process, shared by every runspace that imported the module, and the providers
/// they were opened with (one set, so that connection pools are shared too). A URI is served by the session whose
/// URI is its longest prefix: same scheme and host, the URI's port and user absent or equal, and the session's path
/// a whole-segment prefix of the URI's path.
/// </summary>
internal static class RemoteFsSessions
{
    private static readonly object Gate = new();
    private static readonly List<RemoteFsSession> Open = [];
    private static int _nextId;

    /// <summary>The providers every remote cmdlet connects through.</summary>
    public static RemoteFileSystems FileSystems { get; } = RemoteFileSystems.CreateDefault();

    /// <summary>The open sessions, oldest first.</summary>
    public static IReadOnlyList<RemoteFsSession> All
    {
        get
        {
            lock (Gate) return Open.ToArray();
        }
    }

    /// <summary>Registers a connected file system as a session; a session for the same URI is replaced and returned
    /// in <paramref name="replaced"/> for the caller to close.</summary>
    public static RemoteFsSession Add(RemoteEndpoint endpoint, RemoteConnectionOptions options, IRemoteFileSystem fileSystem, DateTimeOffset now, out RemoteFsSession? replaced)
    {
        lock (Gate)
        {
            var session = new RemoteFsSession(++_nextId, endpoint, options, fileSystem, now);
            replaced = Open.FirstOrDefault(s => string.Equals(s.Uri, session.Uri, StringComparison.OrdinalIgnoreCase));
            if (replaced is not null) Open.Remove(replaced);
            Open.Add(session);
            return session;
        }
    }

    /// <summary>Takes a session out of the registry; false when it was not there (already disconnected).</summary>
    public static bool Remove(RemoteFsSession session)
    {
        lock (Gate)
        {
            session.IsClosed = true;
            return Open.Remove(session);
        }
    }

    /// <summary>The session whose URI is the longest prefix of <paramref name="endpoint"/>, or null.</summary>
    public static RemoteFsSession? Serving(RemoteEndpoint endpoint) =>
        SameAuthority(endpoint).Where(s => IsPathPrefix(s.Endpoint.Path, endpoint.Path)).MaxBy(s => s.Endpoint.Path.Length);

    /// <summary>A session for the same server and user whatever its path (its credentials serve other paths there).</summary>
    public static RemoteFsSession? ForServer(RemoteEndpoint endpoint) => SameAuthority(endpoint).LastOrDefault();

    /// <summary>
    /// How the engine should connect to an endpoint a pipeline step names: with the options (credentials, host key
    /// policy, settings) of the session that serves it, or of a session for the same server; the defaults otherwise.
    /// Fits <c>RunRequest.ConnectionOptions</c>, so that steps reach what Connect-RemoteFs connected to.
    /// </summary>
    public static RemoteConnectionOptions ConnectionOptionsFor(RemoteEndpoint endpoint) =>
        (Serving(endpoint) ?? ForServer(endpoint))?.Options ?? new RemoteConnectionOptions();

    private static IEnumerable<RemoteFsSession> SameAuthority(RemoteEndpoint endpoint)
    {
        foreach (var session in All)
        {
            var e = session.Endpoint;
            if (!string.Equals(e.Scheme, endpoint.Scheme, StringComparison.OrdinalIgnoreCase)) continue;
            if (!string.Equals(e.Host, endpoint.Host, StringComparison.OrdinalIgnoreCase)) continue;
            if (endpoint.Port is not null && endpoint.Port != e.Port) continue;
            if (endpoint.UserName is not null && !string.Equals(endpoint.UserName, session.UserName, StringComparison.Ordinal)) continue;
            yield return session;
        }
    }

    internal static bool IsPathPrefix(string prefix, string path)
    {
        var trimmed = prefix.TrimEnd('/');
        return trimmed.Length == 0
            || string.Equals(path.TrimEnd('/'), trimmed, StringComparison.Ordinal)
            || path.StartsWith(trimmed + "/", StringComparison.Ordinal);
    }
}
