using Pipeline.Core.Expressions;

namespace Pipeline.Core.Tests.Expressions;

public sealed class LikeTests
{
    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("abc", "a%", true)]
    [InlineData("abc", "%c", true)]
    [InlineData("abc", "%b%", true)]
    [InlineData("abc", "a_c", true)]
    [InlineData("abc", "a_", false)]
    [InlineData("abc", "___", true)]
    [InlineData("abc", "____", false)]
    [InlineData("abc", "ab", false)]
    [InlineData("abc", "bc", false)]
    [InlineData("", "%", true)]
    [InlineData("", "", true)]
    [InlineData("", "_", false)]
    [InlineData("abc", "%", true)]
    [InlineData("abc", "%%%", true)]
    [InlineData("abc", "ABC", false)]
    [InlineData("aaa", "a%a%a", true)]
    [InlineData("aa", "a%a%a", false)]
    [InlineData("ab", "a%%b", true)]
    [InlineData("mississippi", "m%iss%ppi", true)]
    [InlineData("mississippi", "%ss%ss%", true)]
    [InlineData("mississippi", "%ss%ss%ss%", false)]
    [InlineData("abc", "%d%", false)]
    [InlineData("a.c", "a.c", true)]
    [InlineData("abc", "a.c", false)]
    [InlineData("a[b]c", "a[b]c", true)]
    [InlineData("a*c", "a*c", true)]
    [InlineData("a+c", "a+c", true)]
    [InlineData("a\\c", "a\\c", true)]
    [InlineData("a\nb", "a_b", true)]
    [InlineData("😀", "_", true)]
    [InlineData("x😀y", "x_y", true)]
    public void Like_matches_the_whole_text_with_percent_and_underscore(string text, string pattern, bool expected)
    {
        Assert.Equal(expected, Eval.IsTrue("s LIKE p", ("s", text), ("p", pattern)));
        Assert.Equal(!expected, Eval.IsTrue("s NOT LIKE p", ("s", text), ("p", pattern)));
        Assert.Equal(expected, Eval.IsTrue($"s LIKE '{pattern.Replace("'", "''")}'", ("s", text)));
    }

    [Theory]
    [InlineData("50%", "50!%", true)]
    [InlineData("500", "50!%", false)]
    [InlineData("a_b", "a!_b", true)]
    [InlineData("axb", "a!_b", false)]
    [InlineData("a!b", "a!!b", true)]
    [InlineData("50% off", "%!%%", true)]
    public void Escape_makes_the_next_character_literal(string text, string pattern, bool expected) =>
        Assert.Equal(expected, Eval.IsTrue($"s LIKE '{pattern}' ESCAPE '!'", ("s", text)));

    [Fact]
    public void Backslash_is_not_an_escape_unless_named()
    {
        Assert.True(Eval.IsTrue(@"path LIKE 'C:\data\%'", ("path", @"C:\data\in.csv")));
        Assert.True(Eval.IsTrue(@"s LIKE 'a\%' ESCAPE '\'", ("s", "a%")));
        Assert.False(Eval.IsTrue(@"s LIKE 'a\%' ESCAPE '\'", ("s", "ab")));
    }

    [Fact]
    public void Empty_escape_means_no_escape() => Assert.True(Eval.IsTrue("s LIKE 'a!%' ESCAPE ''", ("s", "a!bc")));

    [Fact]
    public void Ilike_ignores_case()
    {
        Assert.True(Eval.IsTrue("s ILIKE 'ab%'", ("s", "ABC")));
        Assert.False(Eval.IsTrue("s NOT ILIKE 'ab%'", ("s", "ABC")));
        Assert.False(Eval.IsTrue("s LIKE 'ab%'", ("s", "ABC")));
    }

    [Fact]
    public void Escape_of_more_than_one_character_is_an_error_at_the_escape()
    {
        var e = Eval.CompileError("s LIKE 'a%' ESCAPE '!!'", "s");
        Assert.Equal(20, e.Column);
    }

    [Fact]
    public void Escape_that_is_not_a_constant_is_an_error_at_the_escape() =>
        Assert.Equal(20, Eval.CompileError("s LIKE 'a%' ESCAPE e", "s", "e").Column);

    [Fact]
    public void Constant_pattern_ending_in_its_escape_is_an_error_at_the_pattern()
    {
        var e = Eval.CompileError("s LIKE 'abc!' ESCAPE '!'", "s");
        Assert.Equal(8, e.Column);
        Assert.Contains("escape", e.Reason);
    }

    [Fact]
    public void Row_pattern_ending_in_its_escape_is_an_evaluation_error() =>
        Assert.Contains("escape", Eval.EvaluationError("s LIKE p ESCAPE '!'", ("s", "a"), ("p", "a!")).Reason);

    [Fact]
    public void Numbers_are_matched_by_their_text() => Assert.True(Eval.IsTrue("n LIKE '12%'", ("n", 1234L)));

    [Fact]
    public void Many_percents_on_a_long_text_finish()
    {
        var text = new string('a', 20_000);
        Assert.False(Eval.IsTrue("s LIKE '%a%a%a%a%b'", ("s", text)));
        Assert.True(Eval.IsTrue("s LIKE '%a%a%a%a%a'", ("s", text)));
    }

    [Fact]
    public void Like_result_type_is_boolean() =>
        Assert.Equal(Records.FieldType.Boolean, ExpressionCompiler.Compile("s LIKE 'a%'", ["s"]).ResultType);
}
