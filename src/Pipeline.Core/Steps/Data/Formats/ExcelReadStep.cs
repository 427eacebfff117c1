using System.Globalization;
using System.IO.Packaging;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Pipeline.Core.Execution;
using Pipeline.Core.Observability;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Common;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Steps.Data.Formats;

/// <summary>
/// <c>excel.read</c>: reads one sheet of an .xlsx workbook (by name or number, optionally a range such as
/// <c>A1:D100</c>) row by row with the SAX <see cref="OpenXmlReader"/> (one row in memory at a time, not the sheet's
/// DOM). Numbers, shared and inline strings, booleans and dates (numbers whose cell style is a date format) become
/// typed values; the first row of the range holds the column names unless <c>header: false</c>.
/// </summary>
public sealed class ExcelReadStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "excel.read",
        "Reads one sheet of an .xlsx workbook (or a range of it) as records, streaming rows with the OpenXML SAX reader.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The .xlsx file, or a glob: a path or a URI.") { Required = true },
            new StepOptionInfo("sheet", StepOptionType.String, "The sheet's name, or its number from 1.") { Default = "1" },
            new StepOptionInfo("range", StepOptionType.String, "The cells to read, such as A1:D100 or B3:F (to the last row); by default the whole sheet."),
            new StepOptionInfo("header", StepOptionType.Boolean, "Whether the range's first row holds the column names.") { Default = "true" },
            DataOptions.Schema,
            DataOptions.Infer,
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
        var sheetOption = options.GetString("sheet") ?? "1";
        var range = CellRange.Parse(options.GetString("range"));
        var header = options.GetBoolean("header", true);
        var batchSize = DataOptions.GetBatchSize(options);
        var columns = new JsonColumns(DataOptions.GetSchema(options), options.GetBoolean("infer", true), new TextValues(DataOptions.GetCulture(options)));
        var output = context.Output ?? NoConsumer.Instance;
        await using var source = await DataFileSource.OpenAsync(context, "path", cancellationToken).ConfigureAwait(false);
        await using var badRows = BadRows.FromOptions(context);
        var rows = new List<object?[]>(batchSize);
        RecordSchema? batchSchema = null;
        long count = 0;
        string[]? names = null;

        async Task FlushAsync()
        {
            if (rows.Count == 0) return;
            var batch = new RecordBatch(batchSchema!, rows);
            rows = new List<object?[]>(batchSize);
            await output.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        foreach (var path in source.Paths)
        {
            var display = source.Display(path);
            await using var stream = await source.OpenSeekableAsync(path, cancellationToken).ConfigureAwait(false);
            SpreadsheetDocument document;
            try
            {
                document = SpreadsheetDocument.Open(stream, false);
            }
            catch (Exception ex) when (ex is OpenXmlPackageException or InvalidDataException or FileFormatException or IOException or ArgumentException)
            {
                throw new StepException(ErrorKind.Validation, $"'{display}' is not a valid .xlsx workbook: {ex.Message}", ex);
            }
            using (document)
            {
                var reader = SheetReader.Open(document, sheetOption, display);
                names = null;
                var fileNames = header ? null : Array.Empty<string>();
                foreach (var (rowNumber, cells) in reader.Rows(range))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (fileNames is null)
                    {
                        fileNames = cells.Select((c, i) => c.Value is null ? $"column{i + 1}" : Convert.ToString(c.Value, CultureInfo.InvariantCulture)!).ToArray();
                        continue;
                    }
                    names ??= fileNames;
                    var record = new JsonRecord { Number = rowNumber, Unit = "row" };
                    string? error = null;
                    for (var i = 0; i < cells.Count; i++)
                    {
                        var name = i < names.Length && names.Length > 0 ? names[i] : $"column{i + 1}";
                        if (cells[i].Error is { } cellError) error ??= $"cell {CellRange.ColumnName(range.FirstColumn + i)}{rowNumber} holds the error {cellError}";
                        record.Fields.Add(new KeyValuePair<string, object?>(name, cells[i].Value));
                    }
                    object?[]? row = null;
                    if (error is null) row = columns.Row(record, out error);
                    if (row is null)
                    {
                        await badRows.HandleAsync(new DataError(display, "row", rowNumber, null, error!), null, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    if (!ReferenceEquals(columns.Schema, batchSchema))
                    {
                        await FlushAsync().ConfigureAwait(false);
                        batchSchema = columns.Schema;
                    }
                    rows.Add(row);
                    count++;
                    if (rows.Count >= batchSize) await FlushAsync().ConfigureAwait(false);
                }
            }
            context.Metrics.AddFiles(1);
        }
        await FlushAsync().ConfigureAwait(false);
        await badRows.CompleteAsync(cancellationToken).ConfigureAwait(false);
        context.Metrics.AddRows(count);
        context.SetOutput("rows", count);
        context.Log(LogLevel.Information, $"Read {count} row{(count == 1 ? "" : "s")} from {Counted.Of(source.Paths.Count, "workbook")} ({columns.Schema}).");
    });
}

