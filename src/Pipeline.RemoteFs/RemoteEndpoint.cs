using System.Text;

namespace Pipeline.RemoteFs;

/// <summary>
/// Where a file system lives: scheme, host, port, user and base path, parsed from a URI such as
/// <c>sftp://etl@files.example.com:2222/out</c>. <see cref="ToString"/> never includes a password or query secrets.
/// </summary>
public sealed record RemoteEndpoint
{
    /// <summary>The scheme in lower case: file, sftp, ftp, ftps, smb, s3, gs, az.</summary>
    public required string Scheme { get; init; }

    /// <summary>The host, bucket or account (empty for local paths).</summary>
    public string Host { get; init; } = "";

    /// <summary>The port, when given.</summary>
    public int? Port { get; init; }

    /// <summary>The user name, when given.</summary>
    public string? UserName { get; init; }

    /// <summary>The domain of the user, for SMB (<c>smb://DOMAIN;user@host/share</c>).</summary>
    public string? Domain { get; init; }

    /// <summary>The path within the endpoint, '/' separated; starts with '/'.</summary>
    public string Path { get; init; } = "/";

    /// <summary>Query parameters of the URI (secrets among them are never printed).</summary>
    public IReadOnlyDictionary<string, string> Query { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The key that identifies a pool: scheme, user, host and port.</summary>
    public string PoolKey => $"{Scheme}://{(Domain is null ? "" : Domain + ";")}{UserName}@{Host}:{Port}";

    /// <summary>Parses a URI or a plain local/UNC path.</summary>
    /// <exception cref="FormatException">The text is not a URI this library understands.</exception>
    public static RemoteEndpoint Parse(string uriOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uriOrPath);
        var schemeEnd = uriOrPath.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 1) // no scheme, or a drive letter like C:\
            return Local(uriOrPath);
        var scheme = uriOrPath[..schemeEnd].ToLowerInvariant();
        if (scheme == "file")
            return Local(Uri.UnescapeDataString(uriOrPath[(schemeEnd + 3)..]));
        var rest = uriOrPath[(schemeEnd + 3)..];
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
                query[key] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
            rest = rest[..q];
        }
        var slash = rest.IndexOf('/');
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "/" : rest[slash..];
        string? user = null, domain = null;
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            user = authority[..at];
            authority = authority[(at + 1)..];
            var colon = user.IndexOf(':');
            if (colon >= 0)
                throw new FormatException($"A password in the URI '{scheme}://{user[..colon]}:***@{authority}' is not accepted: pass it as a credential.");
            user = Uri.UnescapeDataString(user);
            var semi = user.IndexOf(';');
            if (semi >= 0)
            {
                domain = user[..semi];
                user = user[(semi + 1)..];
            }
        }
        int? port = null;
        var host = authority;
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            if (close < 0) throw new FormatException($"Unclosed '[' in the host of '{scheme}://{authority}'.");
            if (close + 1 < host.Length && host[close + 1] == ':') port = ParsePort(host[(close + 2)..], scheme, authority);
            host = host[1..close];
        }
        else
        {
            var colon = host.LastIndexOf(':');
            if (colon >= 0)
            {
                port = ParsePort(host[(colon + 1)..], scheme, authority);
                host = host[..colon];
            }
        }
        if (host.Length == 0)
            throw new FormatException($"The URI '{scheme}://...' has no host.");
        return new RemoteEndpoint
        {
            Scheme = scheme,
            Host = host,
            Port = port,
            UserName = string.IsNullOrEmpty(user) ? null : user,
            Domain = domain,
            Path = RemotePath.Normalize(Uri.UnescapeDataString(path)),
            Query = query,
        };
    }

    private static int ParsePort(string text, string scheme, string authority) =>
        int.TryParse(text, out var port) && port is > 0 and < 65536
            ? port
            : throw new FormatException($"'{text}' is not a valid port in '{scheme}://{authority}'.");

    private static RemoteEndpoint Local(string path) => new() { Scheme = "file", Path = path };

    /// <summary>Query keys whose values are secrets and are never printed.</summary>
    private static readonly HashSet<string> SecretQueryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "sig", "password", "secret", "key", "token", "sv", "se", "sp", "st", "spr", "srt", "ss", "skoid", "sktid",
        "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token", "AccountKey", "SharedAccessSignature",
    };

    /// <summary>The URI without secrets: query values that are secrets are replaced by <c>***</c>.</summary>
    public override string ToString()
    {
        if (Scheme == "file")
            return Path;
        var sb = new StringBuilder();
        sb.Append(Scheme).Append("://");
        if (UserName is not null)
        {
            if (Domain is not null) sb.Append(Domain).Append(';');
            sb.Append(UserName).Append('@');
        }
        sb.Append(Host.Contains(':') ? $"[{Host}]" : Host);
        if (Port is not null) sb.Append(':').Append(Port);
        sb.Append(Path == "/" ? "" : Path);
        if (Query.Count > 0)
        {
            sb.Append('?');
            sb.AppendJoin('&', Query.Select(kv => kv.Key + "=" + (SecretQueryKeys.Contains(kv.Key) ? "***" : kv.Value)));
        }
        return sb.ToString();
    }
}
