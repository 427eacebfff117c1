using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class LimitStepTests
{
    [Fact]
    public async Task Passes_the_first_rows_after_the_offset()
    {
        var table = new Table("n").AddRows(Enumerable.Range(1, 10).Select(i => new object?[] { (long)i }));

        var run = await new TransformRun(new LimitStep()) { BatchSize = 3 }.With("count", "4").With("offset", "2").Input("in", table).RunAsync();

        Assert.Equal([3L, 4L, 5L, 6L], run.Column("n"));
    }

    [Fact]
    public async Task Stops_reading_once_it_has_its_rows()
    {
        var produced = 0L;
        var run = await new TransformRun(new LimitStep()).With("count", "5")
            .Input("in", Generated.Rows(RecordSchema.Of("n"), 1_000_000, i => { produced = i; return [i]; }, batchSize: 10))
            .RunAsync();

        Assert.Equal(5, run.Rows.Count);
        Assert.True(produced < 100, $"read {produced} rows");
    }

    [Fact]
    public async Task A_negative_count_is_refused()
    {
        var ex = await new TransformRun(new LimitStep()).With("count", "-1").Input("in", new Table("n")).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("'count'", ex.Message);
    }
}
