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
/// <c>excel.write</c>: writes the records of its inputs to one sheet of a new .xlsx workbook with the SAX
/// <see cref="OpenXmlWriter"/> (rows are streamed out, never held as a DOM): a header row, numbers as numbers, text
/// as inline strings, booleans, and dates and timestamps as date-formatted numbers. The package is assembled in a
/// temporary file (a zip needs to seek) and copied to the destination, which appears only when complete.
/// </summary>
public sealed class ExcelWriteStep : IStepHandler
{
    private const int MaxRows = 1_048_576;

    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "excel.write",
        "Writes records to a sheet of a new .xlsx workbook (local or remote), streaming rows with the OpenXML SAX writer.",
        [
            new StepOptionInfo("path", StepOptionType.String, "The .xlsx file to write: a path or a URI.") { Required = true },
            new StepOptionInfo("sheet", StepOptionType.String, "The sheet's name.") { Default = "Sheet1" },
            new StepOptionInfo("header", StepOptionType.Boolean, "Write the column names as the first row.") { Default = "true" },
            DataOptions.Overwrite,
        ])
    {
        ConsumesRecords = true,
    };

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => FileErrors.RunAsync(async () =>
    {
        var options = context.Options;
        var path = options.GetRequiredString("path");
        var sheetName = options.GetString("sheet") ?? "Sheet1";
        if (sheetName.Length is 0 or > 31 || sheetName.IndexOfAny(['\\', '/', '?', '*', '[', ']', ':']) >= 0)
            throw new StepException(ErrorKind.Configuration, $"The option 'sheet' must be 1 to 31 characters without \\ / ? * [ ] :, not '{sheetName}'.");
        var header = options.GetBoolean("header", true);
        if (context.Inputs.Count == 0)
            throw new StepException(ErrorKind.Configuration, "excel.write has no input: name the step whose records it writes in 'input'.");

        await using var sink = await DataFileSink.OpenAsync(context, "path", path, options.GetBoolean("overwrite", true), gzip: false, cancellationToken).ConfigureAwait(false);
        await using var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        long rows = 0;
        using (var document = SpreadsheetDocument.Create(temp, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            var styles = workbook.AddNewPart<WorkbookStylesPart>();
            styles.Stylesheet = Styles();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            using (var writer = OpenXmlWriter.Create(sheetPart))
            {
                writer.WriteStartElement(new Worksheet());
                writer.WriteStartElement(new SheetData());
                uint rowIndex = 0;
                RecordSchema? schema = null;
                foreach (var input in context.Inputs.Values)
                {
                    await foreach (var batch in input.WithCancellation(cancellationToken).ConfigureAwait(false))
                    {
                        if (schema is null && header)
                            WriteRow(writer, ++rowIndex, batch.Schema.Fields.Select(f => (object?)f.Name).ToArray());
                        schema ??= batch.Schema;
                        foreach (var row in batch.Rows)
                        {
                            if (rowIndex >= MaxRows)
                                throw new StepException(ErrorKind.Validation, $"A sheet holds at most {MaxRows} rows; the records do not fit in '{sink.Display}'.");
                            WriteRow(writer, ++rowIndex, row);
                        }
                        rows += batch.Count;
                    }
                }
                writer.WriteEndElement();
                writer.WriteEndElement();
            }
            workbook.Workbook = new Workbook(new Sheets(new Sheet { Name = sheetName, SheetId = 1, Id = workbook.GetIdOfPart(sheetPart) }));
        }
        temp.Position = 0;
        await temp.CopyToAsync(sink.Stream, cancellationToken).ConfigureAwait(false);
        await sink.CommitAsync(cancellationToken).ConfigureAwait(false);

        context.Metrics.AddRows(rows);
        context.Metrics.AddBytes(sink.Bytes);
        context.Metrics.AddFiles(1);
        context.SetOutput("rows", rows);
        context.SetOutput("bytes", sink.Bytes);
        context.SetOutput("path", sink.Display);
        context.Log(LogLevel.Information, $"Wrote {rows} row{(rows == 1 ? "" : "s")} to '{sink.Display}', sheet '{sheetName}'.");
    });

    private const uint DateStyle = 1, TimestampStyle = 2;

    /// <summary>The least stylesheet Excel accepts, with a date (numFmt 14) and a date-time (numFmt 22) cell format.</summary>
    private static Stylesheet Styles() => new(
        new Fonts(new Font()) { Count = 1 },
        new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })) { Count = 2 },
        new Borders(new Border()) { Count = 1 },
        new CellFormats(
            new CellFormat(),
            new CellFormat { NumberFormatId = 14, ApplyNumberFormat = true },
            new CellFormat { NumberFormatId = 22, ApplyNumberFormat = true }) { Count = 3 });

    private static void WriteRow(OpenXmlWriter writer, uint index, object?[] values)
    {
        writer.WriteStartElement(new Row(), [new OpenXmlAttribute("r", "", index.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        for (var i = 0; i < values.Length; i++)
        {
            var cell = Cell(values[i]);
            if (cell is null) continue;
            cell.CellReference = CellRange.ColumnName(i + 1) + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            writer.WriteElement(cell);
        }
        writer.WriteEndElement();
    }

    private static Cell? Cell(object? value)
    {
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        return value switch
        {
            null => null,
            string s => new Cell(new InlineString(new Text(s) { Space = SpaceProcessingModeValues.Preserve })) { DataType = CellValues.InlineString },
            bool b => new Cell(new CellValue(b ? "1" : "0")) { DataType = CellValues.Boolean },
            long l => new Cell(new CellValue(l.ToString(invariant))),
            int i => new Cell(new CellValue(i.ToString(invariant))),
            decimal m => new Cell(new CellValue(m.ToString(invariant))),
            double d when double.IsFinite(d) => new Cell(new CellValue(d.ToString("R", invariant))),
            double => null,
            DateOnly date => new Cell(new CellValue(date.ToDateTime(TimeOnly.MinValue).ToOADate().ToString("R", invariant))) { StyleIndex = DateStyle },
            DateTimeOffset t => new Cell(new CellValue(t.UtcDateTime.ToOADate().ToString("R", invariant))) { StyleIndex = TimestampStyle },
            DateTime dt => new Cell(new CellValue(dt.ToOADate().ToString("R", invariant))) { StyleIndex = TimestampStyle },
            _ => new Cell(new InlineString(new Text(Convert.ToString(value, invariant) ?? ""))) { DataType = CellValues.InlineString },
        };
    }
}
