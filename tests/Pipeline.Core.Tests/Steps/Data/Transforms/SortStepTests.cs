using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class SortStepTests
{
    [Fact]
    public async Task Sorts_by_several_keys_ascending_and_descending_with_nulls_placed_as_in_postgresql()
    {
        var table = new Table("country", "amount", "id")
            .Row("DE", 5m, 1L).Row("AT", 7L, 2L).Row("DE", null, 3L).Row("DE", 9.5, 4L).Row("AT", 1L, 5L);

        var run = await new TransformRun(new SortStep()).With("by", new object?[] { "country", "amount desc" }).Input("in", table).RunAsync();

        // Numbers of different types compare by value; NULL comes first in descending order.
        Assert.Equal([2L, 5L, 3L, 4L, 1L], run.Column("id"));
    }

    [Fact]
    public async Task Nulls_last_and_first_can_be_asked_for()
    {
        var table = new Table("v").Row(2L).Row([null]).Row(1L);

        var first = await new TransformRun(new SortStep()).With("by", "v asc nulls first").Input("in", table).RunAsync();
        var last = await new TransformRun(new SortStep()).With("by", "v desc nulls last").Input("in", table).RunAsync();

        Assert.Equal([null, 1L, 2L], first.Column("v"));
        Assert.Equal([2L, 1L, null], last.Column("v"));
    }

    [Fact]
    public async Task The_sort_is_stable()
    {
        var table = new Table("k", "seq").AddRows(Enumerable.Range(0, 40).Select(i => new object?[] { (long)(i % 3), (long)i }));

        var run = await new TransformRun(new SortStep()).With("by", "k").Input("in", table).RunAsync();

        var rows = run.Rows;
        for (var i = 1; i < rows.Count; i++)
        {
            if ((long)rows[i][0]! == (long)rows[i - 1][0]!) Assert.True((long)rows[i][1]! > (long)rows[i - 1][1]!);
        }
    }

    [Fact]
    public async Task Past_the_memory_budget_it_sorts_through_runs_on_disk_and_merges_them()
    {
        using var temp = new TempDirectory();
        const int count = 20_000;
        var random = new Random(7);
        var keys = Enumerable.Range(0, count).Select(_ => random.Next(0, 5000)).ToArray();
        var schema = RecordSchema.Of("key", "seq", "text");

        var run = await new TransformRun(new SortStep()) { WorkingDirectory = temp.Path }
            .With("by", new object?[] { "key desc" })
            .With("memory_budget", "32KB")
            .With("temp_directory", "spill")
            .Input("in", Generated.Rows(schema, count, i => [(long)keys[i], i, $"row {i}"]))
            .RunAsync();

        var rows = run.Rows;
        Assert.Equal(count, rows.Count);
        var expected = Enumerable.Range(0, count).OrderByDescending(i => keys[i]).ToArray(); // OrderBy is stable
        Assert.Equal(expected.Select(i => (long)i), rows.Select(r => (long)r[1]!));
        Assert.True((int)run.Result("spilled_runs")! > SortStep.MaxMergeWidth, $"{run.Result("spilled_runs")} runs: the merge passes are exercised");
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp["spill"]));
    }

    [Fact]
    public async Task Spilled_values_keep_their_types()
    {
        using var temp = new TempDirectory();
        var values = new object?[] { "text", 42L, 7, 1.25m, 2.5, true, new DateOnly(2026, 11, 21), new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.FromHours(2)), null };
        var table = new Table("k", "v").AddRows(values.Select((v, i) => new object?[] { (long)(values.Length - i), v }));

        var run = await new TransformRun(new SortStep()) { WorkingDirectory = temp.Path, BatchSize = 1 }
            .With("by", "k").With("memory_budget", "100").With("temp_directory", temp.Path).Input("in", table).RunAsync();

        Assert.Equal(Enumerable.Reverse(values), run.Column("v"));
        Assert.Equal(Enumerable.Reverse(values).Select(v => v?.GetType()), run.Column("v").Select(v => v?.GetType()));
    }

    [Fact]
    public async Task A_key_that_is_not_a_column_is_refused()
    {
        var ex = await new TransformRun(new SortStep()).With("by", "amont desc").Input("in", new Table("amount").Row(1L)).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("did you mean 'amount'?", ex.Message);
    }

    [Fact]
    public async Task A_bad_budget_is_refused_with_the_option_name()
    {
        var ex = await new TransformRun(new SortStep()).With("by", "a").With("memory_budget", "lots").Input("in", new Table("a").Row(1L)).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("memory_budget", ex.Message);
    }
}
