using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// Decides whether a server certificate is trusted: a pinned SHA-256 thumbprint when one is given (and then only
/// it), otherwise a chain that the system store validates for the server's name. Remembers why it refused, so the
/// error can print the thumbprint to pin.
/// </summary>
internal sealed class FtpCertificatePolicy
{
    private readonly string? _pinned;
    private readonly string? _required;

    /// <param name="pinnedThumbprint">Normalized pinned thumbprint, or null for system validation.</param>
    /// <param name="requiredThumbprint">When set (data connections), the certificate must be exactly this one.</param>
    public FtpCertificatePolicy(string? pinnedThumbprint, string? requiredThumbprint = null)
    {
        _pinned = pinnedThumbprint;
        _required = requiredThumbprint;
    }

    /// <summary>The thumbprint of the certificate last accepted.</summary>
    public string? AcceptedThumbprint { get; private set; }

    /// <summary>Why the last certificate was refused, or null.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The thumbprint of the certificate last refused, or null.</summary>
    public string? RefusedThumbprint { get; private set; }

    /// <summary>The callback for <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
            return Refuse(null, "the server presented no certificate");
        var thumbprint = Thumbprint(certificate);
        if (_required is not null && thumbprint != _required)
            return Refuse(thumbprint, "the data connection presented a different certificate than the control connection");
        if (_pinned is not null)
        {
            if (thumbprint != _pinned)
                return Refuse(thumbprint, "its SHA-256 thumbprint is not the pinned one");
        }
        else if (errors != SslPolicyErrors.None)
        {
            var reasons = new List<string>();
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) reasons.Add("no certificate");
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) reasons.Add("its name does not match the host");
            if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
            {
                var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToArray() ?? [];
                reasons.Add(status.Length > 0 ? $"its chain is not trusted ({string.Join(", ", status)})" : "its chain is not trusted");
            }
            return Refuse(thumbprint, string.Join("; ", reasons));
        }
        AcceptedThumbprint = thumbprint;
        Refusal = null;
        return true;
    }

    private bool Refuse(string? thumbprint, string reason)
    {
        RefusedThumbprint = thumbprint;
        Refusal = reason;
        return false;
    }

    /// <summary>The error to report after a handshake this policy refused.</summary>
    public RemoteFsException RefusalError(RemoteEndpoint endpoint, Exception inner) =>
        new(RemoteErrorKind.HostVerification,
            $"The server's TLS certificate was refused: {Refusal}." +
            (RefusedThumbprint is null ? "" : $" To trust this certificate, pin its SHA-256 thumbprint {Format(RefusedThumbprint)}"),
            endpoint: endpoint, innerException: inner);

    /// <summary>The SHA-256 thumbprint of a certificate, upper-case hex.</summary>
    public static string Thumbprint(X509Certificate certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));

    /// <summary>A thumbprint as users write it: hex pairs separated by colons.</summary>
    public static string Format(string thumbprint) =>
        string.Join(':', Enumerable.Range(0, thumbprint.Length / 2).Select(i => thumbprint.Substring(i * 2, 2)));

    /// <summary>
    /// Accepts a SHA-256 thumbprint as hex (with or without colons or spaces) or as <c>SHA256:base64</c>; returns
    /// upper-case hex, or null for null.
    /// </summary>
    /// <exception cref="ArgumentException">The text is not a SHA-256 thumbprint.</exception>
    public static string? NormalizeThumbprint(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var value = text.Trim();
        if (value.StartsWith("SHA256:", StringComparison.OrdinalIgnoreCase))
        {
            var body = value[7..];
            var hex = body.Replace(":", "").Replace(" ", "");
            if (hex.Length == 64 && hex.All(char.IsAsciiHexDigit)) return hex.ToUpperInvariant();
            try
            {
                var bytes = Convert.FromBase64String(body.PadRight(body.Length + (4 - body.Length % 4) % 4, '='));
                if (bytes.Length == 32) return Convert.ToHexString(bytes);
            }
            catch (FormatException)
            {
            }
            throw new ArgumentException($"The pinned fingerprint '{text}' is not a SHA-256 thumbprint.", nameof(text));
        }
        var digits = value.Replace(":", "").Replace(" ", "").Replace("-", "");
        if (digits.Length != 64 || !digits.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"The pinned fingerprint '{text}' is not a SHA-256 thumbprint (64 hex digits, colons allowed).", nameof(text));
        return digits.ToUpperInvariant();
    }
}
