using System.Net;
using System.Net.Sockets;

namespace Pipeline.RemoteFs.Azure;

/// <summary>Turns Blob service answers and transport failures into typed <see cref="RemoteFsException"/>s.</summary>
internal static class AzureBlobErrors
{
    /// <summary>The kind of a failed response, from its status and the service's x-ms-error-code.</summary>
    public static RemoteErrorKind Classify(HttpStatusCode status, string? code) => (int)status switch
    {
        // The cloud answers a bad key or SAS signature with AuthenticationFailed, Azurite with AuthorizationFailure;
        // the Authorization*Mismatch codes are valid credentials without the right (permission, IP, protocol).
        403 when code is "AuthenticationFailed" or "AuthorizationFailure" or "InvalidAuthenticationInfo" or null => RemoteErrorKind.Authentication,
        401 => RemoteErrorKind.Authentication,
        403 => RemoteErrorKind.PermissionDenied,
        404 => RemoteErrorKind.NotFound,
        409 or 412 => RemoteErrorKind.Conflict,
        408 or 429 or 500 or 502 or 503 or 504 => RemoteErrorKind.Transient,
        _ => RemoteErrorKind.Protocol,
    };

    public static RemoteFsException FromResponse(HttpResponseMessage response, string operation, string path, RemoteEndpoint endpoint)
    {
        var code = response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null;
        var kind = Classify(response.StatusCode, code);
        var exception = new RemoteFsException(kind, $"{operation} failed: {(int)response.StatusCode} {code ?? response.ReasonPhrase}", path, endpoint);
        if (code is not null) exception.Data[ErrorCodeKey] = code;
        return exception;
    }

    private const string ErrorCodeKey = "x-ms-error-code";

    /// <summary>The service's error code (for example <c>ContainerNotFound</c>) of a failure this class made from a response.</summary>
    public static string? Code(RemoteFsException exception) => exception.Data[ErrorCodeKey] as string;

    /// <summary>A failure to reach the service: refused or dropped connections are transient.</summary>
    public static RemoteFsException FromTransport(Exception ex, string operation, string path, RemoteEndpoint endpoint)
    {
        var reason = ex switch
        {
            HttpRequestException { InnerException: SocketException socket } => socket.SocketErrorCode.ToString(),
            HttpRequestException http when http.HttpRequestError != HttpRequestError.Unknown => http.HttpRequestError.ToString(),
            _ => ex.GetType().Name,
        };
        return new RemoteFsException(RemoteErrorKind.Transient, $"{operation} failed: the service could not be reached ({reason})", path, endpoint, ex);
    }

    public static RemoteFsException Timeout(string operation, string path, RemoteEndpoint endpoint, TimeSpan limit) =>
        new(RemoteErrorKind.Timeout, $"{operation} did not finish within {limit.TotalSeconds:0.#} s", path, endpoint);
}
