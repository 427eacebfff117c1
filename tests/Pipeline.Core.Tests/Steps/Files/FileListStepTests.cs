using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Files;

namespace Pipeline.Core.Tests.Steps.Files;

public sealed class FileListStepTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private StepRun List(string path, CollectingRecordWriter? output = null) =>
        new StepRun(new FileListStep(), _dir.Path) { Output = output }.With("path", path);

    [Fact]
    public async Task Entries_are_written_as_typed_records()
    {
        var file = _dir.Write("in/report final.csv", "12345");
        var time = new DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, time);
        _dir.CreateDirectory("in/sub");
        var output = new CollectingRecordWriter();

        var run = await List("in", output).ExecuteAsync();

        var schema = output.Batches.Single().Schema;
        Assert.Equal("name:String, path:String, directory:String, length:Integer, last_write_time:Timestamp, is_directory:Boolean, extension:String", schema.ToString());
        var rows = output.Rows.OrderBy(r => (string)r[0]!, StringComparer.Ordinal).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal(["report final.csv", file, _dir["in"], 5L, new DateTimeOffset(time), false, ".csv"], rows[0]);
        Assert.Equal("sub", rows[1][0]);
        Assert.Equal(true, rows[1][schema.IndexOf("is_directory")]);
        Assert.Equal("", rows[1][schema.IndexOf("extension")]);
        Assert.Equal(2L, run.Result("count"));
        Assert.Equal(2, run.Context.Metrics.Rows);
    }

    [Fact]
    public async Task Pattern_and_recursive_choose_the_entries()
    {
        _dir.Write("in/a.csv", "");
        _dir.Write("in/b.txt", "");
        _dir.Write("in/sub/c.csv", "");
        var flat = new CollectingRecordWriter();
        var deep = new CollectingRecordWriter();

        await List("in", flat).With("pattern", "*.csv").ExecuteAsync();
        await List("in", deep).With("pattern", "*.csv").With("recursive", true).ExecuteAsync();

        Assert.Equal(["a.csv"], flat.Rows.Select(r => (string)r[0]!));
        Assert.Equal(["a.csv", "c.csv"], deep.Rows.Select(r => (string)r[0]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_large_directory_is_written_in_several_batches()
    {
        for (var i = 0; i < 1500; i++)
            _dir.Write($"many/f{i:0000}.dat", "");
        var output = new CollectingRecordWriter();

        var run = await List("many", output).ExecuteAsync();

        Assert.Equal(2, output.Batches.Count);
        Assert.Equal(1500, output.Rows.Count());
        Assert.Equal(1500L, run.Result("count"));
    }

    [Fact]
    public async Task Entries_on_another_file_system_carry_their_uri()
    {
        _dir.Write("remote/in/a.csv", "abc");
        var output = new CollectingRecordWriter();

        var run = List("disk2://etl@files.example/in", output);
        run.FileSystems = SecondDiskProvider.Registry(_dir["remote"]);
        await run.ExecuteAsync();

        var row = output.Rows.Single();
        Assert.Equal("disk2://etl@files.example/in/a.csv", row[1]);
        Assert.Equal("disk2://etl@files.example/in", row[2]);
        Assert.Equal(3L, row[3]);
    }

    [Fact]
    public async Task Without_a_consumer_the_entries_are_only_counted()
    {
        _dir.Write("in/a.txt", "");

        var run = await List("in").ExecuteAsync();

        Assert.Equal(1L, run.Result("count"));
    }

    [Fact]
    public async Task A_missing_directory_is_NotFound_and_a_file_is_a_configuration_error()
    {
        _dir.Write("file.txt", "");

        var missing = await List("nope").FailsAsync(ErrorKind.NotFound);
        Assert.Contains(_dir["nope"], missing.Message);
        await List("file.txt").FailsAsync(ErrorKind.Configuration);
    }

    [Fact]
    public async Task A_malformed_pattern_is_a_configuration_error()
    {
        _dir.CreateDirectory("in");

        var ex = await List("in").With("pattern", "data[.csv").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("pattern", ex.Message);
    }

    [Fact]
    public void The_type_says_it_produces_records() => Assert.True(new FileListStep().Info.ProducesRecords);
}
