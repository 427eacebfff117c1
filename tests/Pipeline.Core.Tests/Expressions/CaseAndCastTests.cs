using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Tests.Expressions;

public sealed class CaseAndCastTests
{
    [Theory]
    [InlineData(1000L, "big")]
    [InlineData(50L, "medium")]
    [InlineData(5L, "small")]
    public void Searched_case_takes_the_first_true_branch(long amount, string expected) =>
        Assert.Equal(expected, Eval.Of("CASE WHEN amount > 100 THEN 'big' WHEN amount > 10 THEN 'medium' ELSE 'small' END", ("amount", amount)));

    [Fact]
    public void Case_without_else_gives_null() =>
        Assert.Null(Eval.Of("CASE WHEN x > 1 THEN 'yes' END", ("x", 0L)));

    [Theory]
    [InlineData(1L, "one")]
    [InlineData("2", "two")]
    [InlineData(3L, "many")]
    [InlineData(null, "many")]
    public void Simple_case_compares_its_operand_with_each_value(object? x, string expected) =>
        Assert.Equal(expected, Eval.Of("case x when 1 then 'one' when 2 then 'two' else 'many' end", ("x", x)));

    [Fact]
    public void Simple_case_evaluates_its_operand_once_per_row()
    {
        Assert.Equal("b", Eval.Of("CASE lower(x) WHEN 'a' THEN 'a' WHEN 'b' THEN 'b' END", ("x", "B")));
    }

    [Fact]
    public void Nested_case()
    {
        const string text = "CASE WHEN a THEN CASE WHEN b THEN 'ab' ELSE 'a' END ELSE 'none' END";
        Assert.Equal("ab", Eval.Of(text, ("a", true), ("b", true)));
        Assert.Equal("a", Eval.Of(text, ("a", true), ("b", false)));
        Assert.Equal("none", Eval.Of(text, ("a", false), ("b", true)));
    }

    [Fact]
    public void Case_results_share_the_widest_numeric_type()
    {
        var compiled = Eval.Compile("CASE WHEN c THEN 1 ELSE 2.5 END", ("c", true));
        Assert.Equal(FieldType.Decimal, compiled.ResultType);
        Assert.IsType<decimal>(compiled.Evaluate([true]));
        Assert.Equal(1m, compiled.Evaluate([true]));
    }

    [Fact]
    public void Case_with_a_row_value_result_passes_it_through()
    {
        Assert.Equal(7, Eval.Of("CASE WHEN x IS NULL THEN 'none' ELSE x END", ("x", 7)));
        Assert.Equal("none", Eval.Of("CASE WHEN x IS NULL THEN 'none' ELSE x END", ("x", null)));
    }

    [Fact]
    public void Case_results_of_text_and_number_are_a_type_error_at_the_later_result()
    {
        var e = Eval.CompileError("CASE WHEN c THEN 'high' ELSE 0 END", "c");
        Assert.Equal(ExpressionErrorKind.Type, e.Kind);
        Assert.Equal(30, e.Column);
    }

    [Fact]
    public void Case_condition_that_is_a_number_is_a_type_error() =>
        Assert.Equal(11, Eval.CompileError("CASE WHEN 1 THEN 2 END").Column);

    [Fact]
    public void Case_with_a_long_code_table_compiles_flat()
    {
        var branches = string.Join(" ", Enumerable.Range(0, 1000).Select(i => $"WHEN 'c{i}' THEN 'name {i}'"));
        var compiled = Eval.Compile($"CASE code {branches} ELSE 'unknown' END", ("code", null));
        Assert.Equal("name 999", compiled.Evaluate(["c999"]));
        Assert.Equal("name 0", compiled.Evaluate(["c0"]));
        Assert.Equal("unknown", compiled.Evaluate(["zz"]));
    }

    [Fact]
    public void Case_of_constants_is_folded() => Assert.Equal("b", Eval.Of("CASE 2 WHEN 1 THEN 'a' WHEN 2 THEN 'b' END"));

