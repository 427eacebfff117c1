using Pipeline.Core.Execution;
using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class DeriveStepTests
{
    private static Table Lines() => new Table("qty", "price").Row(2L, 1.5m).Row(3L, 10m).Row(1L, null);

    [Fact]
    public async Task Adds_computed_columns_in_order_and_a_later_one_may_use_an_earlier_one()
    {
        var run = await new TransformRun(new DeriveStep())
            .With("columns", new Dictionary<string, object?> { ["total"] = "qty * price", ["large"] = "total >= 10" })
            .Input("in", Lines()).RunAsync();

        Assert.Equal(["qty", "price", "total", "large"], run.Columns);
        Assert.Equal([3.0m, 30m, null], run.Column("total"));
        Assert.Equal([false, true, null], run.Column("large"));
        Assert.Equal(FieldType.Boolean, run.Schema.Fields[3].Type);
    }

    [Fact]
    public async Task A_column_of_an_existing_name_is_replaced_in_place()
    {
        var table = Lines();
        var run = await new TransformRun(new DeriveStep()).With("columns", new Dictionary<string, object?> { ["qty"] = "qty + 1" }).Input("in", table).RunAsync();

        Assert.Equal(["qty", "price"], run.Columns);
        Assert.Equal([3L, 4L, 2L], run.Column("qty"));
        Assert.Equal(2L, table.Rows[0][0]);
    }

    [Fact]
    public async Task A_bad_expression_names_its_column_and_position()
    {
        var ex = await new TransformRun(new DeriveStep())
            .With("columns", new Dictionary<string, object?> { ["total"] = "qty * prise" })
            .Input("in", Lines()).FailsAsync(ErrorKind.Configuration);

        Assert.Contains("'total' in 'columns'", ex.Message);
        Assert.Contains("unknown name 'prise'; did you mean 'price'? at column 7", ex.Message);
    }

    [Fact]
    public async Task A_division_by_zero_fails_with_the_row()
    {
        var table = new Table("a", "b").Row(1L, 1L).Row(1L, 0L);

        var ex = await new TransformRun(new DeriveStep()).With("columns", new Dictionary<string, object?> { ["q"] = "a / b" }).Input("in", table).FailsAsync(ErrorKind.Validation);

        Assert.StartsWith("Row 2:", ex.Message);
        Assert.Contains("division by zero", ex.Message);
    }
}
