using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;

namespace Pipeline.RemoteFs.Azure;

/// <summary>
/// A small client of the Blob service REST API: an <see cref="HttpClient"/> over a pooling
/// <see cref="SocketsHttpHandler"/> that the provider shares between file systems of the same service and credential. Requests are
/// signed with the Shared Key or carry the SAS; transient failures are retried with backoff; every failure is a
/// typed <see cref="RemoteFsException"/> naming the operation, the blob and the account/container, never the
/// key or the SAS.
/// </summary>
internal sealed class AzureBlobClient
{
    /// <summary>The service version spoken; Azurite 3.x and the cloud both accept it.</summary>
    public const string ServiceVersion = "2021-12-02";

    private readonly AzureBlobSettings _settings;
    private readonly HttpClient _http;

    /// <summary>A client over <paramref name="http"/>, which it does not dispose (the provider pools it).</summary>
    public AzureBlobClient(AzureBlobSettings settings, HttpClient http)
    {
        _settings = settings;
        _http = http;
    }

    /// <summary>An HTTP client for one service and credential: pooled connections, the connect timeout, no redirects.</summary>
    public static HttpClient CreateHttpClient(AzureBlobSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = settings.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 64,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
        };
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public string Account => _settings.Account;

    /// <summary>The endpoint errors name: the account and container, nothing secret.</summary>
    public RemoteEndpoint ErrorEndpoint(string container) => new() { Scheme = "az", Host = _settings.Account, Path = "/" + container };

    public async Task<AzureBlobPage> ListAsync(string container, string prefix, string? delimiter, string? marker, int maxResults, CancellationToken cancellationToken)
    {
        var query = new StringBuilder("restype=container&comp=list");
        if (prefix.Length > 0) query.Append("&prefix=").Append(Uri.EscapeDataString(prefix));
        if (delimiter is not null) query.Append("&delimiter=").Append(Uri.EscapeDataString(delimiter));
        if (marker is not null) query.Append("&marker=").Append(Uri.EscapeDataString(marker));
        query.Append("&maxresults=").Append(maxResults.ToString(CultureInfo.InvariantCulture));
        using var response = await SendAsync("List blobs", container, null, "/" + prefix,
            () => new HttpRequestMessage(HttpMethod.Get, Url(container, null, query.ToString())), cancellationToken).ConfigureAwait(false);
        var xml = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (System.Xml.XmlException ex)
        {
            throw new RemoteFsException(RemoteErrorKind.Protocol, "List blobs answered with invalid XML", "/" + prefix, ErrorEndpoint(container), ex);
        }
        var root = document.Root!;
        var blobs = root.Element("Blobs")?.Elements("Blob").Select(b =>
        {
            var properties = b.Element("Properties");
            string? Property(string name) => properties?.Element(name)?.Value is { Length: > 0 } v ? v : null;
            return new AzureBlobItem(
                b.Element("Name")!.Value,
                long.Parse(Property("Content-Length") ?? "0", CultureInfo.InvariantCulture),
                Property("Last-Modified") is { } lm ? DateTimeOffset.Parse(lm, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) : null,
                Property("Etag"),
                Property("Content-MD5") is { } md5 ? Convert.FromBase64String(md5) : null);
        }).ToList() ?? [];
        var prefixes = root.Element("Blobs")?.Elements("BlobPrefix").Select(p => p.Element("Name")!.Value).ToList() ?? [];
        var next = root.Element("NextMarker")?.Value;
        return new AzureBlobPage(blobs, prefixes, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>Get Blob Properties; null when the blob does not exist.</summary>
    public async Task<AzureBlobItem?> GetPropertiesAsync(string container, string blob, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync("Get blob properties", container, blob, "/" + blob,
                () => new HttpRequestMessage(HttpMethod.Head, Url(container, blob, null)), cancellationToken).ConfigureAwait(false);
            return Properties(blob, response);
        }
        catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound && AzureBlobErrors.Code(ex) != "ContainerNotFound")
        {
            return null;
        }
    }

    private static AzureBlobItem Properties(string blob, HttpResponseMessage response)
    {
        var content = response.Content.Headers;
        return new AzureBlobItem(blob, content.ContentLength ?? 0, content.LastModified, response.Headers.ETag?.Tag, content.ContentMD5);
    }

