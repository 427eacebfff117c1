using System.Buffers;
using System.Globalization;
using System.Text;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Common;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>How <see cref="CsvWriter"/> writes.</summary>
internal sealed record CsvWriterSettings
{
    /// <summary>Comma, double quote, a header, LF, UTF-8 without a byte order mark, invariant values.</summary>
    public static CsvWriterSettings Default { get; } = new();

    /// <summary>The field delimiter.</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>The quote character.</summary>
    public char Quote { get; init; } = '"';

    /// <summary>The character that escapes a quote inside a quoted field (the quote itself: doubling).</summary>
    public char Escape { get; init; } = '"';

    /// <summary>Write the column names first.</summary>
    public bool Header { get; init; } = true;

    /// <summary>Quote every field, not only those that need it.</summary>
    public bool QuoteAll { get; init; }

    /// <summary>The line end.</summary>
    public string NewLine { get; init; } = "\n";

    /// <summary>What a null is written as; an empty string is then written as <c>""</c>, so the two read back apart.</summary>
    public string NullValue { get; init; } = "";

    /// <summary>The text encoding.</summary>
    public Encoding Encoding { get; init; } = new UTF8Encoding(false);

    /// <summary>The culture of numbers and dates; null is invariant (1234.5, 2026-11-21, ISO 8601 timestamps).</summary>
    public CultureInfo? Culture { get; init; }
}

/// <summary>
/// Writes record batches as CSV: values formatted straight into a pooled char buffer (numbers and dates with
/// <c>TryFormat</c>, no string per value), encoded in large chunks. A field is quoted only when it holds the
/// delimiter, the quote or a line break (or always, with <see cref="CsvWriterSettings.QuoteAll"/>). Every batch must
/// have the columns of the first, whose names are the header.
/// </summary>
internal sealed class CsvWriter
{
    private const int FlushAt = 1 << 15;

    private readonly Stream _stream;
    private readonly CsvWriterSettings _settings;
    private readonly Encoder _encoder;
    private readonly SearchValues<char> _special;
    private readonly CultureInfo _culture;
    private readonly bool _invariant;
    private char[] _chars = new char[1 << 16];
    private byte[] _bytes;
    private int _pos;
    private RecordSchema? _schema;
    private byte[] _preamble;
    private readonly string _delimiterText;

    /// <summary>Writes to <paramref name="stream"/> (not disposed by the writer).</summary>
    public CsvWriter(Stream stream, CsvWriterSettings settings)
    {
        _stream = stream;
        _settings = settings;
        _encoder = settings.Encoding.GetEncoder();
        _bytes = new byte[settings.Encoding.GetMaxByteCount(_chars.Length)];
        _special = SearchValues.Create([settings.Delimiter, settings.Quote, settings.Escape, '\r', '\n']);
        _culture = settings.Culture ?? CultureInfo.InvariantCulture;
        _invariant = settings.Culture is null;
        _preamble = settings.Encoding.GetPreamble();
        _delimiterText = settings.Delimiter.ToString();
    }

    /// <summary>Rows written.</summary>
    public long Rows { get; private set; }

