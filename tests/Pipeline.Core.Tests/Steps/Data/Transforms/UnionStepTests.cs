using Pipeline.Core.Records;
using Pipeline.Core.Steps.Data.Transforms;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

public sealed class UnionStepTests
{
    [Fact]
    public async Task Aligns_columns_by_name_and_fills_missing_ones_with_null()
    {
        var a = new Table("id", "name").Row(1L, "a").Row(2L, "b");
        var b = new Table("NAME", "id", "extra").Row("c", 3L, true);

        var run = await new TransformRun(new UnionStep()).Input("a", a).Input("b", b).RunAsync();

        Assert.Equal(["id", "name", "extra"], run.Columns);
        var rows = run.Rows.OrderBy(r => (long)r[0]!).ToList();
        Assert.Equal([1L, "a", null], rows[0]);
        Assert.Equal([3L, "c", true], rows[2]);
    }

    [Fact]
    public async Task Source_column_says_where_each_row_came_from_and_order_within_an_input_is_kept()
    {
        var a = new Table("n").AddRows(Enumerable.Range(0, 50).Select(i => new object?[] { (long)i }));
        var b = new Table("n").AddRows(Enumerable.Range(100, 50).Select(i => new object?[] { (long)i }));

        var run = await new TransformRun(new UnionStep()).With("source_column", "from").Input("a", a).Input("b", b).RunAsync();

        var rows = run.Rows;
        Assert.Equal(100, rows.Count);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), rows.Where(r => (string)r[1]! == "a").Select(r => (long)r[0]!));
        Assert.Equal(Enumerable.Range(100, 50).Select(i => (long)i), rows.Where(r => (string)r[1]! == "b").Select(r => (long)r[0]!));
    }

    [Fact]
    public async Task Types_that_differ_between_inputs_make_the_column_untyped()
    {
        var a = new Table(new RecordSchema([new RecordField("v", FieldType.Integer)])).Row(1L);
        var b = new Table(new RecordSchema([new RecordField("v", FieldType.String)])).Row("x");

        var run = await new TransformRun(new UnionStep()).Input("a", a).Input("b", b).RunAsync();

        Assert.Equal(FieldType.Any, run.Schema.Fields[0].Type);
    }

    [Fact]
    public async Task An_empty_input_does_not_hold_back_the_others()
    {
        var run = await new TransformRun(new UnionStep()).Input("a", new Table("x").Row(1L)).Input("b", new Table("y")).RunAsync();

        Assert.Equal([[1L]], run.Rows);
    }
}
