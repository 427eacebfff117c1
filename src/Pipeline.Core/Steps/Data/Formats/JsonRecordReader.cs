using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>One JSON record: its flattened fields in document order, or what was wrong with it.</summary>
internal sealed class JsonRecord
{
    /// <summary>The fields: names (a.b.c when flattened) and values (long, decimal, double, bool, string, null; nested
    /// arrays, and objects when not flattened, as their JSON text).</summary>
    public List<KeyValuePair<string, object?>> Fields { get; } = [];

    /// <summary>The line (JSON Lines) or element number (array), from 1.</summary>
    public long Number { get; set; }

    /// <summary>"line" (JSON Lines) or "record" (the element of an array).</summary>
    public string Unit { get; set; } = "line";

    /// <summary>What was wrong, when the record is bad.</summary>
    public string? Error { get; set; }

    /// <summary>The record's text, for a bad record.</summary>
    public string? Text { get; set; }
}

/// <summary>
/// Reads JSON records with <see cref="Utf8JsonReader"/> over a pooled byte buffer that holds at most one record at a
/// time beyond what was already parsed (never the whole document): either the objects of one top-level array, or one
/// object per line (JSON Lines). A syntax error in JSON Lines spoils one line; in an array it ends the document, and is
/// reported with its line and byte position (System.Text.Json counts lines from 0; this counts from 1).
/// </summary>
internal sealed class JsonRecordReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _flatten;
    private readonly string _separator;
    private readonly int _maxRecordBytes;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
    private int _start, _end;
    private bool _streamEnded;
    private bool? _lines;
    private JsonReaderState _state;
    private bool _arrayStarted, _arrayEnded, _bomChecked;
    private int _sliceBase;
    private long _number;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="stream"/>; <paramref name="lines"/> null decides by the first character.</summary>
    public JsonRecordReader(Stream stream, bool? lines, bool flatten, string separator, int maxRecordBytes = 64 << 20)
    {
        _stream = stream;
        _lines = lines;
        _flatten = flatten;
        _separator = separator;
        _maxRecordBytes = maxRecordBytes;
        _state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
    }

    /// <summary>Whether the input is JSON Lines (known after the first record).</summary>
    public bool? IsLines => _lines;

    /// <summary>Bytes read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Reads the next record into <paramref name="record"/>; false at the end.</summary>
    /// <exception cref="InvalidDataException">The array is malformed or truncated (with line and position), or a record is too long.</exception>
    public async ValueTask<bool> ReadAsync(JsonRecord record, CancellationToken cancellationToken)
    {
        record.Fields.Clear();
        record.Error = null;
        record.Text = null;
        if (!_bomChecked)
        {
            while (_end - _start < 3 && !_streamEnded) await FillAsync(cancellationToken).ConfigureAwait(false);
            if (_buffer.AsSpan(_start, _end - _start).StartsWith(Encoding.UTF8.Preamble)) _start += 3;
            _bomChecked = true;
        }
        if (_lines is null)
        {
            while (true)
            {
                var first = _buffer.AsSpan(_start, _end - _start).TrimStart(" \t\r\n"u8);
                if (!first.IsEmpty)
                {
                    _lines = first[0] != (byte)'[';
                    break;
                }
                if (_streamEnded) return false;
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        return _lines.Value ? await ReadLineAsync(record, cancellationToken).ConfigureAwait(false) : await ReadElementAsync(record, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> ReadLineAsync(JsonRecord record, CancellationToken cancellationToken)
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            var newline = available.IndexOf((byte)'\n');
            if (newline < 0 && !_streamEnded)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (newline < 0 && available.IsEmpty) return false;
            var length = newline < 0 ? available.Length : newline;
            var line = available[..length];
            _sliceBase = _start;
            _start += newline < 0 ? length : length + 1;
            _number++;
            if (line.Trim(" \t\r"u8).IsEmpty) continue;
            record.Number = _number;
            record.Unit = "line";
            try
            {
                var reader = new Utf8JsonReader(line, isFinalBlock: true, new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip }));
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    Bad(record, line, $"the line holds {Describe(reader.TokenType)}, not an object");
                    return true;
                }
                if (!ReadObject(ref reader, "", record, line)) return true;
                if (reader.Read())
                    Bad(record, line, $"something follows the object at byte {reader.TokenStartIndex + 1}");
            }
            catch (JsonException ex)
            {
                Bad(record, line, $"byte {(ex.BytePositionInLine ?? 0) + 1}: {Reason(ex)}");
            }
            return true;
        }
    }

    private async ValueTask<bool> ReadElementAsync(JsonRecord record, CancellationToken cancellationToken)
    {
        while (true)
        {
            var status = TryReadElement(record);
            if (status == ElementStatus.Record) return true;
            if (status == ElementStatus.End) return false;
            if (_streamEnded) throw Truncated();
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private enum ElementStatus { Record, End, NeedMore }

    private ElementStatus TryReadElement(JsonRecord record)
    {
        var span = _buffer.AsSpan(_start, _end - _start);
        _sliceBase = _start;
        var reader = new Utf8JsonReader(span, _streamEnded, _state);
        try
        {
            if (!_arrayStarted)
            {
                if (!reader.Read()) return ElementStatus.NeedMore;
                if (reader.TokenType != JsonTokenType.StartArray)
                    throw new InvalidDataException($"line 1: the document is {Describe(reader.TokenType)}, not an array of objects");
                _arrayStarted = true;
                Advance(ref reader);
                return TryReadElement(record);
            }
            if (_arrayEnded)
            {
                if (reader.Read()) throw new InvalidDataException($"something follows the array ({Describe(reader.TokenType)})");
                if (!_streamEnded) return ElementStatus.NeedMore;
                return ElementStatus.End;
            }
            if (!reader.Read()) return ElementStatus.NeedMore;
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                _arrayEnded = true;
                Advance(ref reader);
                return TryReadElement(record);
            }
            record.Number = ++_number;
            record.Unit = "record";
            var start = (int)reader.TokenStartIndex;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                if (!reader.TrySkip()) { _number--; return ElementStatus.NeedMore; }
                Bad(record, span[start..(int)reader.BytesConsumed], $"the element is {Describe(reader.TokenType)}, not an object");
                Advance(ref reader);
                return ElementStatus.Record;
            }
            var copy = reader;
            if (!copy.TrySkip()) { _number--; return ElementStatus.NeedMore; }
            ReadObject(ref reader, "", record, span[start..(int)copy.BytesConsumed]);
            Advance(ref reader);
            return ElementStatus.Record;
        }
        catch (JsonException ex)
        {
            var truncated = _streamEnded && (ex.Message.Contains("end of data", StringComparison.Ordinal) || ex.Message.Contains("depth to be zero", StringComparison.Ordinal));
            throw new InvalidDataException($"line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: " +
                (truncated ? "the JSON ends too early (truncated?): " : "") + Reason(ex), ex);
        }
    }

    private void Advance(ref Utf8JsonReader reader)
    {
        _start += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    private InvalidDataException Truncated()
    {
        // Let the reader say where the document ends too early, with its own line and position.
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), true, _state);
        try
        {
            while (reader.Read()) { }
        }
        catch (JsonException ex)
        {
            return new InvalidDataException($"line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: the JSON ends too early (truncated?): {Reason(ex)}", ex);
        }
        return new InvalidDataException("the JSON ends too early (truncated?)");
    }

    /// <summary>Reads an object's members into the record; false when the record turned out bad.</summary>
    private bool ReadObject(ref Utf8JsonReader reader, string prefix, JsonRecord record, ReadOnlySpan<byte> text)
    {
        if (prefix.Length == 0) _names.Clear();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = prefix + reader.GetString();
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject && _flatten)
            {
                if (!ReadObject(ref reader, name + _separator, record, text)) return false;
                continue;
            }
            if (!_names.Add(name))
            {
                Bad(record, text, $"the key '{name}' appears twice");
                return false;
            }
            object? value;
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    value = reader.GetString();
                    break;
                case JsonTokenType.Number:
                    value = reader.TryGetInt64(out var l) ? l : reader.TryGetDecimal(out var m) ? m : reader.GetDouble();
                    break;
                case JsonTokenType.True:
                    value = true;
                    break;
                case JsonTokenType.False:
                    value = false;
                    break;
                case JsonTokenType.Null:
                    value = null;
                    break;
                default:
                    var start = (int)reader.TokenStartIndex;
                    reader.TrySkip(); // the whole record is in the buffer: this always completes
                    value = Encoding.UTF8.GetString(Slice(ref reader, start));
                    break;
            }
            record.Fields.Add(new KeyValuePair<string, object?>(name, value));
        }
        return true;
    }

    private ReadOnlySpan<byte> Slice(ref Utf8JsonReader reader, int start)
    {
        // The reader's positions count from the start of the span it reads: a line, or the unparsed rest of the buffer.
        return _buffer.AsSpan(_sliceBase + start, (int)reader.BytesConsumed - start);
    }

    private static void Bad(JsonRecord record, ReadOnlySpan<byte> text, string message)
    {
        record.Error = message;
        record.Text = Encoding.UTF8.GetString(text.Length > 4096 ? text[..4096] : text);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    private static string Reason(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd();
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= _maxRecordBytes)
                throw new InvalidDataException($"a record is longer than {_maxRecordBytes} bytes");
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, _maxRecordBytes));
            Array.Copy(_buffer, larger, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        BytesRead += read;
        if (read == 0) _streamEnded = true;
        _end += read;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
