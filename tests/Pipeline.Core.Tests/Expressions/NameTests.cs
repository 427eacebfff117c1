using Pipeline.Core.Expressions;

namespace Pipeline.Core.Tests.Expressions;

public sealed class NameTests
{
    [Fact]
    public void Names_are_case_insensitive() => Assert.True(Eval.IsTrue("AMOUNT > 1", ("amount", 2L)));

    [Fact]
    public void Referenced_names_are_spelled_as_given_in_order_of_first_use_without_repeats()
    {
        var compiled = ExpressionCompiler.Compile("B + a + b > 0 OR c IS NULL", ["a", "b", "c", "unused"]);
        Assert.Equal(["b", "a", "c"], compiled.ReferencedNames);
    }

    [Fact]
    public void Values_are_taken_by_the_position_of_their_name()
    {
        var compiled = ExpressionCompiler.Compile("b - a", ["a", "b"]);
        Assert.Equal(8L, compiled.Evaluate([2L, 10L]));
    }

    [Fact]
    public void Dotted_names_reach_step_outputs_and_variables()
    {
        Assert.True(Eval.IsTrue("steps.extract.status = 'succeeded' and vars.env = 'prod'",
            ("steps.extract.status", "succeeded"), ("vars.env", "prod")));
        Assert.Equal(["steps.extract.status"], Eval.Compile("Steps.Extract.Status IS NULL", ("steps.extract.status", null)).ReferencedNames);
    }

    [Theory]
    [InlineData("\"first name\"")]
    [InlineData("[first name]")]
    [InlineData("\"FIRST NAME\"")]
    public void Quoted_names_may_hold_spaces(string name) =>
        Assert.Equal("Ann", Eval.Of(name, ("first name", "Ann")));

    [Fact]
    public void Quotes_are_escaped_by_doubling_them()
    {
        Assert.Equal(1L, Eval.Of("\"say \"\"hi\"\"\"", ("say \"hi\"", 1L)));
        Assert.Equal(1L, Eval.Of("[a]]b]", ("a]b", 1L)));
    }

    [Fact]
    public void Parts_of_a_dotted_name_may_be_quoted() =>
        Assert.Equal("ok", Eval.Of("steps.\"load files\".status", ("steps.load files.status", "ok")));

    [Fact]
    public void Quoted_keywords_are_names()
    {
        Assert.Equal(1L, Eval.Of("\"end\"", ("end", 1L)));
        Assert.Equal(2L, Eval.Of("[select] + [case]", ("select", 1L), ("case", 1L)));
    }

    [Fact]
    public void Date_and_timestamp_are_names_unless_a_string_follows()
    {
        Assert.True(Eval.IsTrue("date >= DATE '2026-01-01' AND timestamp IS NOT NULL", ("date", "2026-11-21"), ("timestamp", 1L)));
        Assert.Equal(2026L, Eval.Of("year(date)", ("date", "2026-11-21")));
    }

    [Fact]
    public void Unknown_name_is_an_error_at_its_column_with_a_suggestion()
    {
        var e = Eval.CompileError("country = 'DE' and amout > 500", "amount", "country");
        Assert.Equal(ExpressionErrorKind.Name, e.Kind);
        Assert.Equal(20, e.Column);
        Assert.Equal("unknown name 'amout'; did you mean 'amount'?", e.Reason);
    }

    [Fact]
    public void Suggestions_list_several_close_names_closest_first()
    {
        var e = Eval.CompileError("stat = 1", "state", "stats", "status", "other");
        Assert.Equal("unknown name 'stat'; did you mean 'state' or 'stats'?", e.Reason);
    }

    [Fact]
    public void Transposed_letters_count_as_one_edit() =>
        Assert.Contains("did you mean 'country'", Eval.CompileError("cuontry = 1", "country").Reason);

    [Fact]
    public void Misspelt_dotted_name_suggests_the_dotted_name() =>
        Assert.Contains("did you mean 'steps.extract.status'",
            Eval.CompileError("steps.extract.stauts = 'ok'", "steps.extract.status", "vars.env").Reason);

    [Fact]
    public void Last_part_alone_suggests_the_full_dotted_name() =>
        Assert.Contains("did you mean 'steps.extract.status'",
            Eval.CompileError("status = 'ok'", "steps.extract.status", "vars.env").Reason);

    [Fact]
    public void A_suggested_name_that_needs_quotes_is_shown_quoted() =>
        Assert.Contains("did you mean \"first name\"?", Eval.CompileError("[frist name] = 'a'", "first name").Reason);

    [Fact]
    public void Far_off_name_lists_what_is_available()
    {
        Assert.Equal("unknown name 'zzz' (available: 'a', 'b')", Eval.CompileError("zzz", "a", "b").Reason);
        Assert.Equal("unknown name 'zzz' (no names are available here)", Eval.CompileError("zzz").Reason);
    }

    [Fact]
    public void A_function_name_without_parentheses_suggests_calling_it() =>
        Assert.Contains("did you mean today()?", Eval.CompileError("today > DATE '2026-01-01'", "x").Reason);

    [Fact]
    public void Duplicate_names_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => ExpressionCompiler.Compile("a", ["a", "A"]));
        Assert.Contains("'A'", e.Message);
        Assert.Throws<ArgumentException>(() => ExpressionCompiler.Compile("a", ["a", null!]));
    }

    [Fact]
    public void A_row_shorter_than_the_names_is_refused()
    {
        var compiled = ExpressionCompiler.Compile("a", ["a", "b"]);
        Assert.Throws<ArgumentException>(() => compiled.Evaluate(["x"]));
        Assert.Throws<ArgumentException>(() => compiled.IsTrue(["x"]));
    }
}
