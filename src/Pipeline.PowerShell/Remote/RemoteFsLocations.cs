using Pipeline.RemoteFs;
using Pipeline.RemoteFs.Local;

namespace Pipeline.PowerShell.Remote;

/// <summary>
/// Opens the paths and URIs of one cmdlet invocation: through the session that serves a URI, else through a
/// connection of its own (with a session's credentials when one is open for the same server), closed when the
/// cmdlet ends. Local paths arrive already resolved against PowerShell's current location.
/// </summary>
internal sealed class RemoteFsLocations : IAsyncDisposable
{
    private readonly Dictionary<string, IRemoteFileSystem> _owned = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LocalFileSystem? _local;

    /// <summary>Whether the text is a URI of a remote endpoint (not a local path or a file:// URI).</summary>
    public static bool IsRemote(string text)
    {
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        return schemeEnd > 1 && !text[..schemeEnd].Equals("file", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A path or URI as it may be printed: a URI's password (which the parser refuses) and secret query
    /// values are never shown.</summary>
    public static string Redact(string text)
    {
        if (!IsRemote(text)) return text;
        try
        {
            return RemoteEndpoint.Parse(text).ToString();
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return System.Text.RegularExpressions.Regex.Replace(text.Split('?')[0], "^([a-zA-Z][a-zA-Z0-9+.-]*://)[^@/]*@", "$1***@");
        }
    }

    /// <summary>A file:// URI's local path, or the text itself.</summary>
    public static string LocalPathOf(string text)
    {
        if (!text.StartsWith("file://", StringComparison.OrdinalIgnoreCase)) return text;
        var path = RemoteEndpoint.Parse(text).Path;
        // file:///C:/data on Windows
        return path.Length >= 3 && path[0] == '/' && char.IsAsciiLetter(path[1]) && path[2] == ':' && OperatingSystem.IsWindows() ? path[1..] : path;
    }

    /// <summary>A path on an endpoint as a URI without secrets or query, to print and to give back to a cmdlet.</summary>
    public static string Display(RemoteEndpoint endpoint, string path) =>
        endpoint.Scheme == "file" ? path : (endpoint with { Path = path, Query = new Dictionary<string, string>() }).ToString();

    /// <summary>Opens a local path that PowerShell has resolved to <paramref name="fullPath"/>.</summary>
    public RemoteLocation OpenLocal(string fullPath, bool namesDirectory)
    {
        _local ??= new LocalFileSystem(new RemoteEndpoint { Scheme = "file", Path = System.IO.Path.GetDirectoryName(fullPath) ?? fullPath });
        var trimmed = fullPath.Length > 1 && System.IO.Path.GetPathRoot(fullPath) != fullPath ? System.IO.Path.TrimEndingDirectorySeparator(fullPath) : fullPath;
        return new RemoteLocation(_local, _local.Endpoint, trimmed, namesDirectory);
    }

    /// <summary>Opens a remote URI.</summary>
    /// <exception cref="FormatException">The URI cannot be parsed (the message never repeats a password).</exception>
    public async Task<RemoteLocation> OpenRemoteAsync(string uri, CancellationToken cancellationToken)
    {
        var endpoint = RemoteEndpoint.Parse(uri);
        var namesDirectory = uri.Split('?')[0].EndsWith('/');
        if (RemoteFsSessions.Serving(endpoint) is { } session)
            return new RemoteLocation(session.FileSystem, session.Endpoint, endpoint.Path, namesDirectory);

        var server = RemoteFsSessions.ForServer(endpoint);
        var target = server is null ? endpoint : server.Endpoint with { Path = endpoint.Path };
        var options = server?.Options ?? new RemoteConnectionOptions();
        var key = target.PoolKey + "|" + (server?.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "") + "|" + string.Join("&", endpoint.Query.Select(kv => kv.Key + "=" + kv.Value));
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_owned.TryGetValue(key, out var fileSystem))
            {
                fileSystem = await RemoteFsSessions.FileSystems.ConnectAsync(target, options, cancellationToken).ConfigureAwait(false);
                _owned[key] = fileSystem;
            }
            return new RemoteLocation(fileSystem, target, endpoint.Path, namesDirectory);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the connections this invocation opened (sessions stay open).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var fileSystem in _owned.Values)
        {
            try
            {
                await fileSystem.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // Closing a broken connection cannot fail the command that used it.
            }
        }
        _owned.Clear();
        if (_local is not null) await _local.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
