using System.Net.Security;
using System.Security.Authentication;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// TLS for control and data connections (RFC 4217). The client is always the TLS client, on data connections too.
/// </summary>
/// <remarks>
/// Servers such as vsftpd (<c>require_ssl_reuse=YES</c>, its default) accept a data connection only when its TLS
/// session resumes the control connection's. .NET's <see cref="SslStream"/> resumes sessions by itself on every
/// platform (<see cref="SslClientAuthenticationOptions.AllowTlsResume"/>): on Linux it keeps one session per
/// <see cref="SslClientAuthenticationOptions.TargetHost"/> in a process-wide OpenSSL cache and offers it on the next
/// handshake with the same target host and protocol set. So data connections use exactly the control connection's
/// target host and protocols. Two limits follow: the target host must be a name, not an IP address literal (.NET
/// does not cache sessions for addresses; the <c>tls_server_name</c> setting names the server when the URI has an
/// address), and the session a data connection offers is the newest one stored for that exact spelling of the name,
/// so each control connection gets its own spelling (<see cref="FtpTlsSessionNames"/>).
/// <para>
/// TLS 1.2 is the default (setting <c>tls_protocols</c>): a TLS 1.3 session ticket is good for one resumption only,
/// and .NET keeps one session per host name, so the first data connection uses it up and the second makes a full
/// handshake, which vsftpd refuses with <c>522 SSL connection failed: session reuse required</c> (seen with vsftpd
/// 3.0.3 and OpenSSL 3 on Debian 12). A TLS 1.2 session can be resumed any number of times.
/// <c>tls_protocols=tls13</c> suits servers that do not require reuse.
/// </para>
/// </remarks>
internal static class FtpTls
{
    /// <summary>Performs the client handshake over <paramref name="inner"/>; the returned stream owns it.</summary>
    /// <exception cref="RemoteFsException">The certificate was refused (<see cref="RemoteErrorKind.HostVerification"/>) or the handshake failed.</exception>
    public static async Task<SslStream> AuthenticateAsync(Stream inner, FtpSettings settings, string targetHost, FtpCertificatePolicy policy, string operation, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = settings.TlsProtocols,
            RemoteCertificateValidationCallback = policy.Validate,
            AllowTlsResume = true,
        };
        using var deadline = new FtpDeadline(settings.OperationTimeout, settings.Time, cancellationToken);
        try
        {
            await ssl.AuthenticateAsClientAsync(options, deadline.Token).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            if (policy.Refusal is not null)
                throw policy.RefusalError(settings.Endpoint, ex);
            if (deadline.Expired)
                throw new RemoteFsException(RemoteErrorKind.Timeout, $"{operation}: the TLS handshake did not finish within {settings.OperationTimeout}", endpoint: settings.Endpoint, innerException: ex);
            cancellationToken.ThrowIfCancellationRequested();
            throw FtpErrors.FromNetwork(ex, operation, null, settings.Endpoint);
        }
    }
}