/// <summary>A cell's value, or the Excel error it holds (#DIV/0!, #N/A, ...).</summary>
internal readonly record struct CellValueOrError(object? Value, string? Error);

/// <summary>A rectangle of cells: columns and rows from 1; an open end reads to the sheet's end.</summary>
internal readonly record struct CellRange(int FirstColumn, int FirstRow, int LastColumn, int LastRow)
{
    public static CellRange All => new(1, 1, int.MaxValue, int.MaxValue);

    /// <summary>Parses A1:D100, B3:F, A:C or null (the whole sheet).</summary>
    public static CellRange Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return All;
        var parts = text.Trim().ToUpperInvariant().Split(':');
        if (parts.Length == 2 && TryCell(parts[0], out var c1, out var r1) && TryCell(parts[1], out var c2, out var r2) && c1 > 0 && c2 >= c1)
            return new CellRange(c1, r1 == 0 ? 1 : r1, c2, r2 == 0 ? int.MaxValue : r2);
        throw new StepException(ErrorKind.Configuration, $"The option 'range' must look like A1:D100 (or B3:F, A:C), not '{text}'.");
    }

    /// <summary>Splits a reference such as C12 into column 3 and row 12 (row 0 when absent).</summary>
    public static bool TryCell(string reference, out int column, out int row)
    {
        column = 0;
        row = 0;
        var i = 0;
        while (i < reference.Length && char.IsAsciiLetterUpper(char.ToUpperInvariant(reference[i])))
        {
            column = column * 26 + (char.ToUpperInvariant(reference[i]) - 'A' + 1);
            i++;
        }
        if (i == 0 || column > 16384) return false;
        if (i == reference.Length) return true;
        return int.TryParse(reference.AsSpan(i), NumberStyles.None, CultureInfo.InvariantCulture, out row) && row > 0;
    }

    /// <summary>The letters of a column number: 1 → A, 28 → AB.</summary>
    public static string ColumnName(int column)
    {
        var name = "";
        for (; column > 0; column = (column - 1) / 26) name = (char)('A' + (column - 1) % 26) + name;
        return name;
    }
}

/// <summary>Reads a worksheet's rows with <see cref="OpenXmlReader"/>, resolving shared strings and date styles.</summary>
internal sealed class SheetReader
{
    private readonly WorksheetPart _sheet;
    private readonly List<string> _sharedStrings;
    private readonly bool[] _dateStyles;

    private SheetReader(WorksheetPart sheet, List<string> sharedStrings, bool[] dateStyles)
    {
        _sheet = sheet;
        _sharedStrings = sharedStrings;
        _dateStyles = dateStyles;
    }

