using System.Net;
using System.Net.Http.Headers;
using Amazon.S3;
using Amazon.S3.Model;

namespace Pipeline.RemoteFs.S3;

/// <summary>
/// Reads objects by a plain HTTP GET of a URL that the SDK presigns (query-string SigV4 of the same credentials,
/// endpoint rules and clock-skew correction as every other request). It exists for speed: the SDK's request pipeline
/// around a GetObject (handlers, unmarshalling, metrics, retry bookkeeping) costs more CPU than the transfer of a
/// small object, and on a busy machine that CPU is the time a many-file download takes.
/// </summary>
/// <remarks>
/// Only a successful answer is used. Anything else (a failed connection, an error status, a server that does not take
/// presigned requests) returns an attempt without a stream, and the caller asks again through the SDK's GetObject, whose answer, retries and
/// typed errors stand, so failures behave exactly as without this reader. A server that refuses a presigned GET that
/// the SDK then serves turns this reader off for the file system (<see cref="Disable"/>).
/// </remarks>
internal sealed class S3PresignedReader : IDisposable
{
    /// <summary>How long a presigned URL stays valid: it is used at once, so this only bounds a slow start.</summary>
    private static readonly TimeSpan UrlLifetime = TimeSpan.FromMinutes(15);

    private readonly IAmazonS3 _client;
    private readonly S3Settings _settings;
    private readonly HttpClient _http;
    private readonly Protocol _protocol;
    private volatile bool _disabled;

    public S3PresignedReader(IAmazonS3 client, S3Settings settings)
    {
        _client = client;
        _settings = settings;
        _protocol = settings.PlainHttp ? Protocol.HTTP : Protocol.HTTPS;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = settings.ConnectTimeout,
            // A redirect (another region) is the SDK's to follow; the body is the object's bytes as stored.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Stops presigned reads: the server refused one that the SDK's own request then served.</summary>
    public void Disable() => _disabled = true;

    /// <summary>
    /// Opens <paramref name="key"/> from <paramref name="offset"/> (<paramref name="length"/> bytes, or to the end), or
    /// returns an <see cref="Attempt"/> without a stream when it was not tried or anything but a successful answer came back.
    /// </summary>
    /// <exception cref="RemoteFsException">No answer within the operation timeout (<see cref="RemoteErrorKind.Timeout"/>).</exception>
    public async Task<Attempt> TryOpenAsync(S3FileSystem fileSystem, string key, long offset, long? length, CancellationToken cancellationToken)
    {
        if (_disabled) return Attempt.UseSdk;
        string url;
        try
        {
            url = await _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
            {
                BucketName = _settings.Bucket,
                Key = key,
                Verb = HttpVerb.GET,
                Protocol = _protocol,
                Expires = DateTime.UtcNow + UrlLifetime,
            }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // No credentials, anonymous access, or anything else the SDK's own request will explain.
            return Attempt.UseSdk;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0 || length is not null) request.Headers.Range = new RangeHeaderValue(offset, offset + length - 1);
        HttpResponseMessage response;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(_settings.OperationTimeout);
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw S3Errors.Map(new TimeoutException("No answer to a presigned GET.", ex), "Read", _settings, key, cancellationToken);
            }
            catch (HttpRequestException)
            {
                return Attempt.UseSdk;
            }
        }

        switch (response.StatusCode)
        {
            case HttpStatusCode.OK or HttpStatusCode.PartialContent:
                try
                {
                    var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    var wholeObject = response.StatusCode == HttpStatusCode.OK;
                    return new Attempt(new S3ReadStream(body, response.Content.Headers.ContentLength ?? -1,
                        wholeObject ? ContentMd5(response) : null, response, fileSystem, key), Refused: false);
                }
                catch
                {
                    response.Dispose();
                    throw;
                }
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                // Reading from the end of an object (a resumed download that was complete) yields nothing.
                response.Dispose();
                return new Attempt(Stream.Null, Refused: false);
            default:
                // A missing object, a server error (the SDK retries), or a refusal of the presigned request itself.
                var refused = response.StatusCode is not HttpStatusCode.NotFound && (int)response.StatusCode < 500;
                response.Dispose();
                return refused ? Attempt.RefusedByServer : Attempt.UseSdk;
        }
    }

    /// <summary>
    /// The MD5 that a whole object's ETag states, by the SDK's rule: a 32-digit ETag of an object not encrypted with
    /// KMS or a customer-provided key.
    /// </summary>
    private static string? ContentMd5(HttpResponseMessage response)
    {
        string? Header(string name) => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
        return S3ReadStream.EtagMd5(
            response.Headers.ETag?.Tag ?? Header("ETag"),
            Header("x-amz-server-side-encryption"),
            Header("x-amz-server-side-encryption-aws-kms-key-id"),
            Header("x-amz-server-side-encryption-customer-algorithm"));
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The outcome of a presigned read: the stream when the server answered with the bytes.</summary>
    /// <param name="Stream">The object's bytes, or null when the SDK's request must be made.</param>
    /// <param name="Refused">The server refused the presigned request itself (not a missing object or a server error).</param>
    internal readonly record struct Attempt(Stream? Stream, bool Refused)
    {
        /// <summary>Not tried, or failed: the SDK's request must be made.</summary>
        public static Attempt UseSdk => default;

        /// <summary>The server refused the presigned request itself.</summary>
        public static Attempt RefusedByServer => new(null, true);
    }
}
