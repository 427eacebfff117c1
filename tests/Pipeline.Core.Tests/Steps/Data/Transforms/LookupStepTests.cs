using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class LookupStepTests
{
    private static Table Orders() => new Table("order_id", "country").Row(1L, "DE").Row(2L, "XX").Row(3L, "FR").Row(4L, "DE");

    private static Table Countries() => new Table("code", "name", "currency").Row("DE", "Germany", "EUR").Row("FR", "France", "EUR");

    private static TransformRun Lookup() => new TransformRun(new LookupStep())
        .With("on", new Dictionary<string, object?> { ["country"] = "code" })
        .Input("orders", Orders()).Input("countries", Countries());

    [Fact]
    public async Task Adds_the_columns_of_the_matching_row_and_keeps_rows_without_one()
    {
        var run = await Lookup().RunAsync();

        Assert.Equal(["order_id", "country", "name", "currency"], run.Columns);
        Assert.Equal(["Germany", null, "France", "Germany"], run.Column("name"));
        Assert.Equal(1L, run.Result("unmatched"));
    }

    [Fact]
    public async Task Fields_chooses_the_columns_and_missing_drop_drops_unmatched_rows()
    {
        var run = await Lookup().With("fields", "currency").With("missing", "drop").RunAsync();

        Assert.Equal(["order_id", "country", "currency"], run.Columns);
        Assert.Equal([1L, 3L, 4L], run.Column("order_id"));
    }

    [Fact]
    public async Task Missing_fail_names_the_row_and_key()
    {
        var ex = await Lookup().With("missing", "fail").FailsAsync(ErrorKind.Validation);

        Assert.Contains("Row 2", ex.Message);
        Assert.Contains("country = 'XX'", ex.Message);
    }

    [Fact]
    public async Task A_key_found_twice_fails_unless_first_or_last_is_chosen()
    {
        var twice = new Table("code", "name").Row("DE", "Germany").Row("DE", "Deutschland");
        TransformRun Run() => new TransformRun(new LookupStep()).With("on", new Dictionary<string, object?> { ["country"] = "code" }).Input("orders", Orders()).Input("c", twice);

        var ex = await Run().FailsAsync(ErrorKind.Validation);
        var first = await Run().With("duplicates", "first").RunAsync();
        var last = await Run().With("duplicates", "last").RunAsync();

        Assert.Contains("code = 'DE' more than once", ex.Message);
        Assert.Equal("Germany", first.Column("name")[0]);
        Assert.Equal("Deutschland", last.Column("name")[0]);
    }

    [Fact]
    public async Task A_lookup_table_past_the_budget_is_refused_naming_the_budget()
    {
        var big = Generated.Rows(RecordSchema.Of("code", "name"), 5_000, i => [$"C{i}", $"country {i}"]);

        var ex = await new TransformRun(new LookupStep()).With("on", new Dictionary<string, object?> { ["country"] = "code" }).With("memory_budget", "16KB")
            .Input("orders", Orders()).Input("c", big).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("The lookup input 'c'", ex.Message);
        Assert.Contains("16 KB (memory_budget)", ex.Message);
    }

    [Fact]
    public async Task From_names_the_lookup_input()
    {
        var run = await new TransformRun(new LookupStep()).With("on", new Dictionary<string, object?> { ["country"] = "code" }).With("from", "countries")
            .Input("countries", Countries()).Input("orders", Orders()).RunAsync();

        Assert.Equal(["order_id", "country", "name", "currency"], run.Columns);
    }
}
