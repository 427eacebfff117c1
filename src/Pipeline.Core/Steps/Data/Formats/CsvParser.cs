using System.Buffers;
using System.Text;
using Pipeline.Core.Steps.Data.Common;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>What <see cref="CsvParser.TryReadRecord"/> found.</summary>
internal enum CsvStatus
{
    /// <summary>A record: its fields are in <see cref="CsvParser.Field"/>.</summary>
    Record,
    /// <summary>The buffer ends inside a record: call <see cref="CsvParser.FillAsync"/>.</summary>
    NeedMore,
    /// <summary>No more records.</summary>
    End,
    /// <summary>A malformed record, already passed over; <see cref="CsvParser.Error"/> says what and where.</summary>
    Error,
}

/// <summary>A malformed record: the line and character where the problem is, and the field it is in.</summary>
internal readonly record struct CsvError(long Line, int Character, int Field, string Message, string Record);

/// <summary>
/// An RFC 4180 parser over pooled buffers. Bytes are decoded in chunks into a char buffer; a record is found with
/// vectorised searches for the delimiter, quote and line ends, and its fields are kept as offsets into the buffer, so
/// nothing is allocated per field except the values the caller makes. Memory is bounded by the longest record
/// (<c>maxRecordChars</c>). Quoted fields may hold delimiters, quotes (doubled, or after a distinct escape
/// character) and line breaks; blank lines are passed over; a line ends at LF, CRLF or CR.
/// </summary>
internal sealed class CsvParser : IDisposable
{
    private const int Quoted = 1, Escaped = 2;

    private readonly Stream _stream;
    private readonly TextEncodings.CountingFallback _fallback = new();
    private readonly string _encodingName;
    private readonly char _delimiter;
    private readonly char _quote;
    private readonly char _escape;
    private readonly bool _quoting;
    private readonly SearchValues<char> _fieldEnd;
    private readonly int _maxRecordChars;
    private Decoder _decoder;
    private byte[] _bytes;
    private int _byteStart, _byteEnd;
    private bool _streamEnded, _bomChecked, _eof;
    private char[] _chars;
    private int _start, _end;
    private long _line = 1;
    private int _suspectFrom = int.MaxValue, _suspectTo;
    private int[] _starts = new int[32], _ends = new int[32];
    private byte[] _flags = new byte[32];
    private char[] _scratch = new char[256];

    /// <summary>Parses <paramref name="stream"/> (not disposed by the parser).</summary>
    /// <param name="stream">The bytes.</param>
    /// <param name="encodingName">The encoding name (see <see cref="TextEncodings.Names"/>); a byte order mark overrides it.</param>
    /// <param name="delimiter">The field delimiter.</param>
    /// <param name="quote">The quote character, or '\0' for none.</param>
    /// <param name="escape">The character that escapes a quote inside a quoted field; the quote itself means doubling.</param>
    /// <param name="maxRecordChars">The longest record accepted.</param>
    public CsvParser(Stream stream, string encodingName, char delimiter, char quote, char escape, int maxRecordChars = 16 << 20)
    {
        _stream = stream;
        _encodingName = encodingName;
        _delimiter = delimiter;
        _quote = quote;
        _quoting = quote != '\0';
        _escape = _quoting ? escape : '\0';
        _fieldEnd = SearchValues.Create([delimiter, '\r', '\n']);
        _maxRecordChars = maxRecordChars;
        _decoder = TextEncodings.ForReading(encodingName, _fallback).GetDecoder();
        _bytes = ArrayPool<byte>.Shared.Rent(1 << 16);
        _chars = ArrayPool<char>.Shared.Rent(1 << 17);
    }

    /// <summary>The number of fields of the record read last.</summary>
    public int FieldCount { get; private set; }

    /// <summary>The line the record read last starts on, from 1.</summary>
    public long RecordLine { get; private set; }

    /// <summary>Bytes read from the stream so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>The last malformed record.</summary>
    public CsvError Error { get; private set; }

    private int _recordStart, _recordEnd;

    /// <summary>Whether field <paramref name="index"/> of the last record was quoted.</summary>
    public bool IsQuoted(int index) => (_flags[index] & Quoted) != 0;

    /// <summary>The text of field <paramref name="index"/> of the last record, unescaped. Valid until the next call.</summary>
    public ReadOnlySpan<char> Field(int index)
    {
        var span = _chars.AsSpan(_starts[index], _ends[index] - _starts[index]);
        return (_flags[index] & Escaped) == 0 ? span : Unescape(span);
    }

    /// <summary>The last record as it was in the file (for reject files).</summary>
    public string RecordText() => new(_chars, _recordStart, _recordEnd - _recordStart);

