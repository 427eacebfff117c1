using System.IO.Compression;
using System.Text;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Formats;

namespace Pipeline.Core.Tests.Steps.Data.Formats;

public sealed class CsvReadStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private DataStepRun Read(string path) => new DataStepRun(new CsvReadStep(), _dir.Path).With("path", path);

    [Fact]
    public async Task Types_are_inferred_from_the_values()
    {
        _dir.Write("a.csv", "id,name,amount,ratio,ok,day,at,code\n1,Ann,12.50,1e3,true,2026-11-21,2026-11-21T08:30:00Z,007\n2,Bob,3,2.5E-1,false,2026-01-02,2026-01-02 10:00:00+01:00,010\n");

        var run = await Read("a.csv").ExecuteAsync();

        Assert.Equal("id:Integer, name:String, amount:Decimal, ratio:Double, ok:Boolean, day:Date, at:Timestamp, code:String", run.Schema.ToString());
        Assert.Equal([1L, "Ann", 12.50m, 1000d, true, new DateOnly(2026, 11, 21), new DateTimeOffset(2026, 11, 21, 8, 30, 0, TimeSpan.Zero), "007"], run.Rows[0]);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 10, 0, 0, TimeSpan.FromHours(1)), run.Rows[1][6]);
        Assert.Equal(2L, run.Result("rows"));
    }

    [Fact]
    public async Task Schema_overrides_inference_and_a_value_that_does_not_parse_names_file_line_and_column()
    {
        _dir.Write("a.csv", "id,amount\n1,10\n2,abc\n");

        var ok = await Read("a.csv").With("schema", new Dictionary<string, object?> { ["id"] = "string" }).ExecuteAsync();
        Assert.Equal("id:String, amount:String", ok.Schema.ToString());

        var ex = await Read("a.csv").With("schema", new Dictionary<string, object?> { ["amount"] = "decimal" }).FailsAsync();
        Assert.Contains("a.csv', line 3, column 2 (amount): 'abc' is not a number", ex.Message);
    }

    [Fact]
    public async Task An_unknown_schema_type_or_column_is_a_configuration_error()
    {
        _dir.Write("a.csv", "id\n1\n");
        var ex = await Read("a.csv").With("schema", new Dictionary<string, object?> { ["id"] = "money" }).FailsAsync(ErrorKind.Configuration);
        Assert.Contains("unknown type 'money'", ex.Message);
        ex = await Read("a.csv").With("schema", new Dictionary<string, object?> { ["nope"] = "integer" }).FailsAsync(ErrorKind.Configuration);
        Assert.Contains("nope", ex.Message);
    }

    [Fact]
    public async Task An_inferred_column_widens_when_a_later_value_does_not_fit()
    {
        var text = new StringBuilder("n\n");
        for (var i = 0; i < 5; i++) text.Append(i).Append('\n');
        text.Append("2.5\nn/a\n");
        _dir.Write("a.csv", text.ToString());

        var run = await Read("a.csv").With("infer_rows", 3).With("batch_size", 2).ExecuteAsync();

        Assert.Equal([0L, 1L, 2L, 3L, 4L, 2.5m, "n/a"], run.Rows.Select(r => r[0]));
        Assert.Equal(FieldType.Integer, run.Output.Batches[0].Schema.Fields[0].Type);
        Assert.Equal(FieldType.String, run.Output.Batches[^1].Schema.Fields[0].Type);
    }

    [Fact]
    public async Task Infer_false_keeps_text()
    {
        _dir.Write("a.csv", "id\n1\n");
        var run = await Read("a.csv").With("infer", false).ExecuteAsync();
        Assert.Equal(["1"], run.Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task Quoted_fields_hold_delimiters_quotes_and_line_breaks_and_lines_are_counted_through_them()
    {
        _dir.Write("a.csv", "a,b\r\n\"x,1\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",\"\"\r\n3,\r\n\"bad\"x,1\r\n");

        var ex = await Read("a.csv").FailsAsync();
        Assert.Contains("line 6, column 1 (a), character 6: 'x' follows the closing quote", ex.Message);

        var run = await Read("a.csv").With("on_error", "skip").ExecuteAsync();
        Assert.Equal(["x,1", "say \"hi\""], run.Rows[0]);
        Assert.Equal(["two\nlines", ""], run.Rows[1]);
        Assert.Equal(["3", null], run.Rows[2]);
        Assert.Equal(1L, run.Result("skipped"));
    }

    [Fact]
    public async Task An_unbalanced_quote_is_an_error_at_its_line()
    {
        _dir.Write("a.csv", "a,b\n1,2\n3,\"open\n4,5\n");
        var ex = await Read("a.csv").FailsAsync();
        Assert.Contains("line 3, column 2 (b), character 3: the quoted field is never closed", ex.Message);
    }

    [Fact]
    public async Task Ragged_rows_fail_skip_or_are_rejected_with_their_text()
    {
        _dir.Write("a.csv", "a,b\n1,2\n3\n4,5,6\n7,8\n");

        var ex = await Read("a.csv").FailsAsync();
        Assert.Contains("'a.csv', line 3: the row has 1 field, but there are 2 columns", ex.Message.Replace(_dir.Path + Path.DirectorySeparatorChar, ""));

        var skip = await Read("a.csv").With("on_error", "skip").ExecuteAsync();
        Assert.Equal([1L, 7L], skip.Rows.Select(r => r[0]));
        Assert.Equal(2L, skip.Result("skipped"));

        var reject = await Read("a.csv").With("on_error", "reject").With("reject_path", "bad/rejects.csv").ExecuteAsync();
        Assert.Equal(2L, reject.Result("rejected"));
        var lines = File.ReadAllLines(_dir["bad/rejects.csv"]);
        Assert.Equal("file,line,column,error,record", lines[0]);
        Assert.EndsWith(",3,,\"the row has 1 field, but there are 2 columns\",3", lines[1]);
        Assert.EndsWith(",4,,\"the row has 3 fields, but there are 2 columns\",\"4,5,6\"", lines[2]);
    }

    [Fact]
    public async Task Reject_without_a_path_is_a_configuration_error()
    {
        _dir.Write("a.csv", "a\n1\n");
        var ex = await Read("a.csv").With("on_error", "reject").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("reject_path", ex.Message);
    }

    [Fact]
    public async Task Invalid_utf8_bytes_are_an_error_at_their_line_and_column()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b\n1,ok\n2,x").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("y\n3,z\n")).ToArray();
        _dir.Write("a.csv", bytes);

        var ex = await Read("a.csv").FailsAsync();
        Assert.Contains("line 3, column 2 (b), character 4: bytes that are not valid utf-8", ex.Message);

        var run = await Read("a.csv").With("on_error", "skip").ExecuteAsync();
        Assert.Equal([1L, 3L], run.Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task Encodings_latin1_and_utf16_with_a_bom_are_read()
    {
        _dir.Write("latin1.csv", Encoding.Latin1.GetBytes("name\nJosé\n"));
        _dir.Write("utf16.csv", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("name\nJürgen\n")).ToArray());
        _dir.Write("utf16be.csv", Encoding.BigEndianUnicode.GetBytes("name\nZoë\n"));
        _dir.Write("bom.csv", Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("name\nÅsa\n")).ToArray());

        Assert.Equal("José", (await Read("latin1.csv").With("encoding", "latin1").ExecuteAsync()).Rows[0][0]);
        Assert.Equal("Jürgen", (await Read("utf16.csv").ExecuteAsync()).Rows[0][0]);
        Assert.Equal("Zoë", (await Read("utf16be.csv").With("encoding", "utf-16be").ExecuteAsync()).Rows[0][0]);
        var bom = await Read("bom.csv").ExecuteAsync();
        Assert.Equal("name", bom.Schema.Fields[0].Name);
        Assert.Equal("Åsa", bom.Rows[0][0]);
    }

    [Fact]
    public async Task Delimiter_quote_and_escape_are_options()
    {
        _dir.Write("a.tsv", "a\tb\n'x\\'y'\t2\n");
        var run = await Read("a.tsv").With("delimiter", "\\t").With("quote", "'").With("escape", "\\").ExecuteAsync();
        Assert.Equal(["x'y", 2L], run.Rows[0]);

        _dir.Write("b.csv", "a;b\n\"x\";3\n");
        var unquoted = await Read("b.csv").With("delimiter", ";").With("quote", "").ExecuteAsync(); // quoting off: quotes are text
        Assert.Equal(["\"x\"", 3L], unquoted.Rows[0]);
    }

    [Fact]
    public async Task A_delimiter_of_two_characters_is_a_configuration_error()
    {
        _dir.Write("a.csv", "a\n1\n");
        var ex = await Read("a.csv").With("delimiter", ";;").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("'delimiter' must be one character", ex.Message);
    }

    [Fact]
    public async Task Without_a_header_columns_are_numbered_or_named_by_the_columns_option()
    {
        _dir.Write("a.csv", "1,x\n2,y\n");
        var numbered = await Read("a.csv").With("header", false).ExecuteAsync();
        Assert.Equal("column1:Integer, column2:String", numbered.Schema.ToString());
        Assert.Equal(2, numbered.Rows.Count);

        var named = await Read("a.csv").With("header", false).With("columns", new List<object?> { "id", "tag" }).ExecuteAsync();
        Assert.Equal("id:Integer, tag:String", named.Schema.ToString());
    }

    [Fact]
    public async Task Duplicate_and_empty_header_names_are_made_unique()
    {
        _dir.Write("a.csv", "a,A,\n1,2,3\n");
        var run = await Read("a.csv").ExecuteAsync();
        Assert.Equal(["a", "A_2", "column3"], run.Schema.Fields.Select(f => f.Name));
    }

    [Fact]
    public async Task Null_value_empty_fields_and_blank_lines()
    {
        _dir.Write("a.csv", "a,b\n1,NA\n\n,x\n");
        var run = await Read("a.csv").With("null_value", "NA").ExecuteAsync();
        Assert.Equal([[1L, null], [null, "x"]], run.Rows);
    }

    [Fact]
    public async Task A_culture_reads_its_numbers_and_dates()
    {
        _dir.Write("a.csv", "amount;day\n\"1.234,5\";21.11.2026\n");
        var run = await Read("a.csv").With("delimiter", ";").With("culture", "de-DE").ExecuteAsync();
        Assert.Equal([1234.5m, new DateOnly(2026, 11, 21)], run.Rows[0]);

        var ex = await Read("a.csv").With("culture", "xx-nowhere").FailsAsync(ErrorKind.Configuration);
        Assert.Contains("culture", ex.Message);
    }

    [Fact]
    public async Task Gzipped_files_are_read_by_extension_or_option_and_a_truncated_one_is_an_error()
    {
        var data = Gzip("a,b\n1,2\n3,4\n");
        _dir.Write("a.csv.gz", data);
        _dir.Write("a.data", data);
        _dir.Write("cut.csv.gz", data[..^6]);

        Assert.Equal(2, (await Read("a.csv.gz").ExecuteAsync()).Rows.Count);
        Assert.Equal(2, (await Read("a.data").With("compression", "gzip").ExecuteAsync()).Rows.Count);
        var ex = await Read("cut.csv.gz").FailsAsync();
        Assert.Contains("cut.csv.gz", ex.Message);
    }

    [Fact]
    public async Task A_glob_reads_every_match_in_name_order_and_different_headers_are_an_error()
    {
        _dir.Write("in/b.csv", "id,v\n2,b\n");
        _dir.Write("in/a.csv", "id,v\n1,a\n");
        var run = await Read("in/*.csv").ExecuteAsync();
        Assert.Equal([1L, 2L], run.Rows.Select(r => r[0]));
        Assert.Equal(2, run.Result("files"));

        _dir.Write("in/c.csv", "id,w\n3,c\n");
        var ex = await Read("in/*.csv").FailsAsync();
        Assert.Contains("c.csv' has the columns (id, w)", ex.Message);

        var none = await Read("in/*.txt").FailsAsync(ErrorKind.NotFound);
        Assert.Contains("No file matches", none.Message);
        await Read("missing.csv").FailsAsync(ErrorKind.NotFound);
    }

    [Fact]
    public async Task Large_files_stream_in_batches_across_buffer_refills_with_long_records()
    {
        var text = new StringBuilder("id,text,amount\n");
        var longText = new string('x', 300_000);
        for (var i = 0; i < 50_000; i++)
            text.Append(i).Append(",\"").Append(i == 25_000 ? longText : "v\"\"" + i).Append("\",").Append(i).Append(".25\r\n");
        _dir.Write("big.csv", text.ToString());

        var run = await Read("big.csv").With("batch_size", 1000).ExecuteAsync();

        Assert.Equal(50_000, run.Rows.Count);
        Assert.Equal(50, run.Output.Batches.Count);
        Assert.Equal(longText, run.Rows[25_000][1]);
        Assert.Equal("v\"49999", run.Rows[^1][1]);
        Assert.Equal(49_999.25m, run.Rows[^1][2]);
    }

    [Fact]
    public async Task A_record_longer_than_the_limit_is_an_error_not_unbounded_memory()
    {
        var parserText = "a\n\"" + new string('x', 200_000);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(parserText));
        using var parser = new CsvParser(stream, "utf-8", ',', '"', '"', maxRecordChars: 1 << 17);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            while (true)
            {
                var status = parser.TryReadRecord();
                if (status == CsvStatus.End) break;
                if (status == CsvStatus.NeedMore) await parser.FillAsync(default);
            }
        });
        Assert.Contains("longer than", ex.Message);
    }

    [Fact]
    public async Task An_empty_file_gives_no_rows()
    {
        _dir.Write("empty.csv", "");
        var run = await Read("empty.csv").ExecuteAsync();
        Assert.Empty(run.Rows);
        Assert.Equal(0L, run.Result("rows"));
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        return output.ToArray();
    }
}
