using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class SplitStepTests
{
    private static Table Orders() => new Table("id", "amount", "country")
        .Row(1L, 20_000m, "DE").Row(2L, 50m, "DE").Row(3L, 15_000m, "FR").Row(4L, 10m, "FR").Row(5L, null, "AT");

    private static Dictionary<string, object?> Routes() => new() { ["large"] = "amount >= 10000", ["german"] = "country = 'DE'" };

    [Fact]
    public async Task Routes_each_row_to_the_first_route_it_meets_and_the_rest_to_the_main_output()
    {
        var run = new TransformRun(new SplitStep()).With("routes", Routes()).Input("in", Orders());
        var large = run.Named("large");
        var german = run.Named("german");

        await run.RunAsync();

        Assert.Equal([1L, 3L], large.Rows.Select(r => r[0]));
        Assert.Equal([2L], german.Rows.Select(r => r[0]));
        Assert.Equal([4L, 5L], run.Column("id"));
        Assert.Equal(2L, run.Result("rows_large"));
        Assert.Equal(2L, run.Result("rows_else"));
    }

    [Fact]
    public async Task Mode_all_sends_a_row_to_every_route_it_meets()
    {
        var run = new TransformRun(new SplitStep()).With("routes", Routes()).With("mode", "all").Input("in", Orders());
        var german = run.Named("german");

        await run.RunAsync();

        Assert.Equal([1L, 2L], german.Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task A_route_nobody_reads_is_counted_and_its_rows_go_nowhere()
    {
        var run = await new TransformRun(new SplitStep()).With("routes", Routes()).Input("in", Orders()).RunAsync();

        Assert.Equal(2L, run.Result("rows_large"));
        Assert.Equal([4L, 5L], run.Column("id"));
    }

    [Fact]
    public async Task Reading_a_route_that_does_not_exist_is_an_error_naming_the_routes()
    {
        var run = new TransformRun(new SplitStep()).With("routes", Routes()).Input("in", Orders());
        run.Named("larg");

        var ex = await run.FailsAsync(ErrorKind.Configuration);

        Assert.Contains("no route 'larg'; did you mean 'large'?", ex.Message);
    }

    [Fact]
    public async Task A_bad_condition_names_its_route_and_column()
    {
        var ex = await new TransformRun(new SplitStep()).With("routes", new Dictionary<string, object?> { ["big"] = "amount >>= 5" }).Input("in", Orders())
            .FailsAsync(ErrorKind.Configuration);

        Assert.Contains("the route 'big'", ex.Message);
        Assert.Contains("at column", ex.Message);
    }
}
