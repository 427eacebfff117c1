using System.Globalization;
using System.Text.RegularExpressions;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>What a listing line describes.</summary>
internal enum FtpEntryKind
{
    File,
    Directory,
    SymbolicLink,
    /// <summary>The listed directory itself (MLSD <c>cdir</c>, LIST <c>.</c>).</summary>
    Current,
    /// <summary>Its parent (MLSD <c>pdir</c>, LIST <c>..</c>).</summary>
    Parent,
    /// <summary>Something else: a device, a socket, an OS-specific type.</summary>
    Other,
}

/// <summary>One parsed listing line.</summary>
internal sealed record FtpListEntry(string Name, FtpEntryKind Kind, long Size, DateTimeOffset? Modified)
{
    public int? UnixMode { get; init; }
    public string? LinkTarget { get; init; }
}

/// <summary>
/// Parses directory listings: MLSD/MLST facts (RFC 3659 §7), and as a fallback the LIST output of Unix-style
/// servers (vsftpd, ProFTPD, Pure-FTPd, FileZilla Server) and of Windows/IIS (DOS style).
/// </summary>
internal static partial class FtpListParser
{
    /// <summary>Parses an MLSD line or the fact line of an MLST reply: <c>type=file;size=12;modify=20240102030405; name</c>.</summary>
    /// <returns>The entry, or null when the line holds no name.</returns>
    public static FtpListEntry? ParseMlsx(string line)
    {
        var space = line.IndexOf(' ');
        if (space < 0 || space == line.Length - 1) return null;
        var name = line[(space + 1)..];
        var kind = FtpEntryKind.File;
        long size = 0;
        DateTimeOffset? modified = null;
        int? mode = null;
        string? target = null;
        foreach (var fact in line[..space].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = fact.IndexOf('=');
            if (eq <= 0) continue;
            var key = fact[..eq].ToLowerInvariant();
            var value = fact[(eq + 1)..];
            switch (key)
            {
                case "type":
                    var type = value.ToLowerInvariant();
                    kind = type switch
                    {
                        "file" => FtpEntryKind.File,
                        "dir" => FtpEntryKind.Directory,
                        "cdir" => FtpEntryKind.Current,
                        "pdir" => FtpEntryKind.Parent,
                        "os.unix=symlink" or "os.unix=slink" => FtpEntryKind.SymbolicLink,
                        _ when type.StartsWith("os.unix=slink:", StringComparison.Ordinal) => FtpEntryKind.SymbolicLink,
                        _ => FtpEntryKind.Other,
                    };
                    if (kind == FtpEntryKind.SymbolicLink && value.IndexOf(':') is var colon and > 0) target = value[(colon + 1)..];
                    break;
                case "size":
                case "sizd":
                    if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)) size = parsed;
                    break;
                case "modify":
                    modified = ParseTimeVal(value);
                    break;
                case "unix.mode":
                    try
                    {
                        mode = Convert.ToInt32(value, 8) & 0xFFF;
                    }
                    catch (FormatException)
                    {
                    }
                    break;
            }
        }
        if (kind is FtpEntryKind.Directory or FtpEntryKind.Current or FtpEntryKind.Parent) size = 0;
        return new FtpListEntry(name, kind, size, modified) { UnixMode = mode, LinkTarget = target };
    }

    /// <summary>Parses an RFC 3659 time-val (<c>YYYYMMDDHHMMSS[.sss]</c>, UTC) as MLSD's modify fact and MDTM's reply carry it.</summary>
    public static DateTimeOffset? ParseTimeVal(string text)
    {
        text = text.Trim();
        if (text.Length < 14) return null;
        if (!DateTime.TryParseExact(text[..14], "yyyyMMddHHmmss", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
            return null;
        if (text.Length > 15 && text[14] == '.' &&
            double.TryParse("0" + text[14..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var fraction))
            time = time.AddTicks((long)(fraction * TimeSpan.TicksPerSecond));
        return new DateTimeOffset(time, TimeSpan.Zero);
    }

    private static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    [GeneratedRegex(@"^(\d{2})-(\d{2})-(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})\s*([AaPp][Mm])?\s+(<DIR>|\d+)\s+(.+)$")]
    private static partial Regex WindowsLine();

    [GeneratedRegex(@"^[-dlbcpsDLBCPS][-rwxsStTlL]{9}")]
    private static partial Regex UnixModeField();

    /// <summary>
    /// Parses one LIST line in Unix (<c>ls -l</c>) or Windows/IIS (<c>MM-DD-YY hh:mmAM &lt;DIR&gt; name</c>) style.
    /// Times without a year are placed in the twelve months up to <paramref name="now"/> (servers list them so).
    /// </summary>
    /// <returns>The entry, or null for lines that describe nothing (<c>total 12</c>, blank, unrecognised).</returns>
    public static FtpListEntry? ParseList(string line, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        var windows = WindowsLine().Match(line);
        if (windows.Success) return ParseWindows(windows);
        if (UnixModeField().IsMatch(line)) return ParseUnix(line, now);
        return null;
    }

    private static FtpListEntry? ParseWindows(Match m)
    {
        var month = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var year = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        if (m.Groups[3].Value.Length == 2) year += year < 70 ? 2000 : 1900;
        var hour = int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
        var minute = int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture);
        if (m.Groups[6].Success)
        {
            var pm = m.Groups[6].Value.Equals("PM", StringComparison.OrdinalIgnoreCase);
            if (hour == 12) hour = 0;
            if (pm) hour += 12;
        }
        DateTimeOffset? modified = month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month) && hour < 24 && minute < 60
            ? new DateTimeOffset(year, month, day, hour, minute, 0, TimeSpan.Zero)
            : null;
        var name = m.Groups[8].Value;
        if (m.Groups[7].Value == "<DIR>")
            return new FtpListEntry(name, name == "." ? FtpEntryKind.Current : name == ".." ? FtpEntryKind.Parent : FtpEntryKind.Directory, 0, modified);
        return new FtpListEntry(name, FtpEntryKind.File, long.Parse(m.Groups[7].Value, CultureInfo.InvariantCulture), modified);
    }

    private static FtpListEntry? ParseUnix(string line, DateTimeOffset now)
    {
        // Tokens with their positions: the name is the rest of the line after the date, spaces and all.
        var tokens = new List<(int Start, int End)>();
        for (var i = 0; i < line.Length;)
        {
            while (i < line.Length && line[i] == ' ') i++;
            if (i >= line.Length) break;
            var start = i;
            while (i < line.Length && line[i] != ' ') i++;
            tokens.Add((start, i));
        }
        string Token(int index) => line[tokens[index].Start..tokens[index].End];

        // Find the date: "Mon DD HH:MM" or "Mon DD YYYY" (ls -l), or "YYYY-MM-DD HH:MM" (ls --time-style=long-iso).
        for (var t = 2; t + 2 < tokens.Count; t++)
        {
            int nameFrom;
            DateTimeOffset? modified;
            var month = Array.IndexOf(Months, Token(t).ToLowerInvariant());
            if (month >= 0 && int.TryParse(Token(t + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var day) && day is >= 1 and <= 31)
            {
                var third = Token(t + 2);
                if (!TryUnixYearOrTime(third, month + 1, day, now, out modified)) continue;
                nameFrom = tokens[t + 2].End + 1;
            }
            else if (Token(t).Length == 10 && DateTime.TryParseExact(Token(t) + " " + Token(t + 1), "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture,
                         DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var iso))
            {
                modified = new DateTimeOffset(iso, TimeSpan.Zero);
                nameFrom = tokens[t + 1].End + 1;
            }
            else
            {
                continue;
            }
            if (nameFrom >= line.Length) return null;
            if (!long.TryParse(Token(t - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size)) size = 0;
            var name = line[nameFrom..];
            var kind = char.ToLowerInvariant(line[0]) switch
            {
                'd' => FtpEntryKind.Directory,
                'l' => FtpEntryKind.SymbolicLink,
                '-' => FtpEntryKind.File,
                _ => FtpEntryKind.Other,
            };
            string? target = null;
            if (kind == FtpEntryKind.SymbolicLink && name.IndexOf(" -> ", StringComparison.Ordinal) is var arrow and > 0)
            {
                target = name[(arrow + 4)..];
                name = name[..arrow];
            }
            if (kind == FtpEntryKind.Directory)
            {
                if (name == ".") kind = FtpEntryKind.Current;
                else if (name == "..") kind = FtpEntryKind.Parent;
                size = 0;
            }
            return new FtpListEntry(name, kind, size, modified) { UnixMode = UnixMode(line), LinkTarget = target };
        }
        return null;
    }

    private static bool TryUnixYearOrTime(string text, int month, int day, DateTimeOffset now, out DateTimeOffset? modified)
    {
        modified = null;
        if (text.Length == 4 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            if (day <= DateTime.DaysInMonth(year, month)) modified = new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero);
            return true;
        }
        var colon = text.IndexOf(':');
        if (colon is 1 or 2 && int.TryParse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var hour) &&
            int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var minute) && hour < 24 && minute < 60)
        {
            // ls shows the time instead of the year for dates within the last six months: take the latest such date
            // that is not in the future (one day of slack for clock skew and time zones).
            var candidateYear = now.Year;
            if (new DateTime(candidateYear, 1, 1).AddMonths(month - 1) > now.UtcDateTime.AddDays(1)) candidateYear--;
            if (day <= DateTime.DaysInMonth(candidateYear, month))
                modified = new DateTimeOffset(candidateYear, month, day, hour, minute, 0, TimeSpan.Zero);
            return true;
        }
        return false;
    }

    private static int? UnixMode(string line)
    {
        var mode = 0;
        for (var i = 0; i < 9; i++)
        {
            var c = line[1 + i];
            if (c != '-' && c != 'S' && c != 'T' && c != 'l' && c != 'L') mode |= 1 << (8 - i);
        }
        if (line[3] is 's' or 'S') mode |= 0x800;
        if (line[6] is 's' or 'S') mode |= 0x400;
        if (line[9] is 't' or 'T') mode |= 0x200;
        return mode;
    }
}