    public static TheoryData<string, object?> Casts => new()
    {
        { "CAST('42' AS int)", 42L },
        { "CAST(' -42 ' AS integer)", -42L },
        { "CAST(42.5 AS bigint)", 43L },
        { "CAST(-2.5 AS int)", -3L },
        { "CAST(2.5e0 AS int)", 3L },
        { "CAST(TRUE AS int)", 1L },
        { "CAST('1.25' AS decimal)", 1.25m },
        { "CAST(1.25 AS decimal(10, 1))", 1.3m },
        { "CAST('2' AS numeric(5,2))", 2m },
        { "CAST(1 AS double)", 1d },
        { "CAST('1.5' AS float)", 1.5d },
        { "CAST(1.5 AS real)", 1.5d },
        { "CAST('yes' AS boolean)", true },
        { "CAST('FALSE' AS bool)", false },
        { "CAST(0 AS boolean)", false },
        { "CAST(2.5 AS boolean)", true },
        { "CAST('2026-11-21' AS date)", new DateOnly(2026, 11, 21) },
        { "CAST(TIMESTAMP '2026-11-21T23:00:00+02:00' AS date)", new DateOnly(2026, 11, 21) },
        { "CAST(DATE '2026-11-21' AS timestamp)", new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero) },
        { "CAST('2026-11-21T10:00:00Z' AS datetime)", new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero) },
        { "CAST(1.50 AS string)", "1.50" },
        { "CAST(42 AS text)", "42" },
        { "CAST(1e21 AS varchar(30))", "1E+21" },
        { "CAST(DATE '2026-11-21' AS string)", "2026-11-21" },
        { "CAST(TRUE AS string)", "true" },
        { "CAST(NULL AS int)", null },
    };

    [Theory]
    [MemberData(nameof(Casts))]
    public void Cast_converts_to_each_type(string text, object? expected)
    {
        var value = Eval.Of(text);
        Assert.Equal(expected, value);
        if (expected is not null) Assert.IsType(expected.GetType(), value);
    }

    [Fact]
    public void Cast_of_row_values()
    {
        Assert.Equal(600L, Eval.Of("CAST(x AS int)", ("x", "600")));
        Assert.Equal(3L, Eval.Of("CAST(x AS int)", ("x", 2.5d)));
        Assert.Equal(1L, Eval.Of("CAST(x AS int)", ("x", true)));
        Assert.Equal(true, Eval.Of("CAST(x AS boolean)", ("x", 1)));
        Assert.Equal(new DateOnly(2026, 11, 21), Eval.Of("CAST(x AS date)", ("x", new DateTime(2026, 11, 21, 10, 0, 0))));
        Assert.Equal("2026-11-21T10:00:00Z", Eval.Of("CAST(x AS string)", ("x", new DateTime(2026, 11, 21, 10, 0, 0, DateTimeKind.Utc))));
    }

    [Fact]
    public void Cast_of_text_that_is_not_a_number_fails_at_the_cast_naming_the_value()
    {
        var e = Eval.EvaluationError("x > 0 AND CAST(y AS int) > 5", ("x", 1L), ("y", "12abc"));
        Assert.Equal(11, e.Column);
        Assert.Equal(ExpressionErrorKind.Value, e.Kind);
        Assert.Contains("'12abc'", e.Reason);
        Assert.Contains("an integer", e.Reason);
        Assert.Contains("\"CAST(y AS int)\"", e.Reason);
    }

    [Fact]
    public void Cast_of_a_fraction_in_text_to_integer_is_an_error_suggesting_decimal()
    {
        var e = Eval.EvaluationError("CAST(x AS int)", ("x", "4.5"));
        Assert.Contains("decimal", e.Reason);
    }

    [Theory]
    [InlineData("CAST('abc' AS int)", 1)]
    [InlineData("1 + CAST('abc' AS decimal)", 5)]
    [InlineData("CAST('maybe' AS boolean)", 1)]
    [InlineData("CAST('2026-02-30' AS date)", 1)]
    [InlineData("CAST(1e30 AS int)", 1)]
    public void Cast_of_a_constant_that_cannot_convert_fails_at_compile_time(string text, int column)
    {
        var e = Eval.CompileError(text);
        Assert.Equal(ExpressionErrorKind.Value, e.Kind);
        Assert.Equal(column, e.Column);
    }

    [Fact]
    public void Cast_between_types_that_never_convert_is_a_type_error_at_the_type_name()
    {
        var e = Eval.CompileError("CAST(DATE '2026-01-01' AS int)");
        Assert.Equal(ExpressionErrorKind.Type, e.Kind);
        Assert.Equal(27, e.Column);
    }

    [Fact]
    public void Unknown_cast_type_is_an_error_at_the_type_with_a_suggestion()
    {
        var e = Eval.CompileError("CAST(x AS integr)", "x");
        Assert.Equal(ExpressionErrorKind.Name, e.Kind);
        Assert.Equal(11, e.Column);
        Assert.Contains("did you mean 'integer'", e.Reason);
    }

    [Fact]
    public void Cast_result_type_is_the_target() =>
        Assert.Equal(FieldType.Integer, Eval.Compile("CAST(x AS int)", ("x", null)).ResultType);
}