    /// <summary>Reads the next record from the buffer; <see cref="CsvStatus.NeedMore"/> asks for <see cref="FillAsync"/>.</summary>
    public CsvStatus TryReadRecord()
    {
    Restart:
        var buffer = _chars;
        var end = _end;
        var p = _start;
        var fields = 0;
        long newlines = 0;
        while (true)
        {
            if (fields == _starts.Length) GrowFields();
            if (p == end)
            {
                if (!_eof) return CsvStatus.NeedMore;
                if (p == _start) return CsvStatus.End;
                _starts[fields] = _ends[fields] = p;
                _flags[fields++] = 0;
                return Complete(fields, p, p, newlines);
            }
            if (buffer[p] == _quote && _quoting)
            {
                var q = p + 1;
                byte flag = Quoted;
                while (true)
                {
                    var rest = buffer.AsSpan(q, end - q);
                    var found = _escape == _quote ? rest.IndexOf(_quote) : rest.IndexOfAny(_quote, _escape);
                    if (found < 0)
                    {
                        if (!_eof) return CsvStatus.NeedMore;
                        return Fail(p, fields, "the quoted field is never closed (an unbalanced quote)", end);
                    }
                    q += found;
                    if (buffer[q] != _quote)
                    {
                        if (q + 1 >= end)
                        {
                            if (!_eof) return CsvStatus.NeedMore;
                            return Fail(p, fields, "the quoted field is never closed (an unbalanced quote)", end);
                        }
                        q += 2;
                        flag |= Escaped;
                        continue;
                    }
                    if (q + 1 >= end)
                    {
                        if (!_eof) return CsvStatus.NeedMore;
                        break;
                    }
                    if (_escape == _quote && buffer[q + 1] == _quote)
                    {
                        q += 2;
                        flag |= Escaped;
                        continue;
                    }
                    break;
                }
                _starts[fields] = p + 1;
                _ends[fields] = q;
                _flags[fields++] = flag;
                newlines += buffer.AsSpan(p + 1, q - p - 1).Count('\n');
                p = q + 1;
                if (p < end && buffer[p] != _delimiter && buffer[p] != '\r' && buffer[p] != '\n')
                    return Fail(p, fields - 1, $"'{buffer[p]}' follows the closing quote of a field (expected '{Show(_delimiter)}' or the end of the line)", LineEnd(p));
            }
            else
            {
                // Most fields are short: a plain loop beats a vectorised search's setup until a field gets long.
                var found = -1;
                var limit = Math.Min(end, p + 32);
                for (var i = p; i < limit; i++)
                {
                    var ch = buffer[i];
                    if (ch == _delimiter || ch == '\n' || ch == '\r')
                    {
                        found = i - p;
                        break;
                    }
                }
                if (found < 0 && limit < end)
                {
                    found = buffer.AsSpan(limit, end - limit).IndexOfAny(_fieldEnd);
                    if (found >= 0) found += limit - p;
                }
                if (found < 0)
                {
                    if (!_eof) return CsvStatus.NeedMore;
                    found = end - p;
                }
                _starts[fields] = p;
                _ends[fields] = p + found;
                _flags[fields++] = 0;
                p += found;
            }
            if (p == end)
            {
                if (!_eof) return CsvStatus.NeedMore;
                return Complete(fields, p, p, newlines);
            }
            var c = buffer[p];
            if (c == _delimiter)
            {
                p++;
                continue;
            }
            int next;
            if (c == '\r')
            {
                if (p + 1 == end && !_eof) return CsvStatus.NeedMore;
                next = p + 1 < end && buffer[p + 1] == '\n' ? p + 2 : p + 1;
            }
            else
            {
                next = p + 1;
            }
            if (fields == 1 && _ends[0] == _starts[0] && _flags[0] == 0)
            {
                _start = next; // a blank line
                _line++;
                goto Restart;
            }
            return Complete(fields, p, next, newlines + 1);
        }
    }

    private CsvStatus Complete(int fields, int contentEnd, int next, long newlines)
    {
        FieldCount = fields;
        RecordLine = _line;
        _recordStart = _start;
        _recordEnd = contentEnd;
        var status = CsvStatus.Record;
        if (_recordStart < _suspectTo && next > _suspectFrom)
        {
            var bad = _chars.AsSpan(_recordStart, contentEnd - _recordStart).IndexOf('\uFFFD');
            if (bad >= 0)
            {
                var at = _recordStart + bad;
                var field = 0;
                while (field < fields - 1 && _ends[field] < at) field++;
                Error = MakeError(at, field, $"bytes that are not valid {_encodingName}");
                status = CsvStatus.Error;
            }
        }
        _start = next;
        _line += newlines;
        return status;
    }

