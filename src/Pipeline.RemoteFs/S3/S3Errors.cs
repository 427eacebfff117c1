using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace Pipeline.RemoteFs.S3;

/// <summary>Turns AWS SDK failures into typed <see cref="RemoteFsException"/>s naming the operation, the object and the server.</summary>
internal static class S3Errors
{
    /// <summary>The typed error for <paramref name="ex"/>, met while doing <paramref name="operation"/> on <paramref name="key"/>.</summary>
    public static RemoteFsException Map(Exception ex, string operation, S3Settings settings, string? key, CancellationToken cancellationToken = default)
    {
        if (ex is RemoteFsException remote) return remote;
        var path = key is null ? null : "/" + key;
        var where = $"{operation} of s3 object '{settings.Bucket}/{key}' at {settings.Server} failed";
        return ex switch
        {
            AmazonS3Exception s3 => new RemoteFsException(KindOf(s3), $"{where}: {Describe(s3)}", path, settings.Endpoint, ex),
            // The SDK reports its own request timeout as TimeoutException; a bare cancellation nobody asked for is one too.
            TimeoutException or OperationCanceledException when !cancellationToken.IsCancellationRequested =>
                new RemoteFsException(RemoteErrorKind.Timeout, $"{where}: no answer within {settings.OperationTimeout.TotalSeconds:0} s", path, settings.Endpoint, ex),
            HttpRequestException or IOException or System.Net.Sockets.SocketException =>
                new RemoteFsException(RemoteErrorKind.Transient, $"{where}: the connection failed ({ex.Message})", path, settings.Endpoint, ex),
            AmazonServiceException { InnerException: HttpRequestException or IOException } =>
                new RemoteFsException(RemoteErrorKind.Transient, $"{where}: the connection failed ({ex.InnerException!.Message})", path, settings.Endpoint, ex),
            AmazonClientException when ex.Message.Contains("credential", StringComparison.OrdinalIgnoreCase) =>
                new RemoteFsException(RemoteErrorKind.Authentication, $"{where}: no usable credentials ({ex.Message})", path, settings.Endpoint, ex),
            AmazonServiceException service => new RemoteFsException(KindOf(service.StatusCode, service.ErrorCode), $"{where}: {ex.Message}", path, settings.Endpoint, ex),
            _ => new RemoteFsException(RemoteErrorKind.Protocol, $"{where}: {ex.Message}", path, settings.Endpoint, ex),
        };
    }

    private static string Describe(AmazonS3Exception ex)
    {
        var code = string.IsNullOrEmpty(ex.ErrorCode) ? $"HTTP {(int)ex.StatusCode}" : $"{ex.ErrorCode} (HTTP {(int)ex.StatusCode})";
        return string.IsNullOrEmpty(ex.Message) || ex.Message == ex.ErrorCode ? code : $"{code}: {ex.Message}";
    }

    public static RemoteErrorKind KindOf(AmazonS3Exception ex) => KindOf(ex.StatusCode, ex.ErrorCode);

    /// <summary>The kind of failure an S3 error code (first) or HTTP status stands for.</summary>
    public static RemoteErrorKind KindOf(HttpStatusCode status, string? code) => code switch
    {
        "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "ExpiredToken" or "InvalidToken" or "TokenRefreshRequired" or "InvalidSecurity" =>
            RemoteErrorKind.Authentication,
        "AccessDenied" or "AllAccessDisabled" or "AccountProblem" => RemoteErrorKind.PermissionDenied,
        "NoSuchBucket" or "NoSuchKey" or "NoSuchUpload" => RemoteErrorKind.NotFound,
        "SlowDown" or "InternalError" or "ServiceUnavailable" or "RequestTimeout" or "RequestTimeTooSkewed" or "OperationAborted" =>
            RemoteErrorKind.Transient,
        "BucketAlreadyExists" or "BucketAlreadyOwnedByYou" or "PreconditionFailed" or "BucketNotEmpty" => RemoteErrorKind.Conflict,
        "InvalidRange" or "EntityTooSmall" or "EntityTooLarge" or "InvalidPart" or "InvalidPartOrder" or "MalformedXML" => RemoteErrorKind.Protocol,
        _ => status switch
        {
            HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => RemoteErrorKind.Authentication,
            HttpStatusCode.NotFound => RemoteErrorKind.NotFound,
            HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed => RemoteErrorKind.Conflict,
            HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests => RemoteErrorKind.Transient,
            >= HttpStatusCode.InternalServerError => RemoteErrorKind.Transient,
            _ => RemoteErrorKind.Protocol,
        },
    };

    /// <summary>Whether a HeadObject failure just says nothing is there.</summary>
    public static bool IsMissingObject(AmazonS3Exception ex) =>
        ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is not "NoSuchBucket";
}
