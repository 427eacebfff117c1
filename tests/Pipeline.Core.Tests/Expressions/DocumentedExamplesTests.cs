namespace Pipeline.Core.Tests.Expressions;

/// <summary>The examples docs/expressions.md gives, with the results it states.</summary>
public sealed class DocumentedExamplesTests
{
    public static TheoryData<string, object?> Examples => new()
    {
        { "0.1 + 0.2", 0.3m },
        { "0.1e0 + 0.2e0", 0.30000000000000004d },
        { "1 / 3", 0.3333333333333333333333333333m },
        { "-7 % 2", -1L },
        { "'600' > '1000'", true },
        { "1 = 1.0", true },
        { "'a' = 'A'", false },
        { "TIMESTAMP '2026-11-21T12:00:00+02:00' = TIMESTAMP '2026-11-21T10:00:00Z'", true },
        { "'n' || 1", "n1" },
        { "'a' || NULL", null },
        { "concat('a', NULL)", "a" },
        { "CASE WHEN TRUE THEN 1 ELSE 2.5 END", 1m },
        { "CAST(42.5 AS int)", 43L },
        { "CAST(-2.5 AS int)", -3L },
        { "substr('hello', 0, 3)", "he" },
        { "left('hello', -2)", "hel" },
        { "lpad('7', 3, '0')", "007" },
        { "round(1250, -2)", 1300L },
        { "date_add('month', 1, DATE '2026-01-31')", new DateOnly(2026, 2, 28) },
        { "date_diff('day', TIMESTAMP '2026-11-21T23:59:00Z', TIMESTAMP '2026-11-22T00:01:00Z')", 1L },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_gives_the_documented_result(string text, object? expected) => Assert.Equal(expected, Eval.Of(text));

    [Theory]
    [InlineData(1L)]
    [InlineData(2L)]
    [InlineData(null)]
    public void Not_in_a_list_holding_NULL_is_never_true(long? x) => Assert.False(Eval.IsTrue("x NOT IN (1, NULL)", ("x", x)));

    [Theory]
    [InlineData("ok", 0L)]
    [InlineData("warn", 1L)]
    [InlineData("else", 2L)]
    public void Simple_case_example(string status, long expected) =>
        Assert.Equal(expected, Eval.Of("CASE status WHEN 'ok' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END", ("status", status)));

    [Fact]
    public void Filter_example_from_the_introduction()
    {
        Assert.True(Eval.IsTrue("amount > 500 and country = 'DE'", ("amount", "600"), ("country", "DE")));
        Assert.True(Eval.IsTrue("email ILIKE '%@EXAMPLE.COM'", ("email", "ann@example.com")));
        Assert.True(Eval.IsTrue("discount LIKE '50!%' ESCAPE '!'", ("discount", "50%")));
        Assert.True(Eval.IsTrue("qty <> 0 and amount / qty > 10", ("qty", 5L), ("amount", 100L)));
        Assert.False(Eval.IsTrue("qty <> 0 and amount / qty > 10", ("qty", 0L), ("amount", 100L)));
    }
}