    /// <summary>Records an error at <paramref name="at"/> and resumes after <paramref name="resume"/> (the line's end).</summary>
    private CsvStatus Fail(int at, int field, string message, int resume)
    {
        _recordStart = _start;
        _recordEnd = Math.Min(resume, _end);
        Error = MakeError(at, field, message);
        var next = resume;
        if (next < _end && _chars[next] == '\r') next++;
        if (next < _end && _chars[next] == '\n') next++;
        _line += _chars.AsSpan(_start, next - _start).Count('\n');
        _start = next;
        return CsvStatus.Error;
    }

    private CsvError MakeError(int at, int field, string message)
    {
        var before = _chars.AsSpan(_recordStart, at - _recordStart);
        var lineBreak = before.LastIndexOf('\n');
        var line = RecordLine = _line + before.Count('\n');
        var character = (lineBreak < 0 ? at - _recordStart : at - (_recordStart + lineBreak + 1)) + 1;
        return new CsvError(line, character, field, message, RecordText());
    }

    private int LineEnd(int from)
    {
        var found = _chars.AsSpan(from, _end - from).IndexOfAny('\r', '\n');
        return found < 0 ? _end : from + found;
    }

    private static string Show(char c) => c == '\t' ? "\\t" : c.ToString();

    /// <summary>Reads and decodes more of the stream; false when everything was read.</summary>
    /// <exception cref="InvalidDataException">One record is longer than the limit.</exception>
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_eof) return false;
        if (_start > 0)
        {
            var length = _end - _start;
            Array.Copy(_chars, _start, _chars, 0, length);
            if (_suspectFrom != int.MaxValue)
            {
                _suspectFrom = Math.Max(0, _suspectFrom - _start);
                _suspectTo = Math.Max(0, _suspectTo - _start);
                if (_suspectTo == 0) _suspectFrom = int.MaxValue;
            }
            _recordStart = _recordEnd = 0;
            _end = length;
            _start = 0;
        }
        if (_chars.Length - _end < 4096)
        {
            if (_chars.Length >= _maxRecordChars)
                throw new InvalidDataException($"line {_line}: a record is longer than {_maxRecordChars} characters (an unbalanced quote?)");
            var larger = ArrayPool<char>.Shared.Rent(Math.Min(_chars.Length * 2, _maxRecordChars));
            Array.Copy(_chars, larger, _end);
            ArrayPool<char>.Shared.Return(_chars);
            _chars = larger;
        }

        while (true)
        {
            if (_bomChecked && (_byteStart < _byteEnd || _streamEnded))
            {
                var before = _fallback.Count;
                _decoder.Convert(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), _chars.AsSpan(_end), _streamEnded, out var used, out var produced, out var completed);
                _byteStart += used;
                if (_fallback.Count != before)
                {
                    _suspectFrom = Math.Min(_suspectFrom, _end);
                    _suspectTo = _end + produced;
                }
                _end += produced;
                if (_streamEnded && completed && _byteStart == _byteEnd)
                {
                    _eof = true;
                    return true;
                }
                if (produced > 0) return true;
            }
            if (_byteStart == _byteEnd)
            {
                _byteStart = _byteEnd = 0;
            }
            else if (_byteStart > 0)
            {
                Array.Copy(_bytes, _byteStart, _bytes, 0, _byteEnd - _byteStart);
                _byteEnd -= _byteStart;
                _byteStart = 0;
            }
            var read = await _stream.ReadAsync(_bytes.AsMemory(_byteEnd), cancellationToken).ConfigureAwait(false);
            BytesRead += read;
            if (read == 0) _streamEnded = true;
            _byteEnd += read;
            if (!_bomChecked && (_byteEnd >= 3 || _streamEnded))
            {
                _bomChecked = true;
                var (name, length) = TextEncodings.DetectBom(_bytes.AsSpan(0, _byteEnd));
                if (name is not null && !(_encodingName == "latin1" || _encodingName == "iso-8859-1"))
                {
                    _decoder = TextEncodings.ForReading(name, _fallback).GetDecoder();
                    _byteStart = length;
                }
            }
        }
    }

    private ReadOnlySpan<char> Unescape(ReadOnlySpan<char> span)
    {
        if (_scratch.Length < span.Length) _scratch = new char[Math.Max(span.Length, _scratch.Length * 2)];
        var n = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if ((c == _escape || c == _quote) && i + 1 < span.Length) c = span[++i];
            _scratch[n++] = c;
        }
        return _scratch.AsSpan(0, n);
    }

    private void GrowFields()
    {
        Array.Resize(ref _starts, _starts.Length * 2);
        Array.Resize(ref _ends, _ends.Length * 2);
        Array.Resize(ref _flags, _flags.Length * 2);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_bytes);
        ArrayPool<char>.Shared.Return(_chars);
        _bytes = [];
        _chars = [];
    }
}