    /// <summary>Writes a batch (and the header before the first).</summary>
    /// <exception cref="StepException">The batch's columns differ from the first batch's.</exception>
    public async ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken)
    {
        if (_schema is null)
        {
            _schema = batch.Schema;
            if (_settings.Header)
            {
                for (var i = 0; i < _schema.Count; i++)
                {
                    if (i > 0) WriteRaw(_delimiterText);
                    WriteText(_schema.Fields[i].Name);
                }
                WriteNewLine();
            }
        }
        else if (!ReferenceEquals(_schema, batch.Schema) && !SameColumns(_schema, batch.Schema))
        {
            throw new StepException(ErrorKind.Validation,
                $"The records' columns changed from ({string.Join(", ", _schema.Fields.Select(f => f.Name))}) to ({string.Join(", ", batch.Schema.Fields.Select(f => f.Name))}); a CSV file has one header.");
        }

        var rows = batch.Rows;
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0)
                {
                    Ensure(1);
                    _chars[_pos++] = _settings.Delimiter;
                }
                WriteValue(row[i]);
            }
            WriteNewLine();
            if (_pos >= FlushAt) await WriteOutAsync(cancellationToken).ConfigureAwait(false);
        }
        Rows += rows.Count;
    }

    /// <summary>Writes out everything buffered.</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await WriteOutAsync(cancellationToken, flush: true).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static bool SameColumns(RecordSchema a, RecordSchema b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (!string.Equals(a.Fields[i].Name, b.Fields[i].Name, StringComparison.OrdinalIgnoreCase)) return false;
        }
        return true;
    }

    private void WriteValue(object? value)
    {
        switch (value)
        {
            case null:
                WriteRaw(_settings.NullValue);
                return;
            case string s:
                WriteText(s);
                return;
            case bool b:
                WriteRaw(b ? "true" : "false");
                return;
        }
        if (!_invariant || _settings.QuoteAll)
        {
            WriteText(FormatInCulture(value));
            return;
        }
        Ensure(64);
        var span = _chars.AsSpan(_pos);
        int written;
        var done = value switch
        {
            long l => l.TryFormat(span, out written, default, CultureInfo.InvariantCulture),
            int i => i.TryFormat(span, out written, default, CultureInfo.InvariantCulture),
            decimal m => m.TryFormat(span, out written, default, CultureInfo.InvariantCulture),
            double d => d.TryFormat(span, out written, "R", CultureInfo.InvariantCulture),
            DateOnly date => IsoText.TryFormatDate(date, span, out written),
            DateTimeOffset t => IsoText.TryFormatTimestamp(t, span, out written),
            _ => Fallback(out written),
        };
        if (done) _pos += written;
        else WriteText(FormatInCulture(value));
    }

    private static bool Fallback(out int written)
    {
        written = 0;
        return false;
    }

    private string FormatInCulture(object value) => value switch
    {
        DateOnly date => _invariant ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : date.ToString(_culture),
        DateTimeOffset t when _invariant => t.Offset == TimeSpan.Zero
            ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture),
        DateTime dt when _invariant => dt.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        double d when _invariant => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, _culture),
        _ => Convert.ToString(value, _culture) ?? "",
    };

    private void WriteText(string text)
    {
        if (text.Length == 0)
        {
            // An empty string must read back apart from a null written as nothing.
            if (_settings.NullValue.Length == 0 || _settings.QuoteAll) WriteQuoted(text);
            return;
        }
        if (_settings.QuoteAll || text.AsSpan().IndexOfAny(_special) >= 0 || text == _settings.NullValue)
            WriteQuoted(text);
        else
            WriteRaw(text);
    }

    private void WriteQuoted(string text)
    {
        Ensure(text.Length * 2 + 2);
        var quote = _settings.Quote;
        var escape = _settings.Escape;
        _chars[_pos++] = quote;
        foreach (var c in text)
        {
            if (c == quote || (c == escape && escape != quote)) _chars[_pos++] = escape;
            _chars[_pos++] = c;
        }
        _chars[_pos++] = quote;
    }

    private void WriteRaw(string text)
    {
        Ensure(text.Length);
        text.CopyTo(_chars.AsSpan(_pos));
        _pos += text.Length;
    }

    private void WriteNewLine() => WriteRaw(_settings.NewLine);

    /// <summary>Makes room for <paramref name="count"/> more chars; a row longer than the buffer grows it.</summary>
    private void Ensure(int count)
    {
        if (_pos + count <= _chars.Length) return;
        Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _pos + count));
        _bytes = new byte[_settings.Encoding.GetMaxByteCount(_chars.Length)];
    }

    private async ValueTask WriteOutAsync(CancellationToken cancellationToken, bool flush = false)
    {
        if (_preamble.Length > 0)
        {
            await _stream.WriteAsync(_preamble, cancellationToken).ConfigureAwait(false);
            _preamble = [];
        }
        if (_pos == 0 && !flush) return;
        var count = _encoder.GetBytes(_chars.AsSpan(0, _pos), _bytes, flush);
        _pos = 0;
        if (count > 0) await _stream.WriteAsync(_bytes.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
    }
}
