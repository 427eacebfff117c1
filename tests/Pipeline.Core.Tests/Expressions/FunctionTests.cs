using Pipeline.Core.Tests.Support;
using System.Globalization;
using Pipeline.Core.Expressions;
using Pipeline.Core.Records;

namespace Pipeline.Core.Tests.Expressions;

public sealed class FunctionTests
{
    public static TheoryData<string, object?> Text => new()
    {
        { "lower('ÄBc')", "äbc" },
        { "upper('äbc')", "ÄBC" },
        { "LOWER('A')", "a" },
        { "trim('  a b  ')", "a b" },
        { "ltrim('  a  ')", "a  " },
        { "rtrim('  a  ')", "  a" },
        { "length('héllo')", 5L },
        { "length('')", 0L },
        { "substr('hello', 2)", "ello" },
        { "substr('hello', 2, 3)", "ell" },
        { "substring('hello', 1, 1)", "h" },
        { "substr('hello', 0, 3)", "he" },
        { "substr('hello', -1, 3)", "h" },
        { "substr('hello', 10)", "" },
        { "substr('hello', 3, 100)", "llo" },
        { "substr('hello', 1, 0)", "" },
        { "replace('a-b-c', '-', '+')", "a+b+c" },
        { "replace('aaa', 'a', '')", "" },
        { "replace('abc', '', 'x')", "abc" },
        { "replace('Abc', 'a', 'x')", "Abc" },
        { "concat('a', NULL, 1, TRUE, 2.50)", "a1true2.50" },
        { "concat(NULL)", "" },
        { "starts_with('Hello', 'He')", true },
        { "starts_with('Hello', 'he')", false },
        { "ends_with('Hello', 'lo')", true },
        { "contains('Hello', 'ell')", true },
        { "contains('Hello', 'ELL')", false },
        { "left('hello', 2)", "he" },
        { "left('hello', -2)", "hel" },
        { "left('hello', 10)", "hello" },
        { "left('hello', -10)", "" },
        { "right('hello', 2)", "lo" },
        { "right('hello', -2)", "llo" },
        { "right('hello', 10)", "hello" },
        { "lpad('7', 3, '0')", "007" },
        { "lpad('a', 3)", "  a" },
        { "lpad('hello', 3)", "hel" },
        { "lpad('a', 0)", "" },
        { "rpad('ab', 5, 'xy')", "abxyx" },
        { "rpad('ab', 4, '')", "ab" },
        { "regexp_like('abc123', '^[a-z]+[0-9]+$')", true },
        { "regexp_like('ABC', '^abc$')", false },
        { "regexp_like('ABC', '^abc$', 'i')", true },
        { "regexp_like('a\nb', '^b$', 'm')", true },
    };

    [Theory]
    [MemberData(nameof(Text))]
    public void Text_functions(string text, object? expected) => Assert.Equal(expected, Eval.Of(text));

    [Theory]
    [InlineData("lower(x)")]
    [InlineData("trim(x)")]
    [InlineData("length(x)")]
    [InlineData("substr(x, 1)")]
    [InlineData("substr('abc', x)")]
    [InlineData("substr('abc', 1, x)")]
    [InlineData("replace(x, 'a', 'b')")]
    [InlineData("starts_with(x, 'a')")]
    [InlineData("left(x, 1)")]
    [InlineData("lpad(x, 3, '0')")]
    [InlineData("regexp_like(x, 'a')")]
    [InlineData("regexp_like('a', x)")]
    [InlineData("abs(x)")]
    [InlineData("floor(x)")]
    [InlineData("power(x, 2)")]
    [InlineData("year(x)")]
    [InlineData("date_add('day', 1, x)")]
    [InlineData("date_diff('day', x, DATE '2026-01-01')")]
    [InlineData("format_date(x, 'yyyy')")]
    [InlineData("parse_date(x)")]
    [InlineData("to_number(x)")]
    [InlineData("to_string(x)")]
    [InlineData("to_string(x, 'N2')")]
    public void Functions_give_null_for_null(string text) => Assert.Null(Eval.Of(text, ("x", null)));

    [Fact]
    public void Text_functions_take_any_value_as_its_text()
    {
        Assert.Equal(3L, Eval.Of("length(n)", ("n", 123L)));
        Assert.Equal("007", Eval.Of("lpad(n, 3, '0')", ("n", 7)));
        Assert.Equal("2026", Eval.Of("left(d, 4)", ("d", new DateOnly(2026, 11, 21))));
    }

