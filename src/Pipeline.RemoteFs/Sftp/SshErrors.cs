using System.Text.RegularExpressions;

namespace Pipeline.RemoteFs.Sftp;

/// <summary>Turns what ssh printed on standard error when it ended into a typed error with a clear message.</summary>
internal static partial class SshErrors
{
    public static SftpChannelException Classify(string stderr, int? exitCode)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith("debug", StringComparison.Ordinal) && !line.StartsWith("Warning: Permanently added", StringComparison.Ordinal))
            .ToList();
        var said = lines.Count == 0 ? $"ssh exited with code {exitCode?.ToString() ?? "?"} and printed nothing" : string.Join(" ", lines.TakeLast(6));
        bool Has(string text) => stderr.Contains(text, StringComparison.OrdinalIgnoreCase);

        if (Has("REMOTE HOST IDENTIFICATION HAS CHANGED") || Has("Host key verification failed") || Has("host key is known for")
            || Has("Host key for") && Has("has changed"))
            return new SftpChannelException(RemoteErrorKind.HostVerification, said, detail: stderr);
        if (Has("Permission denied (") || Has("Too many authentication failures") || Has("incorrect passphrase")
            || Has("Authentication failed") || Has("no more authentication methods"))
            return new SftpChannelException(RemoteErrorKind.Authentication, said, detail: stderr);
        if (Has("subsystem request failed"))
            return new SftpChannelException(RemoteErrorKind.NotSupported, "The server does not offer the sftp subsystem: " + said);
        if (Has("Bad configuration option") || Has("command-line line") || Has("Unsupported option") || Has("usage: ssh"))
            return new SftpChannelException(RemoteErrorKind.NotSupported, "ssh refused its options: " + said);
        if (Has("Connection timed out") || Has("Operation timed out") || Has("timed out during banner exchange") || Has("Timeout, server"))
            return new SftpChannelException(RemoteErrorKind.Timeout, said);
        return new SftpChannelException(RemoteErrorKind.Transient, said);
    }

    /// <summary>The first SHA256 fingerprint of a server host key that ssh printed, as <c>(type, fingerprint)</c>.</summary>
    public static (string? Type, string? Fingerprint) FindHostKey(string stderr)
    {
        var probe = ServerHostKey().Match(stderr);
        if (probe.Success) return (probe.Groups[1].Value, probe.Groups[2].Value);
        var changed = ChangedHostKey().Match(stderr);
        if (changed.Success) return (changed.Groups[1].Value, changed.Groups[2].Value);
        var any = Fingerprint().Match(stderr);
        return any.Success ? (null, any.Value) : (null, null);
    }

    [GeneratedRegex(@"Server host key: (\S+) (SHA256:[A-Za-z0-9+/]{43})")]
    private static partial Regex ServerHostKey();

    [GeneratedRegex(@"fingerprint for the (\S+) key sent by the remote host is\s+(SHA256:[A-Za-z0-9+/]{43})")]
    private static partial Regex ChangedHostKey();

    [GeneratedRegex("SHA256:[A-Za-z0-9+/]{43}")]
    private static partial Regex Fingerprint();
}
