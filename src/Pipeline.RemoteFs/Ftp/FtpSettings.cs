using System.Net;
using System.Security.Authentication;
using System.Text;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>Whether and how the control connection is encrypted.</summary>
internal enum FtpTlsMode
{
    /// <summary>Plain FTP.</summary>
    None,
    /// <summary>Plain connect, then <c>AUTH TLS</c> (RFC 4217); <c>ftpes://</c> or <c>tls=explicit</c>.</summary>
    Explicit,
    /// <summary>TLS from the first byte (port 990); <c>ftps://</c>.</summary>
    Implicit,
}

/// <summary>Who opens data connections.</summary>
internal enum FtpDataMode
{
    /// <summary>The client connects to the server (EPSV, then PASV).</summary>
    Passive,
    /// <summary>The server connects to the client (EPRT, then PORT).</summary>
    Active,
}

/// <summary>
/// Everything an FTP connection needs, decided once from the endpoint and the connection options; invalid settings
/// fail here with their name. Not a record, so that the password never reaches a generated <c>ToString</c>.
/// </summary>
internal sealed class FtpSettings
{
    public required RemoteEndpoint Endpoint { get; init; }
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string UserName { get; init; }
    public required string Password { get; init; }
    public FtpTlsMode Tls { get; init; }
    public FtpDataMode DataMode { get; init; }
    /// <summary>Whether to try EPSV (RFC 2428) before PASV; some NAT routers only rewrite PASV.</summary>
    public bool UseEpsv { get; init; } = true;
    /// <summary>Whether to try EPRT (RFC 2428) before PORT.</summary>
    public bool UseEprt { get; init; } = true;
    /// <summary>
    /// Whether commands whose replies are only checked afterwards go out together (RNFR with RNTO; EPSV with the
    /// transfer command once EPSV has worked on the connection; SIZE before a download), saving a round trip each.
    /// Off for servers or middle boxes that mishandle several commands in one packet (setting <c>pipelining</c>).
    /// </summary>
    public bool Pipelining { get; init; } = true;
    /// <summary>The name used for TLS (SNI, certificate name, the TLS session cache); the host unless set.</summary>
    public required string TlsServerName { get; init; }
    /// <summary>The SHA-256 thumbprint to accept instead of a chain validation, upper-case hex without separators.</summary>
    public string? PinnedThumbprint { get; init; }
    public SslProtocols TlsProtocols { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public int MaxAttempts { get; init; } = 3;
    public Encoding Encoding { get; init; } = new UTF8Encoding(false);
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Receives each command and reply line; passwords are masked before it sees them.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>The key of the connection pool these settings may share: endpoint, user, a hash of the password, and the transport settings.</summary>
    public string PoolKey
    {
        get
        {
            var secret = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(UserName + "\0" + Password)));
            return $"{Endpoint.Scheme}|{Host}|{Port}|{UserName}|{secret}|{Tls}|{DataMode}|{UseEpsv}|{UseEprt}|{Pipelining}|{TlsServerName}|{PinnedThumbprint}|{TlsProtocols}|{Encoding.WebName}";
        }
    }

    /// <summary>Reads the settings from an endpoint and options (options' Settings win over the URI's query).</summary>
    /// <exception cref="ArgumentException">A setting has a value this client does not understand.</exception>
    public static FtpSettings From(RemoteEndpoint endpoint, RemoteConnectionOptions options, TimeProvider? time = null, Action<string>? trace = null)
    {
        string? Setting(string name) =>
            options.Settings.TryGetValue(name, out var value) ? value :
            endpoint.Query.TryGetValue(name, out var query) ? query : null;

        var schemeTls = endpoint.Scheme switch
        {
            "ftp" => FtpTlsMode.None,
            "ftps" => FtpTlsMode.Implicit,
            "ftpes" => FtpTlsMode.Explicit,
            _ => throw new ArgumentException($"The FTP provider does not serve the scheme '{endpoint.Scheme}://'.", nameof(endpoint)),
        };
        var tls = Setting("tls")?.Trim().ToLowerInvariant() switch
        {
            null or "" => schemeTls,
            "none" or "false" or "no" when schemeTls == FtpTlsMode.None => FtpTlsMode.None,
            "none" or "false" or "no" => throw new ArgumentException($"The setting tls='{Setting("tls")}' contradicts the {endpoint.Scheme}:// scheme, which is always encrypted.", "tls"),
            "explicit" or "auth" => FtpTlsMode.Explicit,
            "implicit" => FtpTlsMode.Implicit,
            var other => throw new ArgumentException($"The setting tls='{other}' is not one of none, explicit, implicit.", "tls"),
        };
        var mode = Setting("mode")?.Trim().ToLowerInvariant() switch
        {
            null or "" or "passive" or "pasv" => FtpDataMode.Passive,
            "active" or "port" => FtpDataMode.Active,
            var other => throw new ArgumentException($"The setting mode='{other}' is not one of passive, active.", "mode"),
        };
        bool Flag(string name) => Setting(name)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "true" or "yes" or "on" or "1" => true,
            "false" or "no" or "off" or "0" => false,
            var other => throw new ArgumentException($"The setting {name}='{other}' is not true or false.", name),
        };
        var protocols = Setting("tls_protocols")?.Trim().ToLowerInvariant() switch
        {
            // TLS 1.2 by default: see FtpTls for why TLS 1.3 breaks data connections on servers that require session reuse.
            null or "" or "default" or "tls12" or "1.2" => SslProtocols.Tls12,
            "tls13" or "1.3" => SslProtocols.Tls13,
            "system" => SslProtocols.None,
            var other => throw new ArgumentException($"The setting tls_protocols='{other}' is not one of tls12 (the default), tls13, system.", "tls_protocols"),
        };
        Encoding encoding;
        try
        {
            encoding = Setting("encoding") is { Length: > 0 } name ? Encoding.GetEncoding(name) : new UTF8Encoding(false);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The setting encoding='{Setting("encoding")}' is not an encoding this system knows.", "encoding", ex);
        }

        var credential = options.Credential;
        var user = !string.IsNullOrEmpty(credential?.UserName) ? credential.UserName : endpoint.UserName;
        var password = credential?.Password ?? "";
        if (string.IsNullOrEmpty(user))
        {
            user = "anonymous";
            if (password.Length == 0) password = "anonymous@";
        }
        var host = endpoint.Host;
        return new FtpSettings
        {
            Endpoint = endpoint,
            Host = host,
            Port = endpoint.Port ?? (tls == FtpTlsMode.Implicit ? 990 : 21),
            UserName = user,
            Password = password,
            Tls = tls,
            DataMode = mode,
            UseEpsv = Flag("epsv"),
            UseEprt = Flag("eprt"),
            Pipelining = Flag("pipelining"),
            TlsServerName = Setting("tls_server_name") is { Length: > 0 } serverName ? serverName : host,
            PinnedThumbprint = FtpCertificatePolicy.NormalizeThumbprint(options.PinnedFingerprint),
            TlsProtocols = protocols,
            ConnectTimeout = options.ConnectTimeout,
            OperationTimeout = options.OperationTimeout,
            MaxAttempts = Math.Max(1, options.MaxAttempts),
            Encoding = encoding,
            Time = time ?? TimeProvider.System,
            Trace = trace,
        };
    }

    /// <summary>A credential-free description for messages.</summary>
    public override string ToString() => Endpoint.ToString();

    /// <summary>Whether <paramref name="host"/> is an IP address literal (TLS sessions cannot be resumed for those in .NET).</summary>
    public static bool IsAddress(string host) => IPAddress.TryParse(host, out _);
}