    [Fact]
    public void Substring_with_a_negative_length_is_an_error()
    {
        var e = Eval.EvaluationError("substr(s, 1, n)", ("s", "abc"), ("n", -1L));
        Assert.Contains("negative", e.Reason);
        Assert.Equal(1, e.Column);
    }

    [Fact]
    public void Positions_must_be_whole_numbers() =>
        Assert.Contains("not a whole number", Eval.CompileError("substr('abc', 1.5)").Reason);

    [Fact]
    public void Lower_and_upper_use_the_culture_of_the_options_and_are_invariant_by_default()
    {
        var turkish = new ExpressionOptions { Culture = CultureInfo.GetCultureInfo("tr-TR") };
        Assert.Equal("I", ExpressionCompiler.Compile("upper('i')", []).Evaluate([]));
        Assert.Equal("İ", ExpressionCompiler.Compile("upper('i')", [], turkish).Evaluate([]));
    }

    [Fact]
    public void Regexp_like_with_an_invalid_constant_pattern_is_a_compile_error_at_the_pattern()
    {
        var e = Eval.CompileError("regexp_like(s, '[a-')", "s");
        Assert.Equal(16, e.Column);
        Assert.Contains("invalid regular expression", e.Reason);
    }

    [Fact]
    public void Regexp_like_with_a_row_pattern_compiles_it_at_evaluation()
    {
        Assert.True(Eval.IsTrue("regexp_like(s, p)", ("s", "abc"), ("p", "^a")));
        Assert.Contains("invalid regular expression", Eval.EvaluationError("regexp_like(s, p)", ("s", "abc"), ("p", "(")).Reason);
    }

    [Fact]
    public void Regexp_like_flags_are_checked_at_compile_time()
    {
        Assert.Equal(21, Eval.CompileError("regexp_like(s, 'a', 'q')", "s").Column);
        Assert.Equal(21, Eval.CompileError("regexp_like(s, 'a', f)", "s", "f").Column);
    }

    public static TheoryData<string, object?> Numbers => new()
    {
        { "abs(-5)", 5L },
        { "abs(-2.5)", 2.5m },
        { "abs(-2.5e0)", 2.5d },
        { "round(2.5)", 3m },
        { "round(-2.5)", -3m },
        { "round(2.345, 2)", 2.35m },
        { "round(2.5e0)", 3d },
        { "round(1250, -2)", 1300L },
        { "round(1249, -2)", 1200L },
        { "round(1250.5, -2)", 1300m },
        { "round(7)", 7L },
        { "floor(-2.5)", -3m },
        { "floor(5)", 5L },
        { "ceil(2.1)", 3m },
        { "ceiling(2.1e0)", 3d },
        { "power(2, 10)", 1024d },
        { "sqrt(16)", 4d },
        { "mod(7, 3)", 1L },
        { "mod(7.5, 2)", 1.5m },
        { "greatest(1, 5, 3)", 5L },
        { "least(4, 2, 3)", 2L },
        { "greatest(1, NULL, 3)", 3L },
        { "least(NULL, NULL)", null },
        { "greatest(1, 2.5)", 2.5m },
        { "greatest(3, 2.5)", 3m },
        { "greatest('apple', 'banana')", "banana" },
        { "least(DATE '2026-01-02', DATE '2026-01-01')", new DateOnly(2026, 1, 1) },
        { "coalesce(NULL, NULL, 'x')", "x" },
        { "coalesce(NULL)", null },
        { "coalesce(1, 2.5)", 1m },
        { "nullif(5, 5)", null },
        { "nullif(5, 6)", 5L },
        { "nullif('a', 'b')", "a" },
        { "to_number('1,234.5')", 1234.5m },
        { "to_number('42')", 42L },
        { "to_number('1e3')", 1000d },
        { "to_number(5)", 5L },
        { "to_string(5)", "5" },
        { "to_string(3.14159, 'F2')", "3.14" },
        { "to_string(1234.5, 'N1')", "1,234.5" },
        { "to_string(TRUE)", "true" },
        { "to_string(DATE '2026-11-21', 'yyyy/MM/dd')", "2026/11/21" },
        { "to_string(TIMESTAMP '2026-11-21T10:00:00Z')", "2026-11-21T10:00:00Z" },
        { "to_string(TIMESTAMP '2026-11-21T10:00:00.5+02:00')", "2026-11-21T10:00:00.5+02:00" },
    };

    [Theory]
    [MemberData(nameof(Numbers))]
    public void Numeric_and_value_functions(string text, object? expected) => Assert.Equal(expected, Eval.Of(text));

