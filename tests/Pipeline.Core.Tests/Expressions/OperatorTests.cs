using Pipeline.Core.Expressions;

namespace Pipeline.Core.Tests.Expressions;

public sealed class OperatorTests
{
    public static TheoryData<string, object> Arithmetic => new()
    {
        { "7 + 2", 9L },
        { "7 - 2", 5L },
        { "7 * 2", 14L },
        { "7 / 2", 3.5m },
        { "6 / 3", 2m },
        { "7 % 2", 1L },
        { "-7 % 2", -1L },
        { "7.5 % 2", 1.5m },
        { "1.5 + 1", 2.5m },
        { "1.5 * 2", 3.0m },
        { "1e0 + 1", 2d },
        { "1.5 + 1e0", 2.5d },
        { "-(3)", -3L },
        { "- -3", 3L },
        { "+3", 3L },
        { "2 + 3 * 4", 14L },
        { "(2 + 3) * 4", 20L },
        { "10 - 2 - 3", 5L },
        { "12 / 2 / 3", 2m },
        { "2 * 3 % 4", 2L },
        { "-2 * 3", -6L },
    };

    [Theory]
    [MemberData(nameof(Arithmetic))]
    public void Arithmetic_follows_precedence_and_promotes_long_to_decimal_to_double(string text, object expected)
    {
        var value = Eval.Of(text);
        Assert.Equal(expected, value);
        Assert.IsType(expected.GetType(), value);
    }

    [Fact]
    public void Arithmetic_on_row_values_promotes_by_their_runtime_types()
    {
        Assert.Equal(6L, Eval.Of("x + 1", ("x", 5)));
        Assert.Equal(6.5m, Eval.Of("x + 1", ("x", 5.5m)));
        Assert.Equal(6.5d, Eval.Of("x + 1", ("x", 5.5d)));
        Assert.Equal(6.5m, Eval.Of("x + 1.0", ("x", 5.5m)));
        Assert.Equal(11L, Eval.Of("x + y", ("x", (short)5), ("y", (byte)6)));
        Assert.Equal(10.5m, Eval.Of("x * y", ("x", 3L), ("y", 3.5m)));
    }

    [Fact]
    public void Division_by_zero_is_an_error_at_the_operator_suggesting_nullif()
    {
        var e = Eval.EvaluationError("amount / qty", ("amount", 600L), ("qty", 0L));
        Assert.Equal(8, e.Column);
        Assert.Equal(ExpressionErrorKind.Value, e.Kind);
        Assert.Contains("division by zero", e.Reason);
        Assert.Contains("nullif", e.Reason);
    }

    [Fact]
    public void Division_by_nullif_zero_gives_null() =>
        Assert.Null(Eval.Of("amount / nullif(qty, 0)", ("amount", 600L), ("qty", 0L)));

    [Theory]
    [InlineData("x % 0")]
    [InlineData("x / 0.0")]
    [InlineData("x / 0e0")]
    public void Every_kind_of_zero_divisor_is_an_error(string text) =>
        Assert.Contains("division by zero", Eval.EvaluationError(text, ("x", 1L)).Reason);

    [Fact]
    public void Division_by_a_constant_zero_fails_at_compile_time()
    {
        var e = Eval.CompileError("x > 1 / 0", "x");
        Assert.Equal(7, e.Column);
    }

    [Fact]
    public void Integer_overflow_is_an_error_not_a_wrap()
    {
        var e = Eval.EvaluationError("x + 1", ("x", long.MaxValue));
        Assert.Contains("out of range", e.Reason);
        Assert.Equal(3, e.Column);
        Assert.Equal(9223372036854775808m, Eval.Of("x + 1.0", ("x", long.MaxValue)));
    }

    public static TheoryData<string, bool> Comparisons => new()
    {
        { "1 = 1", true },
        { "1 == 1", true },
        { "1 = 2", false },
        { "1 != 2", true },
        { "1 <> 1", false },
        { "1 < 2", true },
        { "2 <= 2", true },
        { "3 > 2", true },
        { "2 >= 3", false },
        { "1 = 1.0", true },
        { "1.5 > 1", true },
        { "1e0 = 1", true },
        { "'a' < 'b'", true },
        { "'B' < 'a'", true },
        { "'a' = 'A'", false },
        { "'abc' > 'ab'", true },
        { "false < true", true },
        { "DATE '2026-11-21' < DATE '2026-11-22'", true },
        { "DATE '2026-11-21' = TIMESTAMP '2026-11-21T00:00:00Z'", true },
        { "TIMESTAMP '2026-11-21T12:00:00+02:00' = TIMESTAMP '2026-11-21T10:00:00Z'", true },
        { "DATE '2026-11-21' = '2026-11-21'", true },
    };