    /// <summary>Get Container Properties: whether the container exists.</summary>
    public async Task<bool> ContainerExistsAsync(string container, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync("Get container properties", container, null, "/",
                () => new HttpRequestMessage(HttpMethod.Head, Url(container, null, "restype=container")), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RemoteFsException ex) when (ex.Kind == RemoteErrorKind.NotFound)
        {
            return false;
        }
    }

    /// <summary>Create Container; succeeds when it already exists.</summary>
    public async Task CreateContainerAsync(string container, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync("Create container", container, null, "/",
                () => new HttpRequestMessage(HttpMethod.Put, Url(container, null, "restype=container")) { Content = Empty() }, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteFsException ex) when (AzureBlobErrors.Code(ex) == "ContainerAlreadyExists")
        {
        }
    }

    /// <summary>Get Blob from <paramref name="offset"/> (for <paramref name="length"/> bytes when given), streamed.</summary>
    public async Task<Stream> DownloadAsync(string container, string blob, long offset, long? length, CancellationToken cancellationToken)
    {
        if (length == 0) return Stream.Null;
        string? range = offset == 0 && length is null ? null
            : length is null ? $"bytes={offset}-" : $"bytes={offset}-{offset + length.Value - 1}";
        HttpResponseMessage response;
        try
        {
            response = await SendAsync("Get blob", container, blob, "/" + blob, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, Url(container, blob, null));
                if (range is not null) request.Headers.TryAddWithoutValidation("x-ms-range", range);
                return request;
            }, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        }
        catch (RemoteFsException ex) when (AzureBlobErrors.Code(ex) == "InvalidRange")
        {
            return Stream.Null; // reading from the end (or past it) of a blob reads nothing
        }
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new ResponseStream(response, stream);
    }

    /// <summary>Put Blob: the whole content in one request; visible at once.</summary>
    public async Task PutBlobAsync(string container, string blob, ReadOnlyMemory<byte> content, byte[] md5, bool overwrite, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("Put blob", container, blob, "/" + blob, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url(container, blob, null)) { Content = Body(content) };
            request.Content.Headers.ContentMD5 = md5;
            request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
            if (!overwrite) request.Headers.TryAddWithoutValidation("If-None-Match", "*");
            return request;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Put Block: stages one block, invisible until a block list names it.</summary>
    public async Task PutBlockAsync(string container, string blob, string blockId, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var query = "comp=block&blockid=" + Uri.EscapeDataString(blockId);
        using var response = await SendAsync("Put block", container, blob, "/" + blob, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url(container, blob, query)) { Content = Body(content) };
            request.Content.Headers.ContentMD5 = System.Security.Cryptography.MD5.HashData(content.Span);
            return request;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Put Block List: commits the staged blocks in order as the blob's content, with the whole content's MD5.</summary>
    public async Task PutBlockListAsync(string container, string blob, IReadOnlyList<string> blockIds, byte[]? md5, bool overwrite, CancellationToken cancellationToken)
    {
        var xml = new XDocument(new XElement("BlockList", blockIds.Select(id => new XElement("Latest", id)))).ToString(SaveOptions.DisableFormatting);
        var body = Encoding.UTF8.GetBytes(xml);
        using var response = await SendAsync("Put block list", container, blob, "/" + blob, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url(container, blob, "comp=blocklist")) { Content = Body(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/xml");
            if (md5 is not null) request.Headers.TryAddWithoutValidation("x-ms-blob-content-md5", Convert.ToBase64String(md5));
            if (!overwrite) request.Headers.TryAddWithoutValidation("If-None-Match", "*");
            return request;
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteBlobAsync(string container, string blob, CancellationToken cancellationToken)
    {
        using var response = await SendAsync("Delete blob", container, blob, "/" + blob,
            () => new HttpRequestMessage(HttpMethod.Delete, Url(container, blob, null)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copy Blob within the service, then waits until the copy is no longer pending.</summary>
    public async Task CopyBlobAsync(string container, string source, string destination, bool overwrite, CancellationToken cancellationToken)
    {
        var sourceUrl = Url(container, source, null).AbsoluteUri;
        using (var response = await SendAsync("Copy blob", container, destination, "/" + destination, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, Url(container, destination, null)) { Content = Empty() };
            request.Headers.TryAddWithoutValidation("x-ms-copy-source", sourceUrl);
            if (!overwrite) request.Headers.TryAddWithoutValidation("If-None-Match", "*");
            return request;
        }, cancellationToken).ConfigureAwait(false))
        {
            if (CopyStatus(response) is "success") return;
        }
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            await Task.Delay(delay, _settings.Time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            using var response = await SendAsync("Copy blob (status)", container, destination, "/" + destination,
                () => new HttpRequestMessage(HttpMethod.Head, Url(container, destination, null)), cancellationToken).ConfigureAwait(false);
            switch (CopyStatus(response))
            {
                case "pending":
                    continue;
                case "success" or null:
                    return;
                case var status:
                    throw new RemoteFsException(RemoteErrorKind.Io, $"Copy blob from '/{source}' ended with status '{status}'", "/" + destination, ErrorEndpoint(container));
            }
        }
    }

    private static string? CopyStatus(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-ms-copy-status", out var values) ? values.FirstOrDefault() : null;

    /// <summary>The request URL: service/container/blob (each segment escaped), the query, then the SAS.</summary>
    private Uri Url(string container, string? blob, string? query)
    {
        var sb = new StringBuilder(_settings.ServiceUri.AbsoluteUri.TrimEnd('/')).Append('/').Append(Uri.EscapeDataString(container));
        if (blob is not null)
            sb.Append('/').AppendJoin('/', blob.Split('/').Select(Uri.EscapeDataString));
        var parts = new[] { query, _settings.SharedKey is null ? _settings.Sas : null }.Where(p => !string.IsNullOrEmpty(p)).ToArray();
        if (parts.Length > 0) sb.Append('?').AppendJoin('&', parts);
        return new Uri(sb.ToString());
    }

    private static ByteArrayContent Empty() => new([]);

    private static HttpContent Body(ReadOnlyMemory<byte> content) => new ReadOnlyMemoryContent(content);

    /// <summary>
    /// Sends a request built afresh for each attempt; retries transient failures with exponential backoff; returns
    /// the successful response (the caller disposes it) or throws a typed error.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string operation, string container, string? blob, string path, Func<HttpRequestMessage> build,
        CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var endpoint = ErrorEndpoint(container);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendOnceAsync(operation, path, endpoint, build, completion, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteFsException ex) when (ex.IsTransient && attempt < _settings.MaxAttempts)
            {
                var backoff = TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt - 1) * (0.8 + Random.Shared.NextDouble() * 0.4));
                await Task.Delay(backoff, _settings.Time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(string operation, string path, RemoteEndpoint endpoint, Func<HttpRequestMessage> build,
        HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = build();
        request.Headers.TryAddWithoutValidation("x-ms-date", _settings.Time.GetUtcNow().ToString("R", CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("x-ms-version", ServiceVersion);
        _settings.SharedKey?.Sign(request);
        using var timeout = new CancellationTokenSource(_settings.OperationTimeout, _settings.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        _settings.Trace?.Invoke($"> {operation} {path}");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw AzureBlobErrors.Timeout(operation, path, endpoint, _settings.OperationTimeout);
        }
        catch (OperationCanceledException ex)
        {
            // HttpClient reports a connect timeout as a cancellation of its own.
            throw AzureBlobErrors.FromTransport(ex, operation, path, endpoint);
        }
        catch (HttpRequestException ex)
        {
            throw AzureBlobErrors.FromTransport(ex, operation, path, endpoint);
        }
        catch (IOException ex)
        {
            throw AzureBlobErrors.FromTransport(ex, operation, path, endpoint);
        }
        _settings.Trace?.Invoke($"< {(int)response.StatusCode} {operation} {path}");
        if (response.IsSuccessStatusCode) return response;
        using (response)
            throw AzureBlobErrors.FromResponse(response, operation, path, endpoint);
    }

    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class ResponseStream(HttpResponseMessage response, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
