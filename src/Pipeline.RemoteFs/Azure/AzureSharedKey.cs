using System.Security.Cryptography;
using System.Text;

namespace Pipeline.RemoteFs.Azure;

/// <summary>
/// Signs Blob service requests with an account key, as "Authorize with Shared Key" describes for version
/// 2009-09-19 and later: an HMAC-SHA256 of the string-to-sign, sent as <c>Authorization: SharedKey account:signature</c>.
/// Not a record, so that the key never reaches a generated <c>ToString</c>.
/// </summary>
internal sealed class AzureSharedKey
{
    private readonly byte[] _key;

    /// <exception cref="ArgumentException">The key is not base64.</exception>
    public AzureSharedKey(string accountName, string base64Key)
    {
        AccountName = accountName;
        try
        {
            _key = Convert.FromBase64String(base64Key.Trim());
        }
        catch (FormatException)
        {
            throw new ArgumentException($"The account key for the storage account '{accountName}' is not valid base64.", nameof(base64Key));
        }
    }

    public string AccountName { get; }

    /// <summary>A one-way fingerprint of the key, to tell pools apart without keeping the key in their names.</summary>
    public string KeyFingerprint => Convert.ToHexString(SHA256.HashData(_key));

    /// <summary>Adds the <c>Authorization</c> header to a request whose x-ms-date and other headers are already set.</summary>
    public void Sign(HttpRequestMessage request)
    {
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(StringToSign(request, AccountName))));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {AccountName}:{signature}");
    }

    /// <summary>The string-to-sign of a request: the verb, twelve standard headers, the canonicalized headers and resource.</summary>
    public static string StringToSign(HttpRequestMessage request, string accountName)
    {
        string Header(string name)
        {
            if (request.Headers.TryGetValues(name, out var values)) return string.Join(",", values);
            if (request.Content is not null && request.Content.Headers.TryGetValues(name, out var contentValues)) return string.Join(",", contentValues);
            return "";
        }

        // Since version 2015-02-21 a zero Content-Length is signed as the empty string.
        var length = request.Content?.Headers.ContentLength;
        var sb = new StringBuilder();
        sb.Append(request.Method.Method.ToUpperInvariant()).Append('\n')
            .Append(Header("Content-Encoding")).Append('\n')
            .Append(Header("Content-Language")).Append('\n')
            .Append(length is null or 0 ? "" : length.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n')
            .Append(Header("Content-MD5")).Append('\n')
            .Append(Header("Content-Type")).Append('\n')
            .Append("").Append('\n') // Date: x-ms-date is always sent instead
            .Append(Header("If-Modified-Since")).Append('\n')
            .Append(Header("If-Match")).Append('\n')
            .Append(Header("If-None-Match")).Append('\n')
            .Append(Header("If-Unmodified-Since")).Append('\n')
            .Append(Header("Range")).Append('\n');
        var msHeaders = request.Headers
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(",", h.Value.Select(v => v.Trim()))))
            .OrderBy(h => h.Name, StringComparer.Ordinal);
        foreach (var (name, value) in msHeaders)
            sb.Append(name).Append(':').Append(value).Append('\n');
        sb.Append(CanonicalizedResource(request.RequestUri!, accountName));
        return sb.ToString();
    }

    /// <summary>
    /// "/account" + the encoded URI path, then each query parameter in lower case, sorted, with its decoded values
    /// sorted and comma-separated, one per line.
    /// </summary>
    public static string CanonicalizedResource(Uri uri, string accountName)
    {
        var sb = new StringBuilder("/").Append(accountName).Append(uri.AbsolutePath);
        var parameters = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var query = uri.Query.TrimStart('?');
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (!parameters.TryGetValue(name, out var list)) parameters[name] = list = [];
            list.Add(value);
        }
        foreach (var (name, values) in parameters)
        {
            values.Sort(StringComparer.Ordinal);
            sb.Append('\n').Append(name).Append(':').AppendJoin(',', values);
        }
        return sb.ToString();
    }
}
