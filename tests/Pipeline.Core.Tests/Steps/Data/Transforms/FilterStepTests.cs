using Pipeline.Core.Execution;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class FilterStepTests
{
    private static Table Orders() => new Table("id", "amount", "country")
        .Row(1L, 600m, "DE")
        .Row(2L, 100m, "DE")
        .Row(3L, 900m, "FR")
        .Row(4L, null, "DE")
        .Row(5L, "750", "DE");

    [Fact]
    public async Task Keeps_the_rows_whose_condition_is_true_and_drops_null_as_not_true()
    {
        var run = await new TransformRun(new FilterStep()).With("where", "amount > 500 and country = 'DE'").Input("orders", Orders()).RunAsync();

        Assert.Equal([1L, 5L], run.Column("id"));
        Assert.Equal(2, run.Context.Metrics.Rows);
        Assert.Equal(3L, run.Result("rows_dropped"));
    }

    [Fact]
    public async Task Rows_pass_through_uncopied_and_a_batch_that_passes_whole_is_passed_on_as_it_is()
    {
        var table = Orders();
        var run = await new TransformRun(new FilterStep()) { BatchSize = 5 }.With("where", "id > 0").Input("orders", table).RunAsync();

        Assert.Single(run.Output.Batches);
        Assert.Same(table.Rows[0], run.Rows[0]);
    }

    [Fact]
    public async Task A_bad_expression_is_a_configuration_error_with_its_column()
    {
        var ex = await new TransformRun(new FilterStep()).With("where", "amount > 500 and contry = 'DE'").Input("orders", Orders()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("the option 'where'", ex.Message);
        Assert.Contains("unknown name 'contry'; did you mean 'country'? at column 18", ex.Message);
        Assert.Contains("                 ^", ex.Message);
    }

    [Fact]
    public async Task A_condition_that_gives_no_boolean_is_refused_before_any_row()
    {
        var ex = await new TransformRun(new FilterStep()).With("where", "amount * 2").Input("orders", Orders()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("at column", ex.Message);
        Assert.Empty(new TransformRun(new FilterStep()).Output.Batches);
    }

    [Fact]
    public async Task A_value_that_cannot_be_used_fails_with_its_row_number()
    {
        var table = new Table("amount").Row("10").Row("20").Row("abc");

        var ex = await new TransformRun(new FilterStep()).With("where", "amount > 5").Input("orders", table).FailsAsync(ErrorKind.Validation);

        Assert.StartsWith("Row 3:", ex.Message);
        Assert.Contains("cannot use 'abc' as a number", ex.Message);
    }

    [Fact]
    public async Task A_step_without_an_input_says_so()
    {
        var ex = await new TransformRun(new FilterStep()).With("where", "true").FailsAsync(ErrorKind.Configuration);

        Assert.Contains("reads at least one input", ex.Message);
    }

    [Fact]
    public async Task Batches_with_another_schema_are_compiled_again()
    {
        var first = new Table("a", "b").Row(1L, 2L);
        var second = new Table("b", "a").Row(5L, 1L).Row(5L, 0L);

        var run = await new TransformRun(new FilterStep()).With("where", "a = 1").Input("x", first).Input("y", second).RunAsync();

        Assert.Equal([1L, 1L], run.Column("a"));
        Assert.Equal([2L, 5L], run.Column("b"));
    }
}
