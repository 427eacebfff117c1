using Pipeline.Core.Expressions;

namespace Pipeline.Core.Tests.Expressions;

/// <summary>Values from CSV files and variables are often text: text meets numbers, booleans and dates by being read
/// as them, invariantly.</summary>
public sealed class CoercionTests
{
    [Theory]
    [InlineData("600", true)]
    [InlineData("500", false)]
    [InlineData("500.01", true)]
    [InlineData(" 501 ", true)]
    [InlineData("1e3", true)]
    [InlineData("-600", false)]
    [InlineData("+600", true)]
    public void Text_compared_with_a_number_is_read_as_a_number(string amount, bool expected) =>
        Assert.Equal(expected, Eval.IsTrue("amount > 500", ("amount", amount)));

    [Fact]
    public void Text_that_is_not_a_number_is_an_evaluation_error_naming_the_value_and_the_expression()
    {
        var e = Eval.EvaluationError("amount > 500 and country = 'DE'", ("amount", "abc"), ("country", "DE"));
        Assert.Equal(ExpressionErrorKind.Value, e.Kind);
        Assert.Equal(1, e.Column);
        Assert.Contains("'abc'", e.Reason);
        Assert.Contains("\"amount > 500\"", e.Reason);
        Assert.Contains("amount > 500 and country = 'DE'", e.Message);
    }

    [Theory]
    [InlineData("1,5")]
    [InlineData("1 000")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("0x10")]
    [InlineData("12abc")]
    public void Only_plain_invariant_numbers_are_read_from_text(string amount) =>
        Assert.Contains($"'{amount}'", Eval.EvaluationError("amount > 500", ("amount", amount)).Reason);

    [Fact]
    public void A_number_compared_with_text_reads_the_text_as_a_number()
    {
        Assert.True(Eval.IsTrue("amount > '500'", ("amount", 600L)));
        var e = Eval.EvaluationError("amount = 'abc'", ("amount", 600L));
        Assert.Contains("'abc'", e.Reason);
        Assert.Contains("600", e.Reason);
        Assert.Equal(8, e.Column);
    }

    [Fact]
    public void Two_text_values_compare_as_text()
    {
        Assert.True(Eval.IsTrue("a > b", ("a", "600"), ("b", "1000")));
        Assert.False(Eval.IsTrue("CAST(a AS int) > CAST(b AS int)", ("a", "600"), ("b", "1000")));
    }

    [Fact]
    public void A_constant_text_that_cannot_be_a_number_is_a_compile_error_at_the_text()
    {
        var e = Eval.CompileError("5 > 'abc'");
        Assert.Equal(5, e.Column);
        Assert.Equal(ExpressionErrorKind.Value, e.Kind);
    }

    [Fact]
    public void Text_in_arithmetic_is_read_as_a_number()
    {
        Assert.Equal(3L, Eval.Of("x + 1", ("x", "2")));
        Assert.Equal(3.5m, Eval.Of("x + 1", ("x", "2.5")));
        Assert.Equal(3.5m, Eval.Of("'2.5' + 1"));
    }

    [Fact]
    public void Numbers_of_any_CLR_type_compare_by_value()
    {
        Assert.True(Eval.IsTrue("a = b", ("a", 5), ("b", 5.0m)));
        Assert.True(Eval.IsTrue("a = b", ("a", 5L), ("b", 5.0d)));
        Assert.True(Eval.IsTrue("a < b", ("a", 1.5f), ("b", (byte)2)));
        Assert.True(Eval.IsTrue("a > 5", ("a", ulong.MaxValue)));
        Assert.True(Eval.IsTrue("a = 5", ("a", (short)5)));
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("TRUE", true)]
    [InlineData("yes", true)]
    [InlineData("1", true)]
    [InlineData("on", true)]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("0", false)]
    public void Text_spelling_a_boolean_counts_as_that_boolean(string flag, bool expected)
    {
        Assert.Equal(expected, Eval.IsTrue("flag", ("flag", flag)));
        Assert.Equal(expected, Eval.IsTrue("flag = TRUE", ("flag", flag)));
        Assert.Equal(!expected, Eval.IsTrue("NOT flag", ("flag", flag)));
    }

    [Fact]
    public void Text_that_is_not_a_boolean_is_an_error_when_used_as_one()
    {
        var e = Assert.Throws<ExpressionException>(() => Eval.IsTrue("vars.dry_run", ("vars.dry_run", "maybe")));
        Assert.Contains("'maybe'", e.Reason);
        Assert.Contains("true or false", e.Reason);
    }

    [Fact]
    public void Text_compared_with_a_date_is_read_as_a_date()
    {
        Assert.True(Eval.IsTrue("order_date >= DATE '2026-11-01'", ("order_date", "2026-11-21")));
        Assert.True(Eval.IsTrue("order_date = '2026-11-21'", ("order_date", new DateOnly(2026, 11, 21))));
        Assert.True(Eval.IsTrue("ts > '2026-11-21T09:00:00Z'", ("ts", new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero))));
        Assert.Contains("'21/11/2026'", Eval.EvaluationError("d > DATE '2026-01-01'", ("d", "21/11/2026")).Reason);
    }

    [Fact]
    public void DateTime_values_are_timestamps_and_unspecified_kind_means_UTC()
    {
        var unspecified = new DateTime(2026, 11, 21, 10, 0, 0, DateTimeKind.Unspecified);
        Assert.True(Eval.IsTrue("ts = TIMESTAMP '2026-11-21T10:00:00Z'", ("ts", unspecified)));
        Assert.True(Eval.IsTrue("ts = TIMESTAMP '2026-11-21T10:00:00Z'", ("ts", new DateTime(2026, 11, 21, 10, 0, 0, DateTimeKind.Utc))));
        Assert.True(Eval.IsTrue("ts > DATE '2026-11-21'", ("ts", unspecified)));
        Assert.True(Eval.IsTrue("d < ts", ("d", new DateOnly(2026, 11, 21)), ("ts", unspecified)));
    }

    [Fact]
    public void Kinds_that_cannot_meet_are_a_type_error_at_compile_time_at_the_operator()
    {
        var e = Eval.CompileError("DATE '2026-01-01' > 5");
        Assert.Equal(ExpressionErrorKind.Type, e.Kind);
        Assert.Equal(19, e.Column);
        Assert.Contains("cannot compare a date with", e.Reason);
    }

    [Fact]
    public void Row_values_that_cannot_meet_are_an_evaluation_error_naming_both()
    {
        var e = Eval.EvaluationError("a = b", ("a", true), ("b", new DateOnly(2026, 1, 1)));
        Assert.Contains("true", e.Reason);
        Assert.Contains("2026-01-01", e.Reason);
        Assert.Equal(3, e.Column);
    }

    [Fact]
    public void A_boolean_used_as_a_number_is_an_error()
    {
        Assert.Equal(ExpressionErrorKind.Type, Eval.CompileError("TRUE + 1").Kind);
        Assert.Contains("cannot use true as a number", Eval.EvaluationError("flag + 1", ("flag", true)).Reason);
    }

    [Fact]
    public void A_number_used_as_a_condition_is_a_type_error_suggesting_a_comparison()
    {
        var e = Eval.CompileError("1 AND TRUE");
        Assert.Equal(1, e.Column);
        Assert.Contains("x > 0", e.Reason);
    }

    [Fact]
    public void A_value_of_another_CLR_type_meets_text_as_its_text()
    {
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        Assert.True(Eval.IsTrue("id = '0f8fad5b-d9cb-469f-a165-70867728950e'", ("id", id)));
    }
}
