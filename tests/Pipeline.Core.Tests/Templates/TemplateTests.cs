using Pipeline.Core.Templates;

namespace Pipeline.Core.Tests.Templates;

/// <summary>Finding and replacing {name} references in text.</summary>
public sealed class TemplateTests
{
    private static string Upper(string text) => Template.Render(text, r => r.Text.ToUpperInvariant());

    [Fact]
    public void References_are_found_with_their_argument_and_offset()
    {
        var references = Template.References("s3://raw/{date:yyyy/MM/dd}/{region}-{run_id}.csv {env:HOME} {now:HH:mm:ss}");
        Assert.Equal(
        [
            new TemplateReference("date", "yyyy/MM/dd", 9),
            new TemplateReference("region", null, 27),
            new TemplateReference("run_id", null, 36),
            new TemplateReference("env", "HOME", 49),
            new TemplateReference("now", "HH:mm:ss", 60),
        ], references);
    }

    [Fact]
    public void Doubled_braces_stand_for_braces()
    {
        Assert.Equal("{date} is DATE and }} stays one", Upper("{{date}} is {date} and }}}} stays one"));
        Assert.Empty(Template.References("{{date}}"));
    }

    [Theory]
    [InlineData("{ \"a\": 1 }")]
    [InlineData("{\"a\": [1, 2]}")]
    [InlineData("{}")]
    [InlineData("{ }")]
    [InlineData("a } b")]
    [InlineData("{1abc}")]
    [InlineData("{date")]
    [InlineData("{date:unclosed")]
    [InlineData("{a b}")]
    [InlineData("function() { return 1; }")]
    public void Text_that_only_looks_like_a_template_is_left_alone(string text)
    {
        Assert.Empty(Template.References(text));
        Assert.Equal(text, Upper(text));
    }

    [Fact]
    public void Step_outputs_are_references_with_dots()
    {
        Assert.Equal("steps.extract.rows", Assert.Single(Template.References("{steps.extract.rows} rows")).Name);
    }
}
