namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// Gives each live TLS control connection its own spelling of the server name, so that its data connections resume
/// its own TLS session.
/// </summary>
/// <remarks>
/// .NET's OpenSSL session cache holds one session per target host name, compared case-sensitively, while host names
/// themselves are case-insensitive (DNS, SNI, certificate matching). With one shared spelling, a second control
/// connection to the same name (a pooled one, or another server on another port) replaces the session that the first
/// one's data connections must resume; servers that demand the control connection's own session (vsftpd with
/// <c>require_ssl_reuse=YES</c> across servers, FileZilla Server) then refuse them. Case variants keep the sessions
/// apart. A name without enough letters to go round falls back to the shared spelling.
/// </remarks>
internal static class FtpTlsSessionNames
{
    private const int MaxLettersVaried = 16;
    private static readonly Dictionary<string, HashSet<string>> InUse = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Takes a spelling of <paramref name="name"/> that no live connection uses; release it with <see cref="Release"/>.</summary>
    public static string Acquire(string name)
    {
        var letters = new List<int>();
        for (var i = 0; i < name.Length && letters.Count < MaxLettersVaried; i++)
            if (char.IsAsciiLetter(name[i])) letters.Add(i);
        var lower = name.ToLowerInvariant().ToCharArray();
        lock (InUse)
        {
            if (!InUse.TryGetValue(name, out var used)) InUse[name] = used = new HashSet<string>(StringComparer.Ordinal);
            for (var mask = 0; mask < 1 << letters.Count; mask++)
            {
                var spelling = (char[])lower.Clone();
                for (var bit = 0; bit < letters.Count; bit++)
                    if ((mask & (1 << bit)) != 0) spelling[letters[bit]] = char.ToUpperInvariant(spelling[letters[bit]]);
                var candidate = new string(spelling);
                if (used.Add(candidate)) return candidate;
            }
        }
        return name;
    }

    /// <summary>Gives a spelling back.</summary>
    public static void Release(string spelling)
    {
        lock (InUse)
        {
            if (InUse.TryGetValue(spelling, out var used))
            {
                used.Remove(spelling);
                if (used.Count == 0) InUse.Remove(spelling);
            }
        }
    }
}
