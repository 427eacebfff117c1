using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Tests.Expressions;

public sealed class CompiledExpressionTests
{
    [Theory]
    [InlineData("1 + 1", FieldType.Integer)]
    [InlineData("7 / 2", FieldType.Decimal)]
    [InlineData("1 + 1e0", FieldType.Double)]
    [InlineData("x + 1", FieldType.Any)]
    [InlineData("x", FieldType.Any)]
    [InlineData("x > 1", FieldType.Boolean)]
    [InlineData("x IS NULL", FieldType.Boolean)]
    [InlineData("lower(x)", FieldType.String)]
    [InlineData("x || 'a'", FieldType.String)]
    [InlineData("length(x)", FieldType.Integer)]
    [InlineData("parse_date(x)", FieldType.Date)]
    [InlineData("date_add('day', 1, DATE '2026-01-01')", FieldType.Date)]
    [InlineData("date_add('hour', 1, DATE '2026-01-01')", FieldType.Timestamp)]
    [InlineData("coalesce(x, 'a')", FieldType.Any)]
    [InlineData("CAST(x AS decimal)", FieldType.Decimal)]
    public void Result_type_is_inferred_where_it_can_be(string text, FieldType expected) =>
        Assert.Equal(expected, ExpressionCompiler.Compile(text, ["x"]).ResultType);

    [Fact]
    public void Text_is_kept_as_written()
    {
        var compiled = ExpressionCompiler.Compile(" amount > 1 ", ["amount"]);
        Assert.Equal(" amount > 1 ", compiled.Text);
        Assert.Equal(" amount > 1 ", compiled.ToString());
    }

    [Fact]
    public void IsTrue_on_an_expression_that_gives_a_number_is_a_type_error()
    {
        var compiled = ExpressionCompiler.Compile("x + 1", ["x"]);
        Assert.Equal(2L, compiled.Evaluate([1L]));
        Assert.Equal(ExpressionErrorKind.Type, Assert.Throws<ExpressionException>(() => compiled.IsTrue([1L])).Kind);
        Assert.Equal(ExpressionErrorKind.Type, Assert.Throws<ExpressionException>(() => ExpressionCompiler.Compile("DATE '2026-01-01'", []).IsTrue([])).Kind);
    }

    [Fact]
    public void CompileCondition_refuses_an_expression_that_cannot_be_true_or_false()
    {
        var e = Assert.Throws<ExpressionException>(() => ExpressionCompiler.CompileCondition("amount * 2", ["amount"]));
        Assert.Equal(ExpressionErrorKind.Type, e.Kind);
        Assert.Equal(1, e.Column);
        Assert.Contains("a number, not true or false", e.Reason);
    }

    [Fact]
    public void CompileCondition_accepts_comparisons_and_values_that_may_be_booleans()
    {
        Assert.True(ExpressionCompiler.CompileCondition("x > 1", ["x"]).IsTrue([2L]));
        Assert.True(ExpressionCompiler.CompileCondition("vars.run_load", ["vars.run_load"]).IsTrue(["true"]));
        Assert.False(ExpressionCompiler.CompileCondition("NULL", []).IsTrue([]));
    }

    [Fact]
    public void Evaluate_boxes_booleans_without_allocating_new_boxes()
    {
        var compiled = ExpressionCompiler.Compile("x > 1", ["x"]);
        Assert.Same(compiled.Evaluate([2L]), compiled.Evaluate([3L]));
    }

    [Fact]
    public void One_compiled_expression_serves_several_threads()
    {
        var compiled = ExpressionCompiler.Compile("CASE WHEN x % 2 = 0 THEN 'even' ELSE 'odd' END || '-' || lpad(x, 4, '0')", ["x"]);
        var results = new string[10_000];
        Parallel.For(0, results.Length, i => results[i] = (string)compiled.Evaluate([(long)i])!);
        Assert.Equal("even-0042", results[42]);
        Assert.Equal("odd-9999", results[9999]);
    }
}
