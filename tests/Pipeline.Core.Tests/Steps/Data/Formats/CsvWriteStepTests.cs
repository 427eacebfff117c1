using System.IO.Compression;
using System.Text;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Formats;

namespace Pipeline.Core.Tests.Steps.Data.Formats;

public sealed class CsvWriteStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly RecordSchema Typed = new([
        new RecordField("id", FieldType.Integer), new RecordField("name", FieldType.String), new RecordField("amount", FieldType.Decimal),
        new RecordField("ratio", FieldType.Double), new RecordField("ok", FieldType.Boolean), new RecordField("day", FieldType.Date),
        new RecordField("at", FieldType.Timestamp)]);

    private static RecordBatch Sample() => new(Typed,
    [
        [1L, "plain", 12.50m, 0.1, true, new DateOnly(2026, 11, 21), new DateTimeOffset(2026, 11, 21, 8, 30, 0, TimeSpan.Zero)],
        [2L, "a,b \"q\"\nline", -3m, 1e20, false, null, new DateTimeOffset(2026, 1, 2, 10, 0, 0, 250, TimeSpan.FromHours(-5))],
        [null, "", null, null, null, null, null],
    ]);

    private DataStepRun Write(string path, params RecordBatch[] batches) =>
        new DataStepRun(new CsvWriteStep(), _dir.Path).With("path", path).Input("in", batches);

    [Fact]
    public async Task Values_are_written_invariantly_and_quoted_only_when_needed()
    {
        var run = await Write("out/a.csv", Sample()).ExecuteAsync();

        Assert.Equal(
            "id,name,amount,ratio,ok,day,at\n" +
            "1,plain,12.50,0.1,true,2026-11-21,2026-11-21T08:30:00Z\n" +
            "2,\"a,b \"\"q\"\"\nline\",-3,1E+20,false,,2026-01-02T10:00:00.25-05:00\n" +
            ",\"\",,,,,\n", _dir.Read("out/a.csv"));
        Assert.Equal(3L, run.Result("rows"));
    }

    [Fact]
    public async Task What_it_writes_reads_back_with_the_same_values()
    {
        await Write("a.csv", Sample()).ExecuteAsync();
        var read = await new DataStepRun(new CsvReadStep(), _dir.Path).With("path", "a.csv")
            .With("schema", new Dictionary<string, object?> { ["ratio"] = "double", ["day"] = "date" }).ExecuteAsync();

        Assert.Equal(Sample().Rows, read.Rows);
    }

    [Fact]
    public async Task Delimiter_quote_all_crlf_null_value_header_and_encoding_are_options()
    {
        await Write("a.csv", Sample()).With("delimiter", ";").With("quote_all", true).With("newline", "crlf").With("null_value", "NULL")
            .With("header", false).With("encoding", "utf-16").ExecuteAsync();
        var bytes = File.ReadAllBytes(_dir["a.csv"]);
        Assert.Equal(Encoding.Unicode.GetPreamble(), bytes[..2]);
        var text = Encoding.Unicode.GetString(bytes[2..]);
        Assert.StartsWith("\"1\";\"plain\";\"12.50\";", text);
        Assert.EndsWith("NULL;\"\";NULL;NULL;NULL;NULL;NULL\r\n", text);

        await Write("b.csv", Sample()).With("encoding", "utf-8-bom").ExecuteAsync();
        Assert.Equal(Encoding.UTF8.GetPreamble(), File.ReadAllBytes(_dir["b.csv"])[..3]);
    }

    [Fact]
    public async Task A_culture_writes_its_number_and_date_forms()
    {
        await Write("a.csv", Sample()).With("culture", "de-DE").With("delimiter", ";").ExecuteAsync();
        Assert.StartsWith("id;name;amount;ratio;ok;day;at\n1;plain;12,50;0,1;true;21.11.2026;", _dir.Read("a.csv"));
    }

    [Fact]
    public async Task Gzip_by_extension_or_option()
    {
        await Write("a.csv.gz", Sample()).ExecuteAsync();
        await Write("b.data", Sample()).With("compression", "gzip").ExecuteAsync();
        foreach (var name in new[] { "a.csv.gz", "b.data" })
        {
            using var gzip = new GZipStream(File.OpenRead(_dir[name]), CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            Assert.StartsWith("id,name,amount", reader.ReadToEnd());
        }
    }

    [Fact]
    public async Task An_existing_file_is_replaced_unless_overwrite_is_false()
    {
        _dir.Write("a.csv", "old");
        await Write("a.csv", Sample()).ExecuteAsync();
        Assert.StartsWith("id,", _dir.Read("a.csv"));

        var ex = await Write("a.csv", Sample()).With("overwrite", false).FailsAsync(ErrorKind.Conflict);
        Assert.Contains("already exists", ex.Message);
    }

    [Fact]
    public async Task A_failed_input_leaves_no_file_under_the_final_name()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new CsvWriteStep().ExecuteAsync(FailingContext(), CancellationToken.None));
        Assert.False(File.Exists(_dir["out/a.csv"]));
        Assert.Empty(Directory.Exists(_dir["out"]) ? _dir.Files("out") : []);
    }

    private Pipeline.Core.Steps.StepContext FailingContext() =>
        new("p", "r", "s", 1, new Pipeline.Core.Steps.StepOptions(new Dictionary<string, object?> { ["path"] = "out/a.csv" }), new Dictionary<string, string>(), (_, _) => { })
        {
            WorkingDirectory = _dir.Path,
            Inputs = new Dictionary<string, IAsyncEnumerable<RecordBatch>> { ["in"] = Failing() },
        };

    private static async IAsyncEnumerable<RecordBatch> Failing()
    {
        yield return Sample();
        await Task.Yield();
        throw new InvalidOperationException("the producer broke");
    }

    [Fact]
    public async Task Columns_that_change_between_batches_are_an_error()
    {
        var ex = await Write("a.csv", Sample(), new RecordBatch(RecordSchema.Of("other"), [["x"]])).FailsAsync();
        Assert.Contains("columns changed", ex.Message);
        Assert.False(File.Exists(_dir["a.csv"]));
    }

    [Fact]
    public async Task Without_an_input_it_is_a_configuration_error()
    {
        await new DataStepRun(new CsvWriteStep(), _dir.Path).With("path", "a.csv").FailsAsync(ErrorKind.Configuration);
    }

    [Fact]
    public async Task Long_values_grow_the_buffer()
    {
        var big = new string('é', 200_000);
        await Write("a.csv", new RecordBatch(RecordSchema.Of("v"), [[big], ["x"]])).ExecuteAsync();
        Assert.Equal($"v\n{big}\nx\n", _dir.Read("a.csv"));
    }
}
