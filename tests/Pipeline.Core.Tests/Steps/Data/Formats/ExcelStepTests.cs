using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Formats;

namespace Pipeline.Core.Tests.Steps.Data.Formats;

public sealed class ExcelStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private DataStepRun Read(string path) => new DataStepRun(new ExcelReadStep(), _dir.Path).With("path", path);

    private static readonly RecordSchema Typed = new([
        new RecordField("id", FieldType.Integer), new RecordField("name", FieldType.String), new RecordField("amount", FieldType.Decimal),
        new RecordField("ok", FieldType.Boolean), new RecordField("day", FieldType.Date), new RecordField("at", FieldType.Timestamp)]);

    private static RecordBatch Sample() => new(Typed,
    [
        [1L, "Ann", 12.5m, true, new DateOnly(2026, 11, 21), new DateTimeOffset(2026, 11, 21, 8, 30, 0, TimeSpan.Zero)],
        [2L, "  Bob ", -3m, false, null, new DateTimeOffset(2026, 1, 2, 10, 0, 0, TimeSpan.Zero)],
    ]);

    [Fact]
    public async Task Records_written_to_a_sheet_read_back_with_their_types()
    {
        await new DataStepRun(new ExcelWriteStep(), _dir.Path).With("path", "out/a.xlsx").With("sheet", "Orders").Input("in", Sample()).ExecuteAsync();

        var run = await Read("out/a.xlsx").With("sheet", "Orders").ExecuteAsync();

        Assert.Equal("id:Integer, name:String, amount:Decimal, ok:Boolean, day:Date, at:Timestamp", run.Schema.ToString());
        Assert.Equal(Sample().Rows, run.Rows);
    }

    [Fact]
    public async Task Shared_strings_custom_date_formats_ranges_sheets_by_number_and_no_header()
    {
        WriteWorkbook(_dir["b.xlsx"]);

        var all = await Read("b.xlsx").With("sheet", "2").ExecuteAsync();
        Assert.Equal("name:String, when:Date, n:Integer", all.Schema.ToString());
        Assert.Equal([["x", new DateOnly(2026, 11, 21), 5L], ["y", null, 6L]], all.Rows);

        var range = await Read("b.xlsx").With("sheet", "Data").With("range", "B2:C3").With("header", false).ExecuteAsync();
        Assert.Equal("column1:Date, column2:Integer", range.Schema.ToString());
        Assert.Equal([[new DateOnly(2026, 11, 21), 5L], [null, 6L]], range.Rows);
    }

    [Fact]
    public async Task A_missing_sheet_a_corrupt_file_and_a_bad_range_are_clear_errors()
    {
        WriteWorkbook(_dir["b.xlsx"]);
        var ex = await Read("b.xlsx").With("sheet", "Nope").FailsAsync(ErrorKind.NotFound);
        Assert.Contains("has no sheet 'Nope'; its sheets: Empty, Data", ex.Message);

        _dir.Write("corrupt.xlsx", "this is not a zip");
        ex = await Read("corrupt.xlsx").FailsAsync();
        Assert.Contains("corrupt.xlsx' is not a valid .xlsx workbook", ex.Message);

        var bytes = File.ReadAllBytes(_dir["b.xlsx"]);
        _dir.Write("cut.xlsx", bytes[..(bytes.Length / 2)]);
        ex = await Read("cut.xlsx").FailsAsync();
        Assert.Contains("cut.xlsx' is not a valid .xlsx workbook", ex.Message);

        ex = await Read("b.xlsx").With("range", "1A:B").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("'range' must look like A1:D100", ex.Message);
    }

    [Fact]
    public async Task A_schema_type_that_does_not_fit_and_an_error_cell_are_bad_rows_with_their_row()
    {
        WriteWorkbook(_dir["b.xlsx"], errorCell: true);
        var ex = await Read("b.xlsx").With("sheet", "Data").FailsAsync();
        Assert.Contains("b.xlsx', row 3: cell C3 holds the error #DIV/0!", ex.Message);

        var run = await Read("b.xlsx").With("sheet", "Data").With("on_error", "skip").With("schema", new Dictionary<string, object?> { ["name"] = "integer" }).ExecuteAsync();
        Assert.Empty(run.Rows);
        Assert.Equal(2L, run.Result("skipped"));
    }

    [Fact]
    public async Task An_invalid_sheet_name_or_an_existing_file_without_overwrite_fails_before_writing()
    {
        var ex = await new DataStepRun(new ExcelWriteStep(), _dir.Path).With("path", "a.xlsx").With("sheet", "a/b").Input("in", Sample()).FailsAsync(ErrorKind.Configuration);
        Assert.Contains("'sheet'", ex.Message);
        _dir.Write("a.xlsx", "old");
        await new DataStepRun(new ExcelWriteStep(), _dir.Path).With("path", "a.xlsx").With("overwrite", false).Input("in", Sample()).FailsAsync(ErrorKind.Conflict);
        Assert.Equal("old", _dir.Read("a.xlsx"));
    }

    /// <summary>A workbook as Excel writes it: shared strings, a custom date format, an empty first sheet.</summary>
    private static void WriteWorkbook(string path, bool errorCell = false)
    {
        using var document = SpreadsheetDocument.Create(path, SpreadsheetDocumentType.Workbook);
        var workbook = document.AddWorkbookPart();
        var strings = workbook.AddNewPart<SharedStringTablePart>();
        strings.SharedStringTable = new SharedStringTable(new SharedStringItem(new Text("name")), new SharedStringItem(new Text("when")),
            new SharedStringItem(new Text("n")), new SharedStringItem(new Text("x")), new SharedStringItem(new Text("y")));
        workbook.AddNewPart<WorkbookStylesPart>().Stylesheet = new Stylesheet(
            new NumberingFormats(new NumberingFormat { NumberFormatId = 164, FormatCode = "dd\\.mm\\.yyyy" }) { Count = 1 },
            new Fonts(new Font()) { Count = 1 },
            new Fills(new Fill(new PatternFill { PatternType = PatternValues.None })) { Count = 1 },
            new Borders(new Border()) { Count = 1 },
            new CellFormats(new CellFormat(), new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true }) { Count = 2 });
        var empty = workbook.AddNewPart<WorksheetPart>();
        empty.Worksheet = new Worksheet(new SheetData());
        var data = workbook.AddNewPart<WorksheetPart>();
        static Cell S(string r, int i) => new(new CellValue(i.ToString())) { CellReference = r, DataType = CellValues.SharedString };
        static Cell N(string r, string v, uint style = 0) => new(new CellValue(v)) { CellReference = r, StyleIndex = style == 0 ? null : style };
        data.Worksheet = new Worksheet(new SheetData(
            new Row(S("A1", 0), S("B1", 1), S("C1", 2)) { RowIndex = 1 },
            new Row(S("A2", 3), N("B2", "46347", 1), N("C2", "5")) { RowIndex = 2 },
            new Row(S("A3", 4), errorCell ? new Cell(new CellValue("#DIV/0!")) { CellReference = "C3", DataType = CellValues.Error } : N("C3", "6")) { RowIndex = 3 }));
        workbook.Workbook = new Workbook(new Sheets(
            new Sheet { Name = "Empty", SheetId = 1, Id = workbook.GetIdOfPart(empty) },
            new Sheet { Name = "Data", SheetId = 2, Id = workbook.GetIdOfPart(data) }));
    }
}