    [Theory]
    [MemberData(nameof(Comparisons))]
    public void Comparison_operators(string text, bool expected) => Assert.Equal(expected, Eval.Of(text));

    [Fact]
    public void Text_equality_is_case_sensitive_and_lower_makes_it_not()
    {
        Assert.False(Eval.IsTrue("country = 'de'", ("country", "DE")));
        Assert.True(Eval.IsTrue("lower(country) = 'de'", ("country", "DE")));
    }

    [Fact]
    public void Text_compares_ordinally()
    {
        Assert.True(Eval.IsTrue("a < b", ("a", "Z"), ("b", "a")));
        Assert.True(Eval.IsTrue("a > b", ("a", "é"), ("b", "z")));
    }

    [Theory]
    [InlineData("NOT a = b", false)]        // NOT (a = b)
    [InlineData("a = b OR b = c AND c = a", true)] // OR binds looser than AND
    [InlineData("(a = b OR b = c) AND c = a", false)]
    [InlineData("NOT a = b AND b = c", false)]
    [InlineData("1 + 2 = 3 AND 'x' || 'y' = 'xy'", true)]
    public void Logical_operators_follow_SQL_precedence(string text, bool expected) =>
        Assert.Equal(expected, Eval.IsTrue(text, ("a", 1L), ("b", 1L), ("c", 2L)));

    [Fact]
    public void Concatenation_binds_looser_than_addition() => Assert.Equal("a3", Eval.Of("'a' || 1 + 2"));

    [Fact]
    public void Concatenation_turns_values_into_text()
    {
        Assert.Equal("n1", Eval.Of("'n' || 1"));
        Assert.Equal("1.50;2026-11-21", Eval.Of("1.50 || ';' || DATE '2026-11-21'"));
        Assert.Equal("DE-600", Eval.Of("country || '-' || amount", ("country", "DE"), ("amount", 600L)));
    }

    [Fact]
    public void Concatenating_conditions_is_a_type_error_suggesting_OR()
    {
        var e = Eval.CompileError("(a = 1) || (b = 2)", "a", "b");
        Assert.Equal(9, e.Column);
        Assert.Contains("OR", e.Reason);
    }

    [Theory]
    [InlineData("3 IN (1, 2, 3)", true)]
    [InlineData("4 IN (1, 2, 3)", false)]
    [InlineData("4 NOT IN (1, 2, 3)", true)]
    [InlineData("'b' IN ('a', 'b')", true)]
    [InlineData("2.0 IN (1, 2)", true)]
    [InlineData("x IN ('DE', 'FR')", true)]
    [InlineData("x NOT IN ('DE', 'FR')", false)]
    [InlineData("n IN (1, 2)", true)]
    [InlineData("s IN (1, 2)", true)]
    [InlineData("n IN (s, 3)", true)]
    [InlineData("n + 0 IN (1, 2)", true)]
    [InlineData("lower(x) IN ('de')", true)]
    public void In_tests_membership(string text, bool expected) =>
        Assert.Equal(expected, Eval.IsTrue(text, ("x", "DE"), ("n", 2L), ("s", "2")));

    [Theory]
    [InlineData(2L, 2L, true)]
    [InlineData(2L, 3L, null)]
    [InlineData(null, 3L, null)]
    public void In_with_computed_items_is_unknown_when_a_NULL_could_change_the_answer(long? n, long m, bool? expected)
    {
        Assert.Equal(expected, Eval.Of("n IN (m, NULL)", ("n", n), ("m", m)));
        Assert.Equal(expected is null ? null : !expected, Eval.Of("n NOT IN (m, NULL)", ("n", n), ("m", m)));
    }

