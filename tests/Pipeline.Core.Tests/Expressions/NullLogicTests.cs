namespace Pipeline.Core.Tests.Expressions;

/// <summary>SQL's three-valued logic: NULL is "unknown", and only true is true.</summary>
public sealed class NullLogicTests
{
    public static TheoryData<bool?, bool?, bool?> AndTable => new()
    {
        { true, true, true },
        { true, false, false },
        { true, null, null },
        { false, true, false },
        { false, false, false },
        { false, null, false },
        { null, true, null },
        { null, false, false },
        { null, null, null },
    };

    public static TheoryData<bool?, bool?, bool?> OrTable => new()
    {
        { true, true, true },
        { true, false, true },
        { true, null, true },
        { false, true, true },
        { false, false, false },
        { false, null, null },
        { null, true, true },
        { null, false, null },
        { null, null, null },
    };

    [Theory]
    [MemberData(nameof(AndTable))]
    public void And_truth_table(bool? a, bool? b, bool? expected)
    {
        Assert.Equal(expected, Eval.Of("a AND b", ("a", a), ("b", b)));
        Assert.Equal(expected, Eval.Of($"{Literal(a)} AND {Literal(b)}"));
    }

    [Theory]
    [MemberData(nameof(OrTable))]
    public void Or_truth_table(bool? a, bool? b, bool? expected)
    {
        Assert.Equal(expected, Eval.Of("a OR b", ("a", a), ("b", b)));
        Assert.Equal(expected, Eval.Of($"{Literal(a)} OR {Literal(b)}"));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(null, null)]
    public void Not_truth_table(bool? a, bool? expected) => Assert.Equal(expected, Eval.Of("NOT a", ("a", a)));

    [Theory]
    [InlineData("x = NULL")]
    [InlineData("NULL = NULL")]
    [InlineData("NULL <> NULL")]
    [InlineData("x = 1")]
    [InlineData("x <> 1")]
    [InlineData("x < 1")]
    [InlineData("x = 'a'")]
    [InlineData("x + 1")]
    [InlineData("x * 0")]
    [InlineData("-x")]
    [InlineData("x / 0")]
    [InlineData("x || 'a'")]
    [InlineData("'a' || NULL")]
    [InlineData("x LIKE 'a%'")]
    [InlineData("'a' LIKE x")]
    [InlineData("NULL IN (1, 2)")]
    [InlineData("x IN (1, 2)")]
    [InlineData("x BETWEEN 1 AND 2")]
    [InlineData("2 BETWEEN NULL AND 3")]
    [InlineData("upper(x)")]
    [InlineData("round(x, 2)")]
    [InlineData("CAST(x AS int)")]
    [InlineData("CASE WHEN x = 1 THEN 'one' END")]
    public void Null_propagates_through_operators_and_functions(string text) => Assert.Null(Eval.Of(text, ("x", null)));

    [Theory]
    [InlineData("1 IN (NULL, 1)", true)]
    [InlineData("2 IN (NULL, 1)", null)]
    [InlineData("2 NOT IN (NULL, 1)", null)]
    [InlineData("2 NOT IN (1, 3)", true)]
    [InlineData("x IN (NULL, 'a')", true)]
    [InlineData("x IN (NULL, 'b')", null)]
    [InlineData("5 BETWEEN NULL AND 3", false)]
    [InlineData("0 NOT BETWEEN 1 AND NULL", true)]
    public void In_and_between_are_unknown_only_when_a_NULL_could_change_the_answer(string text, bool? expected) =>
        Assert.Equal(expected, Eval.Of(text, ("x", "a")));

    [Fact]
    public void And_stops_at_false_so_later_errors_do_not_happen()
    {
        Assert.False(Eval.IsTrue("x <> 0 AND 10 / x > 1", ("x", 0L)));
        Assert.True(Eval.IsTrue("x = 0 OR 10 / x > 1", ("x", 0L)));
    }

    [Fact]
    public void Case_skips_a_branch_whose_condition_is_null() =>
        Assert.Equal("other", Eval.Of("CASE WHEN x > 1 THEN 'big' ELSE 'other' END", ("x", null)));

    [Fact]
    public void IsTrue_is_false_for_null_and_false()
    {
        Assert.False(Eval.IsTrue("x", ("x", null)));
        Assert.False(Eval.IsTrue("x", ("x", false)));
        Assert.True(Eval.IsTrue("x", ("x", true)));
        Assert.False(Eval.IsTrue("NULL"));
        Assert.False(Eval.IsTrue("x > 5", ("x", null)));
        Assert.True(Eval.IsTrue("(NOT x > 5) IS NOT TRUE", ("x", null)));
        Assert.False(Eval.IsTrue("NOT x > 5 IS NOT TRUE", ("x", null))); // NOT binds looser than IS
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Blank_text_reads_as_null_where_a_number_is_needed(string blank)
    {
        Assert.Null(Eval.Of("amount > 500", ("amount", blank)));
        Assert.False(Eval.IsTrue("amount > 500", ("amount", blank)));
        Assert.Null(Eval.Of("amount + 1", ("amount", blank)));
        Assert.Null(Eval.Of("CAST(amount AS date)", ("amount", blank)));
    }

    private static string Literal(bool? value) => value switch { true => "TRUE", false => "FALSE", null => "NULL" };
}
