using System.Text;

namespace Pipeline.RemoteFs.Ftp;

/// <summary>
/// Reads replies from a control connection: single-line (<c>226 Done</c>) and multi-line
/// (<c>211-Features:</c> … <c>211 End</c>, RFC 959 §4.2). A line that is not a reply is refused with a
/// <see cref="RemoteErrorKind.Protocol"/> error that quotes it.
/// </summary>
internal sealed class FtpReplyReader
{
    /// <summary>Longest line accepted; a longer one is a broken or hostile server.</summary>
    public const int MaxLineBytes = 64 * 1024;

    /// <summary>Most lines accepted in one reply.</summary>
    public const int MaxLines = 10_000;

    private readonly Stream _stream;
    private readonly Encoding _encoding;
    private byte[] _buffer = new byte[8192];
    private int _start;
    private int _end;

    public FtpReplyReader(Stream stream, Encoding encoding)
    {
        _stream = stream;
        _encoding = encoding;
    }

    /// <summary>Whether bytes arrived that no reply has consumed yet.</summary>
    public bool HasBufferedData => _end > _start;

    /// <summary>Reads one complete reply.</summary>
    /// <exception cref="RemoteFsException">The connection closed (<see cref="RemoteErrorKind.Transient"/>) or the reply is malformed (<see cref="RemoteErrorKind.Protocol"/>).</exception>
    public async Task<FtpReply> ReadAsync(CancellationToken cancellationToken)
    {
        var first = await ReadLineAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new RemoteFsException(RemoteErrorKind.Transient, "The server closed the control connection");
        if (!TryParseCode(first, out var code, out var separator))
            throw Malformed(first);
        var lines = new List<string> { first };
        if (separator != '-')
            return new FtpReply(code, lines);
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new RemoteFsException(RemoteErrorKind.Transient, $"The server closed the control connection in the middle of the reply '{Quote(first)}'");
            lines.Add(line);
            if (IsLastLine(line, code))
                return new FtpReply(code, lines);
            if (lines.Count >= MaxLines)
                throw new RemoteFsException(RemoteErrorKind.Protocol, $"The server's reply '{Quote(first)}' did not end after {MaxLines} lines");
        }
    }

    /// <summary>Whether <paramref name="line"/> starts with a reply code: three digits, the first 1-5, then a space, a hyphen or nothing.</summary>
    public static bool TryParseCode(string line, out int code, out char separator)
    {
        code = 0;
        separator = ' ';
        if (line.Length < 3 || line[0] is < '1' or > '5' || !char.IsAsciiDigit(line[1]) || !char.IsAsciiDigit(line[2]))
            return false;
        if (line.Length > 3)
        {
            separator = line[3];
            if (separator is not (' ' or '-')) return false;
        }
        code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        return true;
    }

    // The last line of a multi-line reply repeats the code followed by a space (or nothing at all, as some servers do).
    private static bool IsLastLine(string line, int code) =>
        TryParseCode(line, out var lineCode, out var separator) && lineCode == code && separator == ' ';

    private static RemoteFsException Malformed(string line) =>
        new(RemoteErrorKind.Protocol, $"The server sent a malformed reply '{Quote(line)}' (expected a three-digit code)");

    /// <summary>A line as it can appear in a message: shortened, control characters made visible.</summary>
    public static string Quote(string line)
    {
        var text = line.Length > 200 ? line[..200] + "…" : line;
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
            sb.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        return sb.ToString();
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanFrom = _start;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', scanFrom, _end - scanFrom);
            if (newline >= 0)
            {
                var length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == '\r') length--;
                var line = _encoding.GetString(_buffer, _start, length);
                _start = newline + 1;
                return line;
            }
            if (_end - _start >= MaxLineBytes)
                throw new RemoteFsException(RemoteErrorKind.Protocol, $"The server sent a reply line longer than {MaxLineBytes} bytes");
            scanFrom = _end;
            if (_end == _buffer.Length)
            {
                // Make room: move the partial line to the front, and grow the buffer when the line fills most of it.
                var pending = _end - _start;
                var target = pending * 2 > _buffer.Length ? new byte[Math.Min(_buffer.Length * 2, MaxLineBytes + 2)] : _buffer;
                Buffer.BlockCopy(_buffer, _start, target, 0, pending);
                _buffer = target;
                _start = 0;
                _end = pending;
                scanFrom = _end;
            }
            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end == _start) return null;
                throw new RemoteFsException(RemoteErrorKind.Transient,
                    $"The server closed the control connection in the middle of the line '{Quote(_encoding.GetString(_buffer, _start, _end - _start))}'");
            }
            _end += read;
        }
    }
}
