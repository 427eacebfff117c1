using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class AggregateStepTests
{
    private static Table Sales() => new Table("country", "qty", "price", "day")
        .Row("DE", 2L, 1.5m, "2026-11-01")
        .Row("FR", 1L, 10m, "2026-11-02")
        .Row("DE", 3L, "2.5", "2026-11-03")
        .Row("DE", null, 4m, "2026-11-04")
        .Row("FR", 5L, 1m, "2026-10-30");

    private static Dictionary<string, object?> All() => new()
    {
        ["rows"] = "count(*)",
        ["with_qty"] = "count(qty)",
        ["qty"] = "sum(qty)",
        ["revenue"] = "sum(qty * price)",
        ["cheapest"] = "min(price)",
        ["dearest"] = "max(price)",
        ["avg_qty"] = "avg(qty)",
        ["first_day"] = "first(day)",
        ["last_day"] = "last(day)",
    };

    [Fact]
    public async Task Computes_every_function_per_group_in_order_of_first_appearance()
    {
        var run = await new TransformRun(new AggregateStep()).With("group_by", "country").With("aggregates", All()).Input("in", Sales()).RunAsync();

        Assert.Equal(["country", "rows", "with_qty", "qty", "revenue", "cheapest", "dearest", "avg_qty", "first_day", "last_day"], run.Columns);
        Assert.Equal(["DE", 3L, 2L, 5L, 10.5m, 1.5m, 4m, 2.5m, "2026-11-01", "2026-11-04"], run.Rows[0]);
        Assert.Equal(["FR", 2L, 2L, 6L, 15m, 1m, 10m, 3m, "2026-11-02", "2026-10-30"], run.Rows[1]);
        Assert.Equal(FieldType.Integer, run.Schema.Fields[1].Type);
    }

    [Fact]
    public async Task Without_group_by_all_rows_are_one_group_and_no_rows_give_one_row()
    {
        var run = await new TransformRun(new AggregateStep()).With("aggregates", new Dictionary<string, object?> { ["n"] = "count(*)", ["total"] = "sum(qty)" }).Input("in", Sales()).RunAsync();
        var empty = await new TransformRun(new AggregateStep()).With("aggregates", new Dictionary<string, object?> { ["n"] = "count(*)", ["total"] = "sum(qty)" }).Input("in", new Table("qty")).RunAsync();

        Assert.Equal([[5L, 11L]], run.Rows);
        Assert.Equal([[0L, null]], empty.Rows);
    }

    [Fact]
    public async Task An_integer_sum_that_overflows_goes_on_as_a_decimal()
    {
        var table = new Table("v").Row(long.MaxValue).Row(long.MaxValue);

        var run = await new TransformRun(new AggregateStep()).With("aggregates", new Dictionary<string, object?> { ["s"] = "sum(v)" }).Input("in", table).RunAsync();

        Assert.Equal(2m * long.MaxValue, run.Rows[0][0]);
    }

    [Fact]
    public async Task A_bad_argument_expression_is_reported_at_its_column_in_the_aggregate()
    {
        var ex = await new TransformRun(new AggregateStep()).With("aggregates", new Dictionary<string, object?> { ["t"] = "sum(qty * prise)" }).Input("in", Sales()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("'t' in 'aggregates'", ex.Message);
        Assert.Contains("unknown name 'prise'; did you mean 'price'? at column 11", ex.Message);
        Assert.Contains("sum(qty * prise)", ex.Message);
    }

    [Theory]
    [InlineData("median(qty)")]
    [InlineData("sum(*)")]
    [InlineData("qty")]
    [InlineData("sum()")]
    public async Task An_unknown_function_or_form_is_refused_with_the_forms_that_work(string aggregate)
    {
        var ex = await new TransformRun(new AggregateStep()).With("aggregates", new Dictionary<string, object?> { ["t"] = aggregate }).Input("in", Sales()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("'t' in 'aggregates'", ex.Message);
    }

    [Fact]
    public async Task Text_that_is_not_a_number_fails_a_sum_with_its_row()
    {
        var table = new Table("v").Row("1").Row("x");

        var ex = await new TransformRun(new AggregateStep()).With("aggregates", new Dictionary<string, object?> { ["s"] = "sum(v)" }).Input("in", table).FailsAsync(ErrorKind.Validation);

        Assert.StartsWith("Row 2:", ex.Message);
        Assert.Contains("cannot use 'x' as a number", ex.Message);
    }

    [Fact]
    public async Task Past_the_budget_partial_groups_spill_to_disk_and_combine_to_the_same_answer()
    {
        using var temp = new TempDirectory();
        const int count = 40_000;
        const int groups = 3_000;
        var schema = RecordSchema.Of("g", "v", "seq");
        Func<long, object?[]> row = i => [$"group-{i * 7 % groups}", i % 10, i];
        var aggregates = new Dictionary<string, object?>
        {
            ["n"] = "count(*)", ["s"] = "sum(v)", ["lo"] = "min(seq)", ["hi"] = "max(seq)", ["a"] = "avg(v)", ["f"] = "first(seq)", ["l"] = "last(seq)",
        };

        var spilled = await new TransformRun(new AggregateStep())
            .With("group_by", "g").With("aggregates", aggregates).With("memory_budget", "128KB").With("temp_directory", temp.Path)
            .Input("in", Generated.Rows(schema, count, row)).RunAsync();
        var inMemory = await new TransformRun(new AggregateStep())
            .With("group_by", "g").With("aggregates", aggregates)
            .Input("in", Generated.Rows(schema, count, row)).RunAsync();

        Assert.Equal(true, spilled.Result("spilled"));
        Assert.Null(inMemory.Result("spilled"));
        Assert.Equal(groups, spilled.Rows.Count);
        var expected = inMemory.Rows.ToDictionary(r => (string)r[0]!, r => r);
        Assert.All(spilled.Rows, r => Assert.Equal(expected[(string)r[0]!], r));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }
}
