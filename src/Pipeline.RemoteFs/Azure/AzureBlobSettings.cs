using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Azure;

/// <summary>
/// Everything the Blob client needs, decided once from an <c>az://account/container/path</c> endpoint and the
/// connection options; invalid settings fail here with their name. Not a record: it holds the key and the SAS.
/// </summary>
internal sealed class AzureBlobSettings
{
    public required RemoteEndpoint Endpoint { get; init; }
    public required string Account { get; init; }
    public required string Container { get; init; }
    /// <summary>The path below the container that relative paths resolve against ('/' for the container root).</summary>
    public required string BasePath { get; init; }
    /// <summary>The service URL without a trailing '/', for example <c>https://account.blob.core.windows.net</c>.</summary>
    public required Uri ServiceUri { get; init; }
    public AzureSharedKey? SharedKey { get; init; }
    /// <summary>A SAS token without its leading '?'; appended to every request, never printed.</summary>
    public string? Sas { get; init; }
    /// <summary>Bytes per staged block; a write smaller than this is one Put Blob.</summary>
    public int BlockSize { get; init; } = 8 * 1024 * 1024;
    /// <summary>Blocks staged at once by one write stream.</summary>
    public int ParallelBlocks { get; init; } = 4;
    /// <summary>The page size asked of List Blobs (the service caps it at 5000).</summary>
    public int MaxResults { get; init; } = 5000;
    /// <summary>Create the container on connect when it does not exist.</summary>
    public bool CreateContainer { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public int MaxAttempts { get; init; } = 3;
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Receives one line per request sent and answer received: operation and blob path, never a URL, key or SAS.</summary>
    public Action<string>? Trace { get; init; }

    /// <summary>The key of the client pool these settings may share: service, account and a hash of the credential.</summary>
    public string PoolKey
    {
        get
        {
            var secret = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{SharedKey?.KeyFingerprint}\0{Sas}")));
            return $"{ServiceUri}|{Account}|{secret}|{ConnectTimeout}";
        }
    }

    /// <summary>Reads the settings; options' Settings win over the URI's query (only non-secret settings are read from the query).</summary>
    /// <exception cref="ArgumentException">A setting is invalid, or no credential was given.</exception>
    public static AzureBlobSettings From(RemoteEndpoint endpoint, RemoteConnectionOptions options, TimeProvider? time = null, Action<string>? trace = null)
    {
        if (endpoint.Scheme != "az")
            throw new ArgumentException($"The Azure Blob provider does not serve the scheme '{endpoint.Scheme}://'.", nameof(endpoint));
        string? Setting(string name) =>
            options.Settings.TryGetValue(name, out var value) && value.Length > 0 ? value :
            endpoint.Query.TryGetValue(name, out var query) && query.Length > 0 ? query : null;

        var segments = endpoint.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0)
            throw new ArgumentException($"The URI '{endpoint}' names no container: use az://account/container/path.", nameof(endpoint));
        var container = segments[0];
        var account = endpoint.Host;

        AzureConnectionString? connection = Setting("connection_string") is { } cs ? AzureConnectionString.Parse(cs) : null;
        if (connection?.AccountName is { } csAccount && !string.Equals(csAccount, account, StringComparison.Ordinal))
            throw new ArgumentException($"The connection string is for the account '{csAccount}' but the URI names the account '{account}'.", "connection_string");

        Uri service;
        if (Setting("endpoint") is { } explicitEndpoint)
        {
            if (!Uri.TryCreate(explicitEndpoint, UriKind.Absolute, out service!) || service.Scheme is not ("http" or "https") || service.Query.Length > 0)
                throw new ArgumentException($"The setting endpoint='{explicitEndpoint}' is not an http(s) URL without a query.", "endpoint");
        }
        else
        {
            service = connection?.BlobEndpoint ?? new Uri($"https://{account}.blob.core.windows.net");
        }
        service = new Uri(service.GetLeftPart(UriPartial.Path).TrimEnd('/'));

        var key = Setting("account_key") ?? connection?.AccountKey;
        var sas = options.Settings.TryGetValue("sas", out var s) && s.Length > 0 ? s : endpoint.Query.TryGetValue("sig", out _) ? SasFromQuery(endpoint) : connection?.SharedAccessSignature;
        if (key is null && sas is null && !string.IsNullOrEmpty(options.Credential?.Password))
            key = options.Credential.Password;
        if (key is null && sas is null)
            throw new ArgumentException(
                $"No credential for the storage account '{account}': give connection_string, account_key or sas, or a credential whose password is the account key.", "account_key");

        return new AzureBlobSettings
        {
            Endpoint = endpoint,
            Account = account,
            Container = container,
            BasePath = "/" + string.Join('/', segments.Skip(1)),
            ServiceUri = service,
            SharedKey = key is null ? null : new AzureSharedKey(account, key),
            Sas = sas?.TrimStart('?'),
            BlockSize = Integer(Setting("block_size"), "block_size", 1024, 4000 * 1024 * 1024L, 8 * 1024 * 1024),
            ParallelBlocks = Integer(Setting("parallel_blocks"), "parallel_blocks", 1, 64, 4),
            MaxResults = Integer(Setting("max_results"), "max_results", 1, 5000, 5000),
            CreateContainer = Setting("create_container") is { } create && Boolean(create, "create_container"),
            ConnectTimeout = options.ConnectTimeout,
            OperationTimeout = options.OperationTimeout,
            MaxAttempts = Math.Max(1, options.MaxAttempts),
            Time = time ?? TimeProvider.System,
            Trace = trace,
        };
    }

    private static string SasFromQuery(RemoteEndpoint endpoint) =>
        string.Join('&', endpoint.Query
            .Where(kv => kv.Key is not ("connection_string" or "endpoint" or "block_size" or "parallel_blocks" or "max_results" or "create_container"))
            .Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));

    private static int Integer(string? text, string name, int min, long max, int fallback)
    {
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"The setting {name}='{text}' is not a whole number from {min} to {max}.", name);
    }

    private static bool Boolean(string text, string name) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "yes" or "1" => true,
        "false" or "no" or "0" => false,
        _ => throw new ArgumentException($"The setting {name}='{text}' is not true or false.", name),
    };
}
