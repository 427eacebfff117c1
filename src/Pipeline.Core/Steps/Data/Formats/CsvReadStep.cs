using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Common;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>
/// <c>csv.read</c>: reads one CSV file or every file a glob matches (in name order), on any file system, gzipped or
/// not, and writes its rows as record batches. Column types come from <c>schema:</c> or are inferred from the first
/// rows; malformed rows (unbalanced quotes, ragged rows, invalid bytes, values that do not parse as their schema type)
/// are handled by <c>on_error</c> with their file, line and column.
/// </summary>
public sealed class CsvReadStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "csv.read",
        "Reads CSV files (RFC 4180; one file or a glob, local or remote, gzipped or not) as records.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The file to read, or a glob (data/*.csv): a path or a URI.") { Required = true },
            CsvOptions.Header,
            new StepOptionInfo("columns", StepOptionType.List, "Column names to use instead of the header (or, without a header, instead of column1, column2, ...)."),
            CsvOptions.Delimiter,
            CsvOptions.Quote,
            CsvOptions.Escape,
            CsvOptions.Encoding,
            DataOptions.Compression("reads"),
            CsvOptions.NullValue,
            DataOptions.Schema,
            DataOptions.Infer,
            new StepOptionInfo("infer_rows", StepOptionType.Integer, "How many rows type inference looks at before the first batch.") { Default = "1000" },
            DataOptions.Culture,
            DataOptions.OnError,
            DataOptions.RejectPath,
            DataOptions.BatchSize,
        ])
    {
        ProducesRecords = true,
        OutputPorts = [BadRows.Port],
    };

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var read = new Reading(context, cancellationToken);
        await using var source = await DataFileSource.OpenAsync(context, "path", cancellationToken).ConfigureAwait(false);
        await using var badRows = BadRows.FromOptions(context);
        read.BadRows = badRows;
        foreach (var path in source.Paths)
        {
            var display = source.Display(path);
            await using var stream = await source.OpenAsync(path, cancellationToken).ConfigureAwait(false);
            using var parser = new CsvParser(stream, options.GetChoice("encoding", "utf-8", TextEncodings.Names), read.Delimiter, read.Quote, read.Escape);
            try
            {
                await read.FileAsync(parser, display).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                throw new StepException(ErrorKind.Validation, $"'{display}', {ex.Message}", ex);
            }
            catch (GzipFormatException ex)
            {
                throw new StepException(ErrorKind.Validation, $"'{display}': {ex.Message}", ex);
            }
            context.Metrics.AddBytes(parser.BytesRead);
            context.Metrics.AddFiles(1);
        }
        await read.FinishAsync().ConfigureAwait(false);
        await badRows.CompleteAsync(cancellationToken).ConfigureAwait(false);
        context.Metrics.AddRows(read.Rows);
        context.SetOutput("rows", read.Rows);
        context.SetOutput("files", source.Paths.Count);
        context.Log(LogLevel.Information, $"Read {read.Rows} row{(read.Rows == 1 ? "" : "s")} from {Counted.Of(source.Paths.Count, "file")}" +
            (read.Columns is null ? "." : $" ({read.Columns.Schema})."));
    });

    /// <summary>The state of one step attempt across its files.</summary>
    private sealed class Reading
    {
        private readonly StepContext _context;
        private readonly CancellationToken _cancellationToken;
        private readonly IReadOnlyDictionary<string, FieldType> _schema;
        private readonly bool _infer;
        private readonly int _inferRows;
        private readonly bool _header;
        private readonly IReadOnlyList<string> _columnOption;
        private readonly string _nullValue;
        private readonly TextValues _values;
        private readonly int _batchSize;
        private List<object?[]> _rows;

        public Reading(StepContext context, CancellationToken cancellationToken)
        {
            _context = context;
            _cancellationToken = cancellationToken;
            var options = context.Options;
            Delimiter = CsvOptions.GetChar(options, "delimiter", ',');
            Quote = CsvOptions.GetChar(options, "quote", '"', allowEmpty: true);
            Escape = CsvOptions.GetChar(options, "escape", Quote);
            CsvOptions.CheckDistinct(Delimiter, Quote, Escape);
            _schema = DataOptions.GetSchema(options);
            _infer = options.GetBoolean("infer", true);
            _inferRows = Math.Max(1, options.GetInt32("infer_rows", 1000));
            _header = options.GetBoolean("header", true);
            _columnOption = options.GetStringList("columns");
            _nullValue = options.GetString("null_value") ?? "";
            _values = new TextValues(DataOptions.GetCulture(options));
            _batchSize = DataOptions.GetBatchSize(options);
            _rows = new List<object?[]>(_batchSize);
        }

        public char Delimiter { get; }

        public char Quote { get; }

        public char Escape { get; }

        public BadRows BadRows { get; set; } = null!;

        public TypedColumns? Columns { get; private set; }

        public long Rows { get; private set; }

        private string _file = "";
        private RecordSchema? _batchSchema;

        public async Task FileAsync(CsvParser parser, string file)
        {
            _file = file;
            if (!await NextAsync(parser).ConfigureAwait(false))
            {
                _context.Log(LogLevel.Warning, $"'{file}' is empty.");
                return;
            }
            var names = Names(parser);
            var dataInFirst = !_header;
            if (Columns is null)
            {
                DataOptions.CheckSchemaColumns(_schema, names, file);
                Columns = new TypedColumns(names, _schema, _infer, _values);
            }
            else if (!names.SequenceEqual(Columns.Names, StringComparer.OrdinalIgnoreCase))
            {
                throw new StepException(ErrorKind.Validation,
                    $"'{file}' has the columns ({string.Join(", ", names)}), unlike the first file's ({string.Join(", ", Columns.Names)}).");
            }

            var sample = new List<(string?[] Fields, long Line, string Text)>();
            var sampling = Columns.Sampling;
            var pending = dataInFirst;
            while (pending || await NextAsync(parser).ConfigureAwait(false))
            {
                pending = false;
                if (parser.FieldCount != names.Count)
                {
                    await BadAsync(parser.RecordLine, null, $"the row has {parser.FieldCount} field{(parser.FieldCount == 1 ? "" : "s")}, but there are {names.Count} columns", parser.RecordText()).ConfigureAwait(false);
                    continue;
                }
                if (sampling)
                {
                    var fields = new string?[names.Count];
                    for (var i = 0; i < fields.Length; i++)
                    {
                        var text = parser.Field(i);
                        fields[i] = text.IsEmpty && !parser.IsQuoted(i) ? null : text.ToString();
                        if (fields[i] is { } f && f != _nullValue) Columns.Observe(i, f);
                    }
                    sample.Add((fields, parser.RecordLine, parser.RecordText()));
                    if (sample.Count < _inferRows) continue;
                    sampling = false;
                    await DrainSampleAsync(sample).ConfigureAwait(false);
                    continue;
                }
                await RowAsync(parser).ConfigureAwait(false);
            }
            if (sampling) await DrainSampleAsync(sample).ConfigureAwait(false);
        }

        public async Task FinishAsync()
        {
            Columns?.EndSampling();
            await FlushAsync().ConfigureAwait(false);
        }

        private async Task DrainSampleAsync(List<(string?[] Fields, long Line, string Text)> sample)
        {
            Columns!.EndSampling();
            foreach (var (fields, line, text) in sample)
            {
                var row = new object?[fields.Length];
                var bad = -1;
                for (var i = 0; i < fields.Length && bad < 0; i++)
                {
                    if (!Convert(i, fields[i], fields[i] is not null && fields[i]!.Length == 0, out row[i])) bad = i;
                }
                if (bad >= 0) await BadValueAsync(line, bad, fields[bad]!, text).ConfigureAwait(false);
                else await AddAsync(row).ConfigureAwait(false);
            }
            sample.Clear();
        }

        private async ValueTask RowAsync(CsvParser parser)
        {
            var columns = Columns!;
            var row = new object?[parser.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                var text = parser.Field(i);
                if (text.IsEmpty)
                {
                    row[i] = parser.IsQuoted(i) && columns.TypeOf(i) == FieldType.String ? "" : null;
                    continue;
                }
                if (_nullValue.Length > 0 && text.SequenceEqual(_nullValue)) continue;
                if (!columns.TryConvert(i, text, out row[i]))
                {
                    await BadValueAsync(parser.RecordLine, i, text.ToString(), parser.RecordText()).ConfigureAwait(false);
                    return;
                }
            }
            await AddAsync(row).ConfigureAwait(false);
        }

        private bool Convert(int column, string? text, bool quotedEmpty, out object? value)
        {
            value = null;
            if (text is null || (_nullValue.Length > 0 && text == _nullValue)) return true;
            if (text.Length == 0)
            {
                value = quotedEmpty && Columns!.TypeOf(column) == FieldType.String ? "" : null;
                return true;
            }
            return Columns!.TryConvert(column, text, out value);
        }

        private ValueTask AddAsync(object?[] row)
        {
            var schema = Columns!.Schema;
            if (!ReferenceEquals(schema, _batchSchema))
                return AddWithSchemaAsync(row, schema);
            _rows.Add(row);
            Rows++;
            return _rows.Count >= _batchSize ? new ValueTask(FlushAsync()) : ValueTask.CompletedTask;
        }

        private async ValueTask AddWithSchemaAsync(object?[] row, RecordSchema schema)
        {
            await FlushAsync().ConfigureAwait(false);
            _batchSchema = schema;
            _rows.Add(row);
            Rows++;
        }

        private async Task FlushAsync()
        {
            if (_rows.Count == 0) return;
            var batch = new RecordBatch(_batchSchema!, _rows);
            _rows = new List<object?[]>(_batchSize);
            await (_context.Output ?? NoConsumer.Instance).WriteAsync(batch, _cancellationToken).ConfigureAwait(false);
        }

        private ValueTask BadValueAsync(long line, int column, string text, string record) =>
            BadAsync(line, column, $"'{Shorten(text)}' is not {Describe(Columns!.TypeOf(column))}", record);

        private ValueTask BadAsync(long line, int? column, string message, string record) =>
            BadRows.HandleAsync(new DataError(_file, "line", line,
                column is { } c ? $"{c + 1} ({Columns?.Names[c]})" : null, message), record, _cancellationToken);

        private async ValueTask<bool> NextAsync(CsvParser parser)
        {
            while (true)
            {
                switch (parser.TryReadRecord())
                {
                    case CsvStatus.Record:
                        return true;
                    case CsvStatus.End:
                        return false;
                    case CsvStatus.NeedMore:
                        await parser.FillAsync(_cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        var error = parser.Error;
                        var column = Columns is not null && error.Field < Columns.Names.Count ? $"{error.Field + 1} ({Columns.Names[error.Field]})" : $"{error.Field + 1}";
                        await BadRows.HandleAsync(new DataError(_file, "line", error.Line, $"{column}, character {error.Character}", error.Message), error.Record, _cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }

        private List<string> Names(CsvParser parser)
        {
            var names = new List<string>(parser.FieldCount);
            if (_columnOption.Count > 0)
            {
                if (_header && _columnOption.Count != parser.FieldCount)
                    throw new StepException(ErrorKind.Configuration,
                        $"The option 'columns' names {_columnOption.Count} columns, but the header of '{_file}' has {parser.FieldCount}.");
                names.AddRange(_columnOption);
            }
            else if (_header)
            {
                for (var i = 0; i < parser.FieldCount; i++)
                {
                    var name = parser.Field(i).Trim().ToString();
                    names.Add(name.Length > 0 ? name : $"column{i + 1}");
                }
            }
            else
            {
                for (var i = 0; i < parser.FieldCount; i++) names.Add($"column{i + 1}");
            }
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < names.Count; i++)
            {
                var name = names[i];
                for (var n = 2; !seen.Add(name); n++) name = $"{names[i]}_{n}";
                names[i] = name;
            }
            return names;
        }

        private static string Describe(FieldType type) => type switch
        {
            FieldType.Integer => "an integer",
            FieldType.Decimal or FieldType.Double => "a number",
            FieldType.Boolean => "true or false",
            FieldType.Date => "a date",
            FieldType.Timestamp => "a timestamp",
            _ => "valid",
        };

        private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
    }
}

/// <summary>Where a producer's records go when no step reads them: nowhere.</summary>
internal sealed class NoConsumer : IRecordWriter
{
    public static NoConsumer Instance { get; } = new();

    public ValueTask WriteAsync(RecordBatch batch, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
