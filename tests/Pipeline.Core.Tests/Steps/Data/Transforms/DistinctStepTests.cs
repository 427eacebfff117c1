using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class DistinctStepTests
{
    [Fact]
    public async Task Keeps_the_first_row_of_each_whole_row_value()
    {
        var table = new Table("a", "b").Row(1L, "x").Row(1L, "x").Row(1L, "y").Row(1L, "x").Row(null, null).Row(null, null);

        var run = await new TransformRun(new DistinctStep()).Input("in", table).RunAsync();

        Assert.Equal([[1L, "x"], [1L, "y"], [null, null]], run.Rows);
    }

    [Fact]
    public async Task By_key_equal_numbers_of_different_types_are_one_key()
    {
        var table = new Table("id", "v").Row(1L, "first").Row(1.0m, "second").Row(1.0, "third").Row(2, "fourth").Row("1", "text is not a number");

        var run = await new TransformRun(new DistinctStep()).With("by", "id").Input("in", table).RunAsync();

        Assert.Equal(["first", "fourth", "text is not a number"], run.Column("v"));
    }

    [Fact]
    public async Task Past_the_budget_new_keys_wait_on_disk_and_the_result_is_still_distinct()
    {
        using var temp = new TempDirectory();
        const int count = 30_000;
        var schema = RecordSchema.Of("key", "seq");

        var run = await new TransformRun(new DistinctStep())
            .With("by", "key").With("memory_budget", "32KB").With("temp_directory", temp.Path)
            .Input("in", Generated.Rows(schema, count, i => [i % 7919, i]))
            .RunAsync();

        var rows = run.Rows;
        Assert.Equal(7919, rows.Count);
        Assert.Equal(7919, rows.Select(r => (long)r[0]!).Distinct().Count());
        Assert.All(rows, r => Assert.Equal((long)r[0]!, (long)r[1]!)); // the first row of each key
        Assert.True((long)run.Result("spilled_rows")! > 0);
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }
}