    /// <summary>Finds the sheet by name or number and reads the workbook's shared strings and styles.</summary>
    public static SheetReader Open(SpreadsheetDocument document, string sheetOption, string display)
    {
        var workbook = document.WorkbookPart ?? throw new StepException(ErrorKind.Validation, $"'{display}' has no workbook part: not a valid .xlsx workbook.");
        var sheets = workbook.Workbook?.Sheets?.Elements<Sheet>().ToList() ?? [];
        Sheet? sheet = int.TryParse(sheetOption, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? (number >= 1 && number <= sheets.Count ? sheets[number - 1] : null)
            : sheets.FirstOrDefault(s => string.Equals(s.Name?.Value, sheetOption, StringComparison.OrdinalIgnoreCase));
        if (sheet?.Id?.Value is not { } id)
            throw new StepException(ErrorKind.NotFound, $"'{display}' has no sheet '{sheetOption}'; its sheets: {string.Join(", ", sheets.Select(s => s.Name?.Value))}.");
        var part = (WorksheetPart)workbook.GetPartById(id);

        var shared = new List<string>();
        if (workbook.SharedStringTablePart is { } stringsPart)
        {
            using var reader = OpenXmlReader.Create(stringsPart);
            while (reader.Read())
            {
                if (reader.ElementType == typeof(SharedStringItem) && reader.IsStartElement)
                    shared.Add(((SharedStringItem)reader.LoadCurrentElement()!).InnerText);
            }
        }

        var dates = new List<bool>();
        var stylesheet = workbook.WorkbookStylesPart?.Stylesheet;
        var customDates = new HashSet<uint>();
        foreach (var format in stylesheet?.NumberingFormats?.Elements<NumberingFormat>() ?? [])
        {
            if (format.NumberFormatId?.Value is { } formatId && IsDateFormat(format.FormatCode?.Value)) customDates.Add(formatId);
        }
        foreach (var xf in stylesheet?.CellFormats?.Elements<CellFormat>() ?? [])
        {
            var formatId = xf.NumberFormatId?.Value ?? 0;
            dates.Add(formatId is >= 14 and <= 22 or >= 45 and <= 47 || customDates.Contains(formatId));
        }
        return new SheetReader(part, shared, dates.ToArray());
    }

    /// <summary>Whether a number format code shows a date or time (d, m, y, h, s outside quotes and brackets).</summary>
    private static bool IsDateFormat(string? code)
    {
        if (code is null) return false;
        var quoted = false;
        var bracket = false;
        foreach (var c in code)
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted && c == '[') bracket = true;
            else if (!quoted && c == ']') bracket = false;
            else if (!quoted && !bracket && "dmyhsDMYHS".Contains(c)) return true;
        }
        return false;
    }

    /// <summary>The rows of the range in order, each as its cells from the range's first column (missing cells null).</summary>
    public IEnumerable<(long Row, List<CellValueOrError> Cells)> Rows(CellRange range)
    {
        using var reader = OpenXmlReader.Create(_sheet);
        long implicitRow = 0;
        while (reader.Read())
        {
            if (reader.ElementType != typeof(Row) || !reader.IsStartElement) continue;
            var row = (Row)reader.LoadCurrentElement()!;
            var number = row.RowIndex?.Value is { } index ? (long)index : implicitRow + 1;
            implicitRow = number;
            if (number < range.FirstRow) continue;
            if (number > range.LastRow) yield break;
            var cells = new List<CellValueOrError>();
            var implicitColumn = 0;
            foreach (var cell in row.Elements<Cell>())
            {
                var column = cell.CellReference?.Value is { } reference && CellRange.TryCell(reference, out var c, out _) ? c : implicitColumn + 1;
                implicitColumn = column;
                if (column < range.FirstColumn || column > range.LastColumn) continue;
                var at = column - range.FirstColumn;
                while (cells.Count <= at) cells.Add(default);
                cells[at] = Value(cell);
            }
            if (range.LastColumn != int.MaxValue)
                while (cells.Count < range.LastColumn - range.FirstColumn + 1) cells.Add(default);
            if (cells.All(c => c.Value is null && c.Error is null)) continue;
            yield return (number, cells);
        }
    }

    private CellValueOrError Value(Cell cell)
    {
        var type = cell.DataType?.Value;
        var text = cell.CellValue?.Text;
        if (type == CellValues.InlineString) return new(cell.InlineString?.InnerText, null);
        if (text is null) return default;
        if (type == CellValues.SharedString)
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < _sharedStrings.Count ? new(_sharedStrings[i], null) : new(null, "#REF (a missing shared string)");
        if (type == CellValues.Boolean) return new(text == "1" || text.Equals("true", StringComparison.OrdinalIgnoreCase), null);
        if (type == CellValues.String) return new(text, null);
        if (type == CellValues.Error) return new(null, text);
        if (type == CellValues.Date)
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? new(d, null) : new(text, null);
        var style = cell.StyleIndex?.Value ?? 0;
        if (style < _dateStyles.Length && _dateStyles[style] && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var oa) && oa is > -657435 and < 2958466)
        {
            var dateTime = DateTime.FromOADate(oa);
            return dateTime.TimeOfDay == TimeSpan.Zero ? new(DateOnly.FromDateTime(dateTime), null) : new(new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)), null);
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return new(l, null);
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m)) return new(m, null);
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d2)) return new(d2, null);
        return new(text, null);
    }
}