    [Fact]
    public void Numeric_functions_read_text_and_keep_the_runtime_kind()
    {
        Assert.Equal(3L, Eval.Of("abs(x)", ("x", "-3")));
        Assert.Equal(2.5m, Eval.Of("abs(x)", ("x", -2.5m)));
        Assert.Equal(2.35m, Eval.Of("round(x, 2)", ("x", "2.345")));
        Assert.Equal(FieldType.Any, Eval.Compile("abs(x)", ("x", null)).ResultType);
        Assert.Equal(FieldType.Decimal, Eval.Compile("round(2.5)").ResultType);
    }

    [Theory]
    [InlineData("sqrt(x)", -1L, "negative")]
    [InlineData("mod(x, 0)", 7L, "division by zero")]
    [InlineData("power(x, 0.5)", -8L, "not a real number")]
    [InlineData("abs(x)", long.MinValue, "out of range")]
    public void Numeric_functions_report_impossible_values(string text, long x, string reason) =>
        Assert.Contains(reason, Eval.EvaluationError(text, ("x", x)).Reason);

    [Fact]
    public void Greatest_and_least_compare_row_values_by_runtime_type()
    {
        Assert.Equal(10L, Eval.Of("greatest(a, b)", ("a", 9L), ("b", 10L)));
        Assert.Equal("9", Eval.Of("greatest(a, b)", ("a", "9"), ("b", "10")));
        Assert.Equal(9L, Eval.Of("least(a, b, NULL)", ("a", 9L), ("b", null)));
    }

    [Fact]
    public void Variadic_functions_take_many_arguments()
    {
        var many = string.Join(", ", Enumerable.Range(0, 1000).Select(_ => "x"));
        Assert.Equal(7L, Eval.Of($"coalesce({many}, 7)", ("x", null)));
        Assert.Equal(5L, Eval.Of($"greatest({many}, 1)", ("x", 5L)));
        Assert.Equal(2000, ((string)Eval.Of($"concat({many})", ("x", "ab"))!).Length);
    }

    [Fact]
    public void Greatest_skips_nulls_wherever_they_are()
    {
        Assert.Equal(3L, Eval.Of("greatest(NULL, x, 3)", ("x", null)));
        Assert.Equal(4L, Eval.Of("greatest(x, NULL, 3)", ("x", 4L)));
        Assert.Equal(3L, Eval.Of("least(x, 3, NULL)", ("x", null)));
    }

    [Fact]
    public void Coalesce_passes_row_values_through()
    {
        Assert.Equal(0L, Eval.Of("coalesce(x, 0)", ("x", null)));
        Assert.Equal(7, Eval.Of("coalesce(x, 0)", ("x", 7)));
        Assert.Equal("a", Eval.Of("coalesce(x, y)", ("x", null), ("y", "a")));
    }

    [Fact]
    public void Coalesce_of_text_and_number_is_a_type_error_at_the_argument()
    {
        var e = Eval.CompileError("coalesce('a', 1)");
        Assert.Equal(15, e.Column);
        Assert.Equal(ExpressionErrorKind.Type, e.Kind);
    }

    [Fact]
    public void To_number_reads_text_in_the_culture_of_the_options()
    {
        var german = new ExpressionOptions { Culture = CultureInfo.GetCultureInfo("de-DE") };
        Assert.Equal(1234.5m, ExpressionCompiler.Compile("to_number(x)", ["x"], german).Evaluate(["1.234,5"]));
        Assert.Contains("'x1'", Eval.EvaluationError("to_number(x)", ("x", "x1")).Reason);
    }

