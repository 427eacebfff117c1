using Pipeline.Core.Expressions;

namespace Pipeline.Core.Tests.Expressions;

/// <summary>Every error says what is wrong and the column (1-based character position) where it is.</summary>
public sealed class ErrorTests
{
    [Fact]
    public void Message_gives_the_column_and_shows_the_text_with_a_caret()
    {
        var e = Eval.CompileError("amount > (500))", "amount");
        Assert.Equal(ExpressionErrorKind.Syntax, e.Kind);
        Assert.Equal(15, e.Column);
        Assert.Equal("unexpected ')'", e.Reason);
        Assert.Equal("amount > (500))", e.ExpressionText);
        Assert.Equal(string.Join(Environment.NewLine,
            "unexpected ')' at column 15",
            "  amount > (500))",
            "                ^"), e.Message);
    }

    [Fact]
    public void Caret_for_an_unexpected_end_sits_just_past_the_text()
    {
        var e = Eval.CompileError("1 +");
        Assert.Equal(4, e.Column);
        Assert.EndsWith("  1 +" + Environment.NewLine + "     ^", e.Message);
    }

    [Fact]
    public void Multi_line_expression_shows_the_line_of_the_error_and_counts_columns_through_the_whole_text()
    {
        var text = "amount > 500\n  and country = 'DE\n  and x = 1";
        var e = Eval.CompileError(text, "amount", "country", "x");
        Assert.Equal(30, e.Column);
        Assert.Equal(string.Join(Environment.NewLine,
            "unterminated string starting at column 30",
            "    and country = 'DE",
            "                  ^"), e.Message);
    }

    [Theory]
    [InlineData("amount > (500))", 15, "unexpected ')'")]
    [InlineData("1 + 2)", 6, "unexpected ')'")]
    [InlineData("'abc", 1, "unterminated string starting")]
    [InlineData("x = 'abc", 5, "unterminated string starting")]
    [InlineData("x = 'it''s", 5, "unterminated string starting")]
    [InlineData("\"first name", 1, "unterminated quoted name starting")]
    [InlineData("x + [first name", 5, "unterminated quoted name starting")]
    [InlineData("\"\" = 1", 1, "empty quoted name")]
    [InlineData("1 +", 4, "unexpected end of expression")]
    [InlineData("(1 + 2", 1, "unclosed '('")]
    [InlineData("lower(x", 6, "unclosed '('")]
    [InlineData("lower(x y)", 9, "expected ')' or ','")]
    [InlineData("", 1, "empty expression")]
    [InlineData("   ", 1, "empty expression")]
    [InlineData("x # 1", 3, "unexpected character '#'")]
    [InlineData("x && y", 3, "write AND")]
    [InlineData("x | y", 3, "write OR")]
    [InlineData("!x", 1, "write NOT")]
    [InlineData("1 < x < 5", 7, "comparisons do not chain")]
    [InlineData("x = 1 = 2", 7, "comparisons do not chain")]
    [InlineData("CASE WHEN x THEN 1", 1, "CASE without END")]
    [InlineData("CASE x = 1 THEN 2 END", 12, "expected WHEN")]
    [InlineData("CASE WHEN x 1 END", 13, "expected THEN")]
    [InlineData("CASE WHEN x THEN 1 2 END", 20, "expected WHEN, ELSE or END")]
    [InlineData("x IS 5", 6, "expected NULL, TRUE or FALSE after IS")]
    [InlineData("x IS NOT 5", 10, "expected NULL, TRUE or FALSE after IS NOT")]
    [InlineData("x IN ()", 7, "IN needs at least one value")]
    [InlineData("x IN 1", 6, "expected '(' after IN")]
    [InlineData("x IN (1, 2", 6, "unclosed '('")]
    [InlineData("x BETWEEN 1 OR 2", 13, "expected AND in BETWEEN")]
    [InlineData("x NOT y", 7, "expected IN, LIKE or BETWEEN after NOT")]
    [InlineData("CAST(x int)", 8, "expected AS in CAST")]
    [InlineData("CAST(x AS 5)", 11, "expected a type name")]
    [InlineData("CAST x AS int", 6, "expected '(' after CAST")]
    [InlineData("CAST(x AS int(5))", 14, "only decimal")]
    [InlineData("end = 1", 1, "to use it as a name, quote it: \"end\"")]
    [InlineData("x = then", 5, "unexpected THEN; to use it as a name")]
    [InlineData("x.", 2, "expected a name after '.'")]
    [InlineData("x..y", 3, "expected a name after '.', found '.'")]
    [InlineData("lower(1,", 9, "unexpected end of expression")]
    [InlineData("1 2", 3, "unexpected number 2")]
    [InlineData("x = 'a' 'b'", 9, "unexpected string 'b'")]
    [InlineData("x > 500 adn y = 1", 9, "unexpected name 'adn'; did you mean AND?")]
    [InlineData("x > 1 and not", 14, "unexpected end of expression")]
    [InlineData("x = 5.", 6, "unexpected '.'")]
    public void Syntax_errors_point_at_their_column(string text, int column, string reason)
    {
        var e = Eval.CompileError(text, "x", "y");
        Assert.Equal(column, e.Column);
        Assert.Contains(reason, e.Reason);
        Assert.Contains($" at column {column}", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_rather_than_overflowing_the_stack()
    {
        var deep = new string('(', 10_000) + "1" + new string(')', 10_000);
        var e = Eval.CompileError(deep);
        Assert.Equal(ExpressionErrorKind.Syntax, e.Kind);
        Assert.Contains("nested more than", e.Reason);

        var longChain = string.Join(" + ", Enumerable.Repeat("1", 5_000));
        Assert.Contains("nested more than", Eval.CompileError(longChain).Reason);
    }

    [Fact]
    public void Moderate_nesting_compiles()
    {
        var nested = new string('(', 100) + "x" + new string(')', 100) + " + " + string.Join(" + ", Enumerable.Repeat("1", 100));
        Assert.Equal(101L, Eval.Of(nested, ("x", 1L)));
    }

    [Theory]
    [InlineData("x + DATE '2026-01-01'", 5, "expected a number, but \"DATE '2026-01-01'\" is a date; use date_add or date_diff")]
    [InlineData("x AND 5", 7, "expected true or false, but '5' is an integer")]
    [InlineData("NOT 'abc'", 5, "cannot use 'abc' as true or false")]
    [InlineData("x = DATE '2026-01-01' AND 1 > DATE '2026-01-01'", 29, "cannot compare an integer with a date")]
    public void Type_errors_known_at_compile_time_point_at_the_value(string text, int column, string reason)
    {
        var e = Eval.CompileError(text, "x");
        Assert.Equal(column, e.Column);
        Assert.StartsWith(reason, e.Reason);
    }

    [Fact]
    public void Evaluation_errors_shorten_long_values()
    {
        var e = Eval.EvaluationError("x > 1", ("x", new string('z', 500)));
        Assert.True(e.Reason.Length < 120, e.Reason);
        Assert.Contains("…", e.Reason);
    }
}
