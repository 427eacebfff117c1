using System.Net.Sockets;
using System.Security.Authentication;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>Turns FTP replies and network failures into typed <see cref="RemoteFsException"/>s.</summary>
internal static class FtpErrors
{
    /// <summary>
    /// The error for a negative reply. 550 is told apart by its text (not found / permission); a 550 whose text says
    /// neither is reported as <see cref="RemoteErrorKind.NotFound"/> and <see cref="IsAmbiguous"/> lets callers probe.
    /// </summary>
    public static RemoteFsException FromReply(FtpReply reply, string operation, string? path, RemoteEndpoint? endpoint) =>
        new(KindOf(reply), $"{operation} failed: the server replied '{FtpReplyReader.Quote(reply.ToString())}'" + Hint(reply), path, endpoint);

    private static string Hint(FtpReply reply) => reply.Code == 522 || Contains(reply, "session reuse")
        ? " (the server requires each data connection to resume the control connection's TLS session; .NET resumes sessions only for a host name, not an IP address: connect by name or set tls_server_name, and keep tls_protocols=tls12)"
        : "";

    /// <summary>The kind of failure a reply code (and, for 550, its text) stands for.</summary>
    public static RemoteErrorKind KindOf(FtpReply reply) => reply.Code switch
    {
        421 or 425 or 426 or 450 or 451 => RemoteErrorKind.Transient,
        452 or 552 or 551 => RemoteErrorKind.Io,
        430 or 530 or 532 => RemoteErrorKind.Authentication,
        550 when SaysPermission(reply) => RemoteErrorKind.PermissionDenied,
        550 => RemoteErrorKind.NotFound,
        553 => RemoteErrorKind.PermissionDenied,
        502 or 504 or 202 => RemoteErrorKind.NotSupported,
        522 or 534 or 500 or 501 or 503 => RemoteErrorKind.Protocol,
        >= 400 and < 500 => RemoteErrorKind.Transient,
        _ => RemoteErrorKind.Io,
    };

    /// <summary>Whether a 550 reply's text says neither "not found" nor "permission", so only a probe can tell.</summary>
    public static bool IsAmbiguous(FtpReply reply) => reply.Code == 550 && !SaysPermission(reply) && !SaysNotFound(reply);

    private static bool SaysPermission(FtpReply reply) =>
        Contains(reply, "permission") || Contains(reply, "access is denied") || Contains(reply, "access denied") ||
        Contains(reply, "not allowed") || Contains(reply, "forbidden") || Contains(reply, "read-only") || Contains(reply, "prohibited");

    private static bool SaysNotFound(FtpReply reply) =>
        Contains(reply, "no such") || Contains(reply, "not found") || Contains(reply, "does not exist") ||
        Contains(reply, "doesn't exist") || Contains(reply, "cannot find") || Contains(reply, "can't find") ||
        Contains(reply, "could not find") || Contains(reply, "not exist");

    private static bool Contains(FtpReply reply, string text) =>
        reply.Lines.Any(l => l.Contains(text, StringComparison.OrdinalIgnoreCase));

    /// <summary>The error for a failure of the network or the TLS layer while doing <paramref name="operation"/>.</summary>
    public static RemoteFsException FromNetwork(Exception ex, string operation, string? path, RemoteEndpoint? endpoint) => ex switch
    {
        RemoteFsException remote => remote,
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData } =>
            new RemoteFsException(RemoteErrorKind.NotFound, $"{operation} failed: the host name could not be resolved", path, endpoint, ex),
        AuthenticationException =>
            new RemoteFsException(RemoteErrorKind.Protocol, $"{operation} failed: the TLS handshake failed ({ex.Message})", path, endpoint, ex),
        _ => new RemoteFsException(RemoteErrorKind.Transient, $"{operation} failed: the connection to the server was lost ({ex.Message})", path, endpoint, ex),
    };
}