    [Fact]
    public void Now_and_today_read_the_clock_of_the_options_at_each_evaluation()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 21, 23, 30, 0, TimeSpan.Zero), TimeZoneInfo.CreateCustomTimeZone("plus2", TimeSpan.FromHours(2), "plus2", "plus2"));
        var options = new ExpressionOptions { Time = clock };
        var now = ExpressionCompiler.Compile("now()", [], options);
        var today = ExpressionCompiler.Compile("today()", [], options);

        Assert.Equal(new DateTimeOffset(2026, 11, 22, 1, 30, 0, TimeSpan.FromHours(2)), now.Evaluate([]));
        Assert.Equal(TimeSpan.FromHours(2), ((DateTimeOffset)now.Evaluate([])!).Offset);
        Assert.Equal(new DateOnly(2026, 11, 22), today.Evaluate([]));

        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(new DateOnly(2026, 11, 23), today.Evaluate([]));
        Assert.Equal(FieldType.Timestamp, now.ResultType);
        Assert.Equal(FieldType.Date, today.ResultType);
    }

    [Fact]
    public void Conditions_on_the_clock_follow_it()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero));
        var weekend = ExpressionCompiler.Compile("format_date(today(), 'ddd') IN ('Sat', 'Sun')", [], new ExpressionOptions { Time = clock });
        Assert.True(weekend.IsTrue([]));
        clock.Advance(TimeSpan.FromDays(2));
        Assert.False(weekend.IsTrue([]));
    }

    public static TheoryData<string, object?> Dates => new()
    {
        { "year(DATE '2026-11-21')", 2026L },
        { "month(DATE '2026-11-21')", 11L },
        { "day(DATE '2026-11-21')", 21L },
        { "hour(DATE '2026-11-21')", 0L },
        { "hour(TIMESTAMP '2026-11-21T23:30:15+02:00')", 23L },
        { "day(TIMESTAMP '2026-11-21T23:30:15+02:00')", 21L },
        { "minute(TIMESTAMP '2026-11-21T23:30:15Z')", 30L },
        { "second(TIMESTAMP '2026-11-21T23:30:15Z')", 15L },
        { "date_add('day', 1, DATE '2026-02-28')", new DateOnly(2026, 3, 1) },
        { "date_add(day, -1, DATE '2026-03-01')", new DateOnly(2026, 2, 28) },
        { "date_add(DAYS, 7, DATE '2026-03-01')", new DateOnly(2026, 3, 8) },
        { "date_add('month', 1, DATE '2026-01-31')", new DateOnly(2026, 2, 28) },
        { "date_add('quarter', 1, DATE '2026-01-15')", new DateOnly(2026, 4, 15) },
        { "date_add('week', 2, DATE '2026-01-01')", new DateOnly(2026, 1, 15) },
        { "date_add('year', -1, DATE '2024-02-29')", new DateOnly(2023, 2, 28) },
        { "date_add('hour', 2, DATE '2026-11-21')", new DateTimeOffset(2026, 11, 21, 2, 0, 0, TimeSpan.Zero) },
        { "date_add('minute', 90, TIMESTAMP '2026-11-21T10:00:00+01:00')", new DateTimeOffset(2026, 11, 21, 11, 30, 0, TimeSpan.FromHours(1)) },
        { "date_add('day', 1, TIMESTAMP '2026-11-21T10:00:00Z')", new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero) },
        { "date_diff('day', DATE '2026-11-21', DATE '2026-12-01')", 10L },
        { "date_diff('day', DATE '2026-12-01', DATE '2026-11-21')", -10L },
        { "date_diff('day', TIMESTAMP '2026-11-21T23:59:00Z', TIMESTAMP '2026-11-22T00:01:00Z')", 1L },
        { "date_diff('month', DATE '2026-01-31', DATE '2026-02-01')", 1L },
        { "date_diff('quarter', DATE '2026-03-31', DATE '2026-04-01')", 1L },
        { "date_diff('year', DATE '2025-12-31', DATE '2026-01-01')", 1L },
        { "date_diff('week', DATE '2026-11-22', DATE '2026-11-23')", 1L },
        { "date_diff('week', DATE '2026-11-23', DATE '2026-11-29')", 0L },
        { "date_diff('hour', TIMESTAMP '2026-11-21T12:00:00+02:00', TIMESTAMP '2026-11-21T10:00:00Z')", 0L },
        { "date_diff('minute', TIMESTAMP '2026-11-21T10:00:59Z', TIMESTAMP '2026-11-21T10:01:00Z')", 1L },
        { "date_diff('second', DATE '2026-11-21', TIMESTAMP '2026-11-21T00:01:00Z')", 60L },
        { "format_date(DATE '2026-11-21', 'dd.MM.yyyy')", "21.11.2026" },
        { "format_date(TIMESTAMP '2026-11-21T10:05:00Z', 'HH:mm')", "10:05" },
        { "parse_date('21.11.2026', 'dd.MM.yyyy')", new DateOnly(2026, 11, 21) },
        { "parse_date('2026-11-21')", new DateOnly(2026, 11, 21) },
        { "parse_date('2026-11-21T23:00:00+02:00')", new DateOnly(2026, 11, 21) },
        { "parse_timestamp('2026-11-21 10:00:00')", new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero) },
        { "parse_timestamp('21/11/2026 10:00', 'dd/MM/yyyy HH:mm')", new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero) },
    };

    [Theory]
    [MemberData(nameof(Dates))]
    public void Date_functions(string text, object? expected) => Assert.Equal(expected, Eval.Of(text));

    [Fact]
    public void Date_functions_take_row_values_of_any_date_type_or_text()
    {
        Assert.Equal(2026L, Eval.Of("year(d)", ("d", "2026-11-21")));
        Assert.Equal(11L, Eval.Of("month(d)", ("d", new DateTime(2026, 11, 21))));
        Assert.Equal(new DateOnly(2026, 11, 22), Eval.Of("date_add('day', 1, d)", ("d", "2026-11-21")));
        Assert.Equal(new DateOnly(2026, 11, 22), Eval.Of("date_add('day', 1, d)", ("d", new DateOnly(2026, 11, 21))));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), Eval.Of("date_add('day', 1, d)", ("d", new DateTime(2026, 11, 21, 10, 0, 0, DateTimeKind.Utc))));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 1, 0, 0, TimeSpan.Zero), Eval.Of("date_add('hour', 1, d)", ("d", "2026-11-21")));
        Assert.Equal(3L, Eval.Of("date_diff('day', a, b)", ("a", "2026-11-21"), ("b", new DateOnly(2026, 11, 24))));
    }

    [Fact]
    public void Format_date_uses_the_culture_of_the_options()
    {
        var german = new ExpressionOptions { Culture = CultureInfo.GetCultureInfo("de-DE") };
        Assert.Equal("Samstag", ExpressionCompiler.Compile("format_date(DATE '2026-11-21', 'dddd')", [], german).Evaluate([]));
        Assert.Equal("Saturday", Eval.Of("format_date(DATE '2026-11-21', 'dddd')"));
    }

    [Fact]
    public void Unknown_date_unit_is_an_error_at_the_unit_with_a_suggestion()
    {
        var e = Eval.CompileError("date_add('dya', 1, d)", "d");
        Assert.Equal(10, e.Column);
        Assert.Contains("did you mean 'day'", e.Reason);
        Assert.Contains("did you mean 'month'", Eval.CompileError("date_diff(mnth, a, b)", "a", "b").Reason);
    }

    [Fact]
    public void Date_unit_must_be_a_constant() =>
        Assert.Contains("constant", Eval.CompileError("date_add(lower(u), 1, d)", "u", "d").Reason);

    [Fact]
    public void Invalid_constant_date_format_is_a_compile_error_at_the_format() =>
        Assert.Equal(32, Eval.CompileError("format_date(DATE '2026-01-01', '%')").Column);

    [Fact]
    public void Text_that_does_not_fit_the_date_format_is_an_evaluation_error()
    {
        var e = Eval.EvaluationError("parse_date(s, 'dd.MM.yyyy')", ("s", "2026-11-21"));
        Assert.Contains("'2026-11-21'", e.Reason);
        Assert.Contains("'dd.MM.yyyy'", e.Reason);
    }

    [Fact]
    public void Adding_past_the_calendar_is_an_error() =>
        Assert.Contains("past the calendar", Eval.EvaluationError("date_add('year', n, DATE '2026-01-01')", ("n", 10_000L)).Reason);

    [Fact]
    public void Date_add_on_a_number_is_a_type_error() =>
        Assert.Equal(ExpressionErrorKind.Type, Eval.CompileError("date_add('day', 1, 5)").Kind);

    [Fact]
    public void Unknown_function_is_an_error_at_its_column_with_close_names()
    {
        var e = Eval.CompileError("x > 1 and lenght(s) > 2", "x", "s");
        Assert.Equal(ExpressionErrorKind.Name, e.Kind);
        Assert.Equal(11, e.Column);
        Assert.Contains("did you mean 'length'", e.Reason);
        Assert.Contains("'left'", Eval.CompileError("lefft('a', 1)").Reason);
    }

    [Fact]
    public void A_name_called_like_a_function_says_so() =>
        Assert.Contains("is a name, not a function", Eval.CompileError("amount(1)", "amount").Reason);

    [Theory]
    [InlineData("substr('a')", 1, "substr() takes 2 or 3 arguments, not 1")]
    [InlineData("x = lower()", 5, "lower() takes 1 argument, not 0")]
    [InlineData("now(1)", 1, "now() takes 0 arguments, not 1")]
    [InlineData("coalesce()", 1, "coalesce() takes at least 1 argument, not 0")]
    [InlineData("replace('a', 'b')", 1, "replace() takes 3 arguments, not 2")]
    public void Wrong_number_of_arguments_is_an_error_at_the_function_showing_its_usage(string text, int column, string reason)
    {
        var e = Eval.CompileError(text, "x");
        Assert.Equal(column, e.Column);
        Assert.StartsWith(reason, e.Reason);
        Assert.Contains("(", e.Reason[reason.Length..]);
    }
}
