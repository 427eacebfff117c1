using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Tests.Expressions;

public sealed class LiteralTests
{
    [Fact]
    public void Integer_literal_is_a_long() => Assert.Equal(42L, Eval.Of("42"));

    [Fact]
    public void Literal_with_a_decimal_point_is_a_decimal_keeping_its_scale()
    {
        Assert.Equal(1.50m, Eval.Of("1.50"));
        Assert.Equal("1.50", Eval.Of("1.50")!.ToString());
        Assert.Equal(0.5m, Eval.Of(".5"));
    }

    [Theory]
    [InlineData("1e3", 1000d)]
    [InlineData("2.5E-1", 0.25d)]
    [InlineData("1e+2", 100d)]
    public void Literal_with_an_exponent_is_a_double(string text, double expected) => Assert.Equal(expected, Eval.Of(text));

    [Fact]
    public void Integer_too_large_for_long_is_a_decimal() =>
        Assert.Equal(9223372036854775808m, Eval.Of("9223372036854775808"));

    [Fact]
    public void Smallest_long_can_be_written() => Assert.Equal(long.MinValue, Eval.Of("-9223372036854775808"));

    [Fact]
    public void Double_out_of_range_is_an_error_at_the_number()
    {
        var e = Eval.CompileError("1 + 1e999");
        Assert.Equal(5, e.Column);
        Assert.Contains("out of range", e.Reason);
    }

    [Theory]
    [InlineData("'it''s'", "it's")]
    [InlineData("''", "")]
    [InlineData("''''", "'")]
    [InlineData("'a\"b'", "a\"b")]
    [InlineData("'line\nbreak'", "line\nbreak")]
    public void String_literal_doubles_its_quote_to_escape_it(string text, string expected) => Assert.Equal(expected, Eval.Of(text));

    [Theory]
    [InlineData("TRUE", true)]
    [InlineData("true", true)]
    [InlineData("False", false)]
    public void Boolean_literals_are_case_insensitive(string text, bool expected) => Assert.Equal(expected, Eval.Of(text));

    [Fact]
    public void Null_literal_is_null() => Assert.Null(Eval.Of("null"));

    [Fact]
    public void Date_literal_is_a_DateOnly() => Assert.Equal(new DateOnly(2026, 11, 21), Eval.Of("DATE '2026-11-21'"));

    [Theory]
    [InlineData("TIMESTAMP '2026-11-21T10:00:00Z'", "2026-11-21T10:00:00+00:00")]
    [InlineData("timestamp '2026-11-21T10:00:00+02:00'", "2026-11-21T10:00:00+02:00")]
    [InlineData("TIMESTAMP '2026-11-21T10:00:00'", "2026-11-21T10:00:00+00:00")]
    [InlineData("TIMESTAMP '2026-11-21 10:00'", "2026-11-21T10:00:00+00:00")]
    [InlineData("TIMESTAMP '2026-11-21T10:00:00.125Z'", "2026-11-21T10:00:00.125+00:00")]
    [InlineData("TIMESTAMP '2026-11-21'", "2026-11-21T00:00:00+00:00")]
    public void Timestamp_literal_is_a_DateTimeOffset_in_UTC_unless_it_says_otherwise(string text, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), Eval.Of(text));

    [Fact]
    public void Timestamp_literal_keeps_its_offset()
    {
        var value = (DateTimeOffset)Eval.Of("TIMESTAMP '2026-11-21T10:00:00+02:00'")!;
        Assert.Equal(TimeSpan.FromHours(2), value.Offset);
    }

    [Theory]
    [InlineData("DATE '2026-13-01'", 6)]
    [InlineData("DATE '21.11.2026'", 6)]
    [InlineData("x = TIMESTAMP 'yesterday'", 15)]
    public void Invalid_date_or_timestamp_literal_is_an_error_at_its_string(string text, int column)
    {
        var e = Eval.CompileError(text, "x");
        Assert.Equal(column, e.Column);
        Assert.Equal(ExpressionErrorKind.Value, e.Kind);
    }

    [Theory]
    [InlineData("42", FieldType.Integer)]
    [InlineData("4.2", FieldType.Decimal)]
    [InlineData("4e2", FieldType.Double)]
    [InlineData("'x'", FieldType.String)]
    [InlineData("true", FieldType.Boolean)]
    [InlineData("DATE '2026-11-21'", FieldType.Date)]
    [InlineData("TIMESTAMP '2026-11-21T10:00:00Z'", FieldType.Timestamp)]
    [InlineData("NULL", FieldType.Any)]
    public void Literal_result_type_is_known_at_compile_time(string text, FieldType expected) =>
        Assert.Equal(expected, ExpressionCompiler.Compile(text, []).ResultType);
}
