using Pipeline.Core.Definitions;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Loading;

public sealed class YamlSyntaxTests
{
    private static DefinitionError SingleError(string yaml)
    {
        var ex = Assert.Throws<DefinitionException>(() => Yaml(yaml, Registry(), "/defs/p.yml"));
        return Assert.Single(ex.Errors);
    }

    [Fact]
    public void Brace_left_open_before_the_next_list_item_is_reported_where_it_opens()
    {
        // YamlDotNet throws InvalidOperationException for this text rather than a YamlException.
        var error = SingleError("pipeline_id: x\nsteps:\n  - id: a\n    type: log\n    with: {message: hi\n  - id: b\n");

        Assert.Equal("yaml-syntax", error.Code);
        Assert.Equal(new SourceLocation("/defs/p.yml", 5, 11), error.Location);
        Assert.Equal("YAML syntax: the '{' opened here is never closed with '}'.", error.Message);
    }

    [Fact]
    public void Tab_indentation_is_reported_at_the_tab()
    {
        var error = SingleError("pipeline_id: x\nsteps:\n  - id: a\n\ttype: log\n");

        Assert.Equal("yaml-syntax", error.Code);
        Assert.Equal(new SourceLocation("/defs/p.yml", 4, 1), error.Location);
    }
}
