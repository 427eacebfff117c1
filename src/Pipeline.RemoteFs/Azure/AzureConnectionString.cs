namespace Pipeline.RemoteFs.Azure;

/// <summary>
/// A storage connection string (<c>DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=…</c>,
/// <c>BlobEndpoint=…;SharedAccessSignature=…</c>, or <c>UseDevelopmentStorage=true</c> for Azurite's well-known account).
/// Not a record: it holds the key.
/// </summary>
internal sealed class AzureConnectionString
{
    /// <summary>The name of Azurite's (and the old storage emulator's) published development account.</summary>
    public const string DevelopmentAccount = "devstoreaccount1";

    /// <summary>The published key of the development account; not a secret, the emulators all accept it.</summary>
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public string? AccountName { get; private init; }
    public string? AccountKey { get; private init; }
    public string? SharedAccessSignature { get; private init; }
    public Uri? BlobEndpoint { get; private init; }

    /// <exception cref="ArgumentException">A part is malformed or the string names no account; the message never contains the key.</exception>
    public static AzureConnectionString Parse(string text)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"The connection string has a part without 'name=value' (part {parts.Count + 1}).", "connection_string");
            parts[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        string? Get(string name) => parts.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

        if (string.Equals(Get("UseDevelopmentStorage"), "true", StringComparison.OrdinalIgnoreCase))
        {
            var proxy = Get("DevelopmentStorageProxyUri")?.TrimEnd('/') ?? "http://127.0.0.1";
            return new AzureConnectionString
            {
                AccountName = DevelopmentAccount,
                AccountKey = DevelopmentKey,
                BlobEndpoint = new Uri($"{proxy}:10000/{DevelopmentAccount}"),
            };
        }
        var account = Get("AccountName");
        Uri? endpoint = null;
        if (Get("BlobEndpoint") is { } blobEndpoint)
        {
            if (!Uri.TryCreate(blobEndpoint, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
                throw new ArgumentException($"The connection string's BlobEndpoint '{blobEndpoint}' is not an http(s) URL.", "connection_string");
        }
        else if (account is not null)
        {
            var protocol = Get("DefaultEndpointsProtocol") ?? "https";
            if (protocol is not ("http" or "https"))
                throw new ArgumentException($"The connection string's DefaultEndpointsProtocol '{protocol}' is not http or https.", "connection_string");
            endpoint = new Uri($"{protocol}://{account}.blob.{Get("EndpointSuffix") ?? "core.windows.net"}");
        }
        if (account is null && endpoint is null)
            throw new ArgumentException("The connection string names neither an AccountName nor a BlobEndpoint.", "connection_string");
        return new AzureConnectionString
        {
            AccountName = account,
            AccountKey = Get("AccountKey"),
            SharedAccessSignature = Get("SharedAccessSignature")?.TrimStart('?'),
            BlobEndpoint = endpoint,
        };
    }
}
