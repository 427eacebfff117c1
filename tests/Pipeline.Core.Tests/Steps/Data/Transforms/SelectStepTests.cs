using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class SelectStepTests
{
    private static Table People() => new Table("id", "name", "born", "score", "note")
        .Row("1", "Ada", "1815-12-10", "9.5", "x")
        .Row("2", "Alan", "1912-06-23", "8", "y");

    [Fact]
    public async Task Picks_columns_in_the_order_given()
    {
        var run = await new TransformRun(new SelectStep()).With("columns", new object?[] { "name", "id" }).Input("in", People()).RunAsync();

        Assert.Equal(["name", "id"], run.Columns);
        Assert.Equal(["Ada", "1"], run.Rows[0]);
    }

    [Fact]
    public async Task Excludes_renames_and_casts_with_the_rules_of_cast()
    {
        var run = await new TransformRun(new SelectStep())
            .With("exclude", new object?[] { "note" })
            .With("rename", new Dictionary<string, object?> { ["score"] = "points" })
            .With("cast", new Dictionary<string, object?> { ["id"] = "integer", ["born"] = "date", ["points"] = "decimal(10, 1)" })
            .Input("in", People()).RunAsync();

        Assert.Equal(["id", "name", "born", "points"], run.Columns);
        Assert.Equal([1L, "Ada", new DateOnly(1815, 12, 10), 9.5m], run.Rows[0]);
        Assert.Equal([2L, "Alan", new DateOnly(1912, 6, 23), 8.0m], run.Rows[1]);
        Assert.Equal([FieldType.Integer, FieldType.Any, FieldType.Date, FieldType.Decimal], run.Schema.Fields.Select(f => f.Type));
    }

    [Fact]
    public async Task Input_rows_are_not_changed()
    {
        var table = People();
        await new TransformRun(new SelectStep()).With("cast", new Dictionary<string, object?> { ["id"] = "integer" }).Input("in", table).RunAsync();

        Assert.Equal("1", table.Rows[0][0]);
    }

    [Fact]
    public async Task An_unknown_column_is_named_with_the_closest_one()
    {
        var ex = await new TransformRun(new SelectStep()).With("columns", new object?[] { "nmae" }).Input("in", People()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("'columns' names the column 'nmae'", ex.Message);
        Assert.Contains("did you mean 'name'?", ex.Message);
    }

    [Fact]
    public async Task An_unknown_type_is_a_configuration_error()
    {
        var ex = await new TransformRun(new SelectStep()).With("cast", new Dictionary<string, object?> { ["id"] = "integr" }).Input("in", People()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("'integr'", ex.Message);
    }

    [Fact]
    public async Task A_value_that_does_not_cast_fails_with_its_row_and_column()
    {
        var table = new Table("n").Row("1").Row("4.5");

        var ex = await new TransformRun(new SelectStep()).With("cast", new Dictionary<string, object?> { ["n"] = "integer" }).Input("in", table).FailsAsync(ErrorKind.Validation);

        Assert.StartsWith("Row 2, column 'n': cannot cast '4.5' to an integer", ex.Message);
    }

    [Fact]
    public async Task Two_columns_renamed_to_one_name_are_refused()
    {
        var ex = await new TransformRun(new SelectStep()).With("rename", new Dictionary<string, object?> { ["note"] = "name" }).Input("in", People()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("two columns the name 'name'", ex.Message);
    }
}
