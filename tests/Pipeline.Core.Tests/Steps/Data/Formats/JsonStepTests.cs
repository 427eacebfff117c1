using System.IO.Compression;
using System.Text;
using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Formats;

namespace Pipeline.Core.Tests.Steps.Data.Formats;

public sealed class JsonStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private DataStepRun Read(string path) => new DataStepRun(new JsonReadStep(), _dir.Path).With("path", path);

    private DataStepRun Write(string path, params RecordBatch[] batches) =>
        new DataStepRun(new JsonWriteStep(), _dir.Path).With("path", path).Input("in", batches);

    [Fact]
    public async Task An_array_of_objects_is_read_with_nested_objects_flattened_and_arrays_as_text()
    {
        _dir.Write("a.json", """
            [
              {"id": 1, "name": "Ann", "address": {"city": "Berlin", "geo": {"lat": 52.5}}, "tags": ["a", "b"], "ok": true},
              {"id": 2, "name": null, "address": {"city": "Paris"}, "amount": 1e3}
            ]
            """);

        var run = await Read("a.json").ExecuteAsync();

        Assert.Equal("id:Integer, name:String, address.city:String, address.geo.lat:Decimal, tags:String, ok:Boolean, amount:Decimal", run.Schema.ToString());
        Assert.Equal([1L, "Ann", "Berlin", 52.5m, "[\"a\", \"b\"]", true, null], run.Rows[0]);
        Assert.Equal([2L, null, "Paris", null, null, null, 1000m], run.Rows[1]);
    }

    [Fact]
    public async Task Flatten_false_keeps_nested_objects_as_json_text_and_separator_is_an_option()
    {
        _dir.Write("a.json", """[{"a": {"b": 1}}]""");
        Assert.Equal("{\"b\": 1}", (await Read("a.json").With("flatten", false).ExecuteAsync()).Rows[0][0]);
        Assert.Equal("a_b", (await Read("a.json").With("separator", "_").ExecuteAsync()).Schema.Fields[0].Name);
    }

    [Fact]
    public async Task Json_lines_are_read_and_a_bad_line_is_skipped_or_fails_with_its_line()
    {
        _dir.Write("a.jsonl", "{\"id\":1}\n\n{\"id\":2,\n[3]\n{\"id\":4,\"id\":5}\n{\"id\":6}\n");

        var ex = await Read("a.jsonl").FailsAsync();
        Assert.Contains("a.jsonl', line 3: byte", ex.Message);

        var run = await Read("a.jsonl").With("on_error", "skip").ExecuteAsync();
        Assert.Equal([1L, 6L], run.Rows.Select(r => r[0]));
        Assert.Equal(3L, run.Result("skipped"));

        var reject = await Read("a.jsonl").With("on_error", "reject").With("reject_path", "rejects.csv").ExecuteAsync();
        var lines = File.ReadAllLines(_dir["rejects.csv"]);
        Assert.Contains(lines, l => l.Contains(",4,,\"the line holds an array, not an object\",[3]"));
        Assert.Contains(lines, l => l.Contains(",5,,the key 'id' appears twice,"));
    }

    [Fact]
    public async Task Truncated_json_is_an_error_with_its_line_and_byte()
    {
        _dir.Write("a.json", "[\n  {\"id\": 1},\n  {\"id\": 2,\n   \"name\": \"x");
        var ex = await Read("a.json").FailsAsync();
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(ex.Message, @"a\.json', line 4, byte \d+: the JSON ends too early"), ex.Message);
    }

    [Fact]
    public async Task A_syntax_error_in_an_array_is_an_error_with_its_line()
    {
        _dir.Write("a.json", "[\n  {\"id\": 1},\n  {\"id\": 2 \"x\": 3}\n]");
        var ex = await Read("a.json").FailsAsync();
        Assert.Contains("line 3, byte 12", ex.Message);
    }

    [Fact]
    public async Task A_document_that_is_not_an_array_of_objects_is_an_error()
    {
        _dir.Write("a.json", "[1, {\"id\": 2}]");
        var skip = await Read("a.json").With("on_error", "skip").ExecuteAsync();
        Assert.Equal([2L], skip.Rows.Select(r => r[0]));
        var ex = await Read("a.json").FailsAsync();
        Assert.Contains("record 1: the element is a number, not an object", ex.Message);
    }

    [Fact]
    public async Task Schema_parses_strings_and_a_value_that_does_not_fit_is_a_bad_row()
    {
        _dir.Write("a.jsonl", "{\"day\":\"2026-11-21\",\"n\":\"12\"}\n{\"day\":\"soon\",\"n\":\"1\"}\n");
        var ex = await Read("a.jsonl").With("schema", new Dictionary<string, object?> { ["day"] = "date", ["n"] = "integer" }).FailsAsync();
        Assert.Contains("line 2: column 'day': 'soon' is not date", ex.Message);
        var run = await Read("a.jsonl").With("schema", new Dictionary<string, object?> { ["day"] = "date", ["n"] = "integer" }).With("on_error", "skip").ExecuteAsync();
        Assert.Equal([new DateOnly(2026, 11, 21), 12L], run.Rows.Single());
    }

    [Fact]
    public async Task Mixed_number_kinds_widen_and_new_keys_add_columns_across_batches()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 10; i++) text.Append("{\"n\":").Append(i).Append("}\n");
        text.Append("{\"n\":2.5,\"extra\":\"x\"}\n");
        _dir.Write("a.jsonl", text.ToString());

        var run = await Read("a.jsonl").With("infer_rows", 5).With("batch_size", 4).ExecuteAsync();

        Assert.Equal(11, run.Rows.Count);
        Assert.Equal("n:Decimal, extra:String", run.Schema.ToString());
        Assert.Equal([2.5m, "x"], run.Rows[^1]);
    }

    [Fact]
    public async Task A_large_array_streams_through_a_small_buffer()
    {
        var text = new StringBuilder("[");
        for (var i = 0; i < 20_000; i++) text.Append(i > 0 ? "," : "").Append("{\"id\":").Append(i).Append(",\"text\":\"").Append(new string('x', i == 10_000 ? 200_000 : 10)).Append("\"}");
        text.Append(']');
        _dir.Write("big.json.gz", Gzip(text.ToString()));

        var run = await Read("big.json.gz").ExecuteAsync();

        Assert.Equal(20_000, run.Rows.Count);
        Assert.Equal(200_000, ((string)run.Rows[10_000][1]!).Length);
    }

    [Fact]
    public async Task A_bom_and_an_empty_file_are_handled()
    {
        _dir.Write("bom.jsonl", Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"a\":1}\n")).ToArray());
        Assert.Equal(1L, (await Read("bom.jsonl").ExecuteAsync()).Rows.Single()[0]);
        _dir.Write("empty.json", "  ");
        Assert.Empty((await Read("empty.json").ExecuteAsync()).Rows);
    }

    private static readonly RecordSchema Typed = new([
        new RecordField("id", FieldType.Integer), new RecordField("address.city", FieldType.String), new RecordField("address.zip", FieldType.String),
        new RecordField("amount", FieldType.Decimal), new RecordField("ratio", FieldType.Double), new RecordField("ok", FieldType.Boolean),
        new RecordField("day", FieldType.Date), new RecordField("at", FieldType.Timestamp)]);

    private static RecordBatch Sample() => new(Typed,
    [
        [1L, "Berlin", "10115", 12.50m, 0.5, true, new DateOnly(2026, 11, 21), new DateTimeOffset(2026, 11, 21, 8, 30, 0, TimeSpan.Zero)],
        [2L, null, "75001", -3m, double.NaN, false, null, null],
    ]);

    [Fact]
    public async Task Records_are_written_as_an_array_or_as_lines_by_name_and_read_back()
    {
        await Write("a.json", Sample()).ExecuteAsync();
        await Write("a.jsonl", Sample()).ExecuteAsync();

        Assert.StartsWith("[{\"id\":1,\"address.city\":\"Berlin\"", _dir.Read("a.json"));
        var lines = File.ReadAllLines(_dir["a.jsonl"]);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"id\":2,\"address.city\":null,\"address.zip\":\"75001\",\"amount\":-3,\"ratio\":null,\"ok\":false,\"day\":null,\"at\":null}", lines[1]);

        var back = await Read("a.jsonl").With("schema", new Dictionary<string, object?> { ["day"] = "date", ["at"] = "timestamp", ["ratio"] = "double" }).ExecuteAsync();
        Assert.Equal(Sample().Rows[0], back.Rows[0]);
    }

    [Fact]
    public async Task Nest_writes_nested_objects_and_indent_and_gzip_are_options()
    {
        await Write("a.json.gz", Sample()).With("nest", true).With("indent", true).ExecuteAsync();
        using var gzip = new GZipStream(File.OpenRead(_dir["a.json.gz"]), CompressionMode.Decompress);
        var text = new StreamReader(gzip).ReadToEnd();
        Assert.Contains("\"address\": {\n      \"city\": \"Berlin\",\n      \"zip\": \"10115\"\n    }", text.Replace("\r\n", "\n"));

        var ex = await Write("a.json.gz", Sample()).With("overwrite", false).FailsAsync(ErrorKind.Conflict);
        Assert.Contains("already exists", ex.Message);
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
            gzip.Write(Encoding.UTF8.GetBytes(text));
        return output.ToArray();
    }
}
