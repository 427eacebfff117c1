namespace Pipeline.RemoteFs.Smb;

/// <summary>
/// Everything an SMB connection needs, decided once from the endpoint and the connection options; invalid settings
/// fail here with their name. Not a record, so that the password never reaches a generated <c>ToString</c>.
/// </summary>
internal sealed class SmbSettings
{
    public required RemoteEndpoint Endpoint { get; init; }
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string Share { get; init; }
    /// <summary>The base path within the share ('/'-separated, absolute).</summary>
    public required string BasePath { get; init; }
    public required string UserName { get; init; }
    public required string Domain { get; init; }
    public required string Password { get; init; }
    public bool AllowGuest { get; init; }
    public SmbDialect MinDialect { get; init; } = SmbDialect.Smb202;
    public SmbDialect MaxDialect { get; init; } = SmbDialect.Smb311;
    /// <summary>Sign every message even when the server does not require it.</summary>
    public bool RequireSigning { get; init; }
    /// <summary>Encrypt every message even when the share does not require it (SMB 3 only).</summary>
    public bool RequireEncryption { get; init; }
    /// <summary>Offer only AES-256 ciphers (SMB 3.1.1).</summary>
    public bool PreferAes256 { get; init; }
    /// <summary>The largest READ/WRITE payload sent in one request (further limited by the server).</summary>
    public int MaxIoSize { get; init; } = 1024 * 1024;
    /// <summary>READ/WRITE requests kept in flight by one stream.</summary>
    public int IoDepth { get; init; } = 8;
    /// <summary>FLUSH an upload before renaming it to its final name (on Samba with <c>strict sync</c>, an fsync).</summary>
    public bool FlushOnCommit { get; init; } = true;
    /// <summary>
    /// While a large upload is still being written, ask for a FLUSH each time this many more bytes have been sent
    /// (one at a time, in the background; 0: only the FLUSH before the rename). The server then writes the file to
    /// disk while the rest arrives, and the FLUSH before the rename waits only for the tail. No effect with
    /// <see cref="FlushOnCommit"/> off.
    /// </summary>
    public int FlushEvery { get; init; } = 64 * 1024 * 1024;
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public int MaxAttempts { get; init; } = 3;
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The key of the session these settings may share: endpoint, share, user, a hash of the password, and the security settings.</summary>
    public string PoolKey
    {
        get
        {
            var secret = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Domain + "\0" + UserName + "\0" + Password)));
            return $"{Host}|{Port}|{Share.ToUpperInvariant()}|{Domain}|{UserName}|{secret}|{AllowGuest}|{MinDialect}|{MaxDialect}|{RequireSigning}|{RequireEncryption}|{PreferAes256}|{MaxIoSize}|{IoDepth}|{FlushOnCommit}|{FlushEvery}";
        }
    }

    /// <summary>Reads the settings (options' Settings win over the URI's query). Settings: <c>min_dialect</c>,
    /// <c>max_dialect</c> (2.0.2, 2.1, 3.0, 3.0.2, 3.1.1), <c>signing</c> (auto | required), <c>encryption</c>
    /// (auto | required), <c>cipher</c> (aes128 | aes256), <c>guest</c> (true to accept a guest or anonymous
    /// session), <c>domain</c>, <c>io_size</c> (bytes per READ/WRITE), <c>io_depth</c> (requests in flight), <c>flush</c> (false to skip the FLUSH before an upload's rename), <c>flush_every</c> (bytes between
    /// background FLUSHes of a large upload; 0 for none).</summary>
    /// <exception cref="ArgumentException">A setting has a value this client does not understand, or the URI names no share.</exception>
    public static SmbSettings From(RemoteEndpoint endpoint, RemoteConnectionOptions options, TimeProvider? time = null)
    {
        if (endpoint.Scheme != "smb")
            throw new ArgumentException($"The SMB provider does not serve the scheme '{endpoint.Scheme}://'.", nameof(endpoint));
        string? Setting(string name) =>
            options.Settings.TryGetValue(name, out var value) ? value :
            endpoint.Query.TryGetValue(name, out var query) ? query : null;
        SmbDialect Dialect(string name, SmbDialect fallback) => Setting(name)?.Trim() switch
        {
            null or "" => fallback,
            "2.0.2" or "2.02" or "202" => SmbDialect.Smb202,
            "2.1" or "2.10" or "210" => SmbDialect.Smb210,
            "3.0" or "3" or "300" => SmbDialect.Smb300,
            "3.0.2" or "3.02" or "302" => SmbDialect.Smb302,
            "3.1.1" or "3.11" or "311" => SmbDialect.Smb311,
            var other => throw new ArgumentException($"The setting {name}='{other}' is not one of 2.0.2, 2.1, 3.0, 3.0.2, 3.1.1.", name),
        };
        bool Mode(string name) => Setting(name)?.Trim().ToLowerInvariant() switch
        {
            null or "" or "auto" or "false" or "no" => false,
            "required" or "true" or "yes" or "always" => true,
            var other => throw new ArgumentException($"The setting {name}='{other}' is not auto or required.", name),
        };
        int Number(string name, int fallback, int min, int max) => Setting(name) is { Length: > 0 } text
            ? int.TryParse(text, out var n) && n >= min && n <= max ? n : throw new ArgumentException($"The setting {name}='{text}' is not a number from {min} to {max}.", name)
            : fallback;

        var segments = endpoint.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
            throw new ArgumentException($"The URI '{endpoint}' names no share: write smb://host/share/path.", nameof(endpoint));
        var min = Dialect("min_dialect", SmbDialect.Smb202);
        var max = Dialect("max_dialect", SmbDialect.Smb311);
        if (min > max) throw new ArgumentException($"The setting min_dialect is above max_dialect.", "min_dialect");
        var credential = options.Credential;
        var user = !string.IsNullOrEmpty(credential?.UserName) ? credential.UserName : endpoint.UserName ?? "";
        var domain = !string.IsNullOrEmpty(credential?.Domain) ? credential.Domain : endpoint.Domain ?? Setting("domain") ?? "";
        var slash = user.IndexOf('\\');
        if (slash > 0)
        {
            domain = user[..slash];
            user = user[(slash + 1)..];
        }
        var guest = Setting("guest")?.Trim().ToLowerInvariant() is "true" or "yes" or "1";
        if (user.Length == 0 && !guest)
            throw new ArgumentException($"The URI '{endpoint}' has no user name and no credential was given; guest and anonymous sessions are refused unless the setting guest=true asks for them.", "user");
        var cipher = Setting("cipher")?.Trim().ToLowerInvariant() switch
        {
            null or "" or "aes128" or "auto" => false,
            "aes256" => true,
            var other => throw new ArgumentException($"The setting cipher='{other}' is not aes128 or aes256.", "cipher"),
        };
        return new SmbSettings
        {
            Endpoint = endpoint,
            Host = endpoint.Host,
            Port = endpoint.Port ?? 445,
            Share = segments[0],
            BasePath = "/" + string.Join('/', segments.Skip(1)),
            UserName = user,
            Domain = domain,
            Password = credential?.Password ?? "",
            AllowGuest = guest,
            MinDialect = min,
            MaxDialect = max,
            RequireSigning = Mode("signing"),
            RequireEncryption = Mode("encryption"),
            PreferAes256 = cipher,
            MaxIoSize = Number("io_size", 1024 * 1024, 4096, 8 * 1024 * 1024),
            IoDepth = Number("io_depth", 8, 1, 64),
            FlushOnCommit = Setting("flush")?.Trim().ToLowerInvariant() switch
            {
                null or "" or "true" or "yes" or "1" => true,
                "false" or "no" or "0" => false,
                var other => throw new ArgumentException($"The setting flush='{other}' is not true or false.", "flush"),
            },
            FlushEvery = Number("flush_every", 64 * 1024 * 1024, 0, int.MaxValue),
            ConnectTimeout = options.ConnectTimeout,
            OperationTimeout = options.OperationTimeout,
            MaxAttempts = Math.Max(1, options.MaxAttempts),
            Time = time ?? TimeProvider.System,
        };
    }

    /// <summary>A credential-free description for messages.</summary>
    public override string ToString() => Endpoint.ToString();
}