    [Fact]
    public void In_with_many_items_compiles_flat()
    {
        var computed = string.Join(", ", Enumerable.Range(0, 500).Select(i => $"m + {i}"));
        Assert.True(Eval.IsTrue($"n IN ({computed})", ("n", 499L), ("m", 0L)));
        var constants = string.Join(", ", Enumerable.Range(0, 5000).Select(i => $"'c{i}'"));
        Assert.True(Eval.IsTrue($"n IN ({constants})", ("n", "c4999"), ("m", 0L)));
    }

    [Theory]
    [InlineData("600", true)]
    [InlineData(600L, true)]
    [InlineData(500.5, true)]
    [InlineData("400", false)]
    public void A_constant_may_stand_on_either_side_of_a_comparison(object amount, bool expected)
    {
        Assert.Equal(expected, Eval.IsTrue("500 < amount", ("amount", amount)));
        Assert.Equal(expected, Eval.IsTrue("amount > 500", ("amount", amount)));
    }

    [Fact]
    public void Text_that_is_not_a_number_on_the_right_is_reported_at_its_column()
    {
        var e = Eval.EvaluationError("500 < amount", ("amount", "abc"));
        Assert.Equal(7, e.Column);
        Assert.Contains("'abc'", e.Reason);
    }

    [Fact]
    public void In_with_an_incomparable_constant_is_a_type_error_at_the_item()
    {
        var e = Eval.CompileError("1 IN (2, DATE '2026-01-01')");
        Assert.Equal(10, e.Column);
        Assert.Equal(ExpressionErrorKind.Type, e.Kind);
    }

    [Theory]
    [InlineData(1L, true)]
    [InlineData(5L, true)]
    [InlineData(3L, true)]
    [InlineData(0L, false)]
    [InlineData(6L, false)]
    public void Between_includes_both_ends(long value, bool expected)
    {
        Assert.Equal(expected, Eval.IsTrue("x BETWEEN 1 AND 5", ("x", value)));
        Assert.Equal(!expected, Eval.IsTrue("x NOT BETWEEN 1 AND 5", ("x", value)));
    }

    [Fact]
    public void Between_binds_its_AND_before_the_logical_AND()
    {
        Assert.True(Eval.IsTrue("x BETWEEN 1 AND 5 AND y = 'a'", ("x", 3L), ("y", "a")));
        Assert.False(Eval.IsTrue("x BETWEEN 1 AND 5 AND y = 'a'", ("x", 3L), ("y", "b")));
        Assert.True(Eval.IsTrue("name BETWEEN 'a' AND 'm'", ("name", "joe")));
    }

    [Theory]
    [InlineData("x IS NULL", true)]
    [InlineData("x IS NOT NULL", false)]
    [InlineData("y IS NULL", false)]
    [InlineData("y IS NOT NULL", true)]
    [InlineData("NULL IS NULL", true)]
    [InlineData("t IS TRUE", true)]
    [InlineData("t IS NOT TRUE", false)]
    [InlineData("x IS TRUE", false)]
    [InlineData("x IS NOT TRUE", true)]
    [InlineData("x IS FALSE", false)]
    [InlineData("x IS NOT FALSE", true)]
    [InlineData("f IS FALSE", true)]
    public void Is_tests_are_never_null(string text, bool expected)
    {
        var value = Eval.Of(text, ("x", null), ("y", 1L), ("t", true), ("f", false));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void Empty_text_is_not_null_for_IS_NULL() => Assert.False(Eval.IsTrue("x IS NULL", ("x", "")));

    [Theory]
    [InlineData("x > 5 IS NOT TRUE", true)]             // (x > 5) IS NOT TRUE
    [InlineData("x IN (1, 2) = FALSE", true)]           // (x IN (1, 2)) = FALSE
    [InlineData("x IS NULL IS FALSE", true)]
    [InlineData("'a' || 'b' LIKE 'ab'", true)]          // ('a' || 'b') LIKE 'ab'
    [InlineData("x + 1 BETWEEN 4 AND 5 = TRUE", true)]
    public void Is_binds_looser_than_comparison_and_membership_tighter(string text, bool expected) =>
        Assert.Equal(expected, Eval.IsTrue(text, ("x", 3L)));

    [Fact]
    public void Keywords_are_case_insensitive() =>
        Assert.True(Eval.IsTrue("1 in (1) AnD NoT false oR x iS nUlL", ("x", 1L)));
}
