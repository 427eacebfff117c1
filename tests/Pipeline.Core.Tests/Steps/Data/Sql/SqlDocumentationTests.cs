using Pipeline.Core.Definitions;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Tests.Steps.Data.Sql;

/// <summary>The SQL section of docs/yaml-reference.md says what the code does.</summary>
public sealed class SqlDocumentationTests
{
    private static readonly string Section = ReadSection();

    private static string ReadSection()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "docs", "yaml-reference.md");
            if (File.Exists(path))
            {
                var text = File.ReadAllText(path);
                return text[text.IndexOf("\n## SQL\n", StringComparison.Ordinal)..];
            }
        }
        throw new FileNotFoundException("docs/yaml-reference.md was not found.");
    }

    [Fact]
    public void The_example_loads_and_validates_given_its_secrets()
    {
        var start = Section.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = Section[start..Section.IndexOf("```", start, StringComparison.Ordinal)];
        var registry = StepTypeRegistry.CreateDefault();
        var definition = DefinitionLoader.LoadText(yaml, registry, "example.yml");
        var scope = new TemplateScope(definition.PipelineId, "run", DateTimeOffset.Now, definition.Variables, new Dictionary<string, string>(),
            new SecretStore(new Dictionary<string, string> { ["PG_READER"] = "r", ["PG_LOADER"] = "l" }), new SecretMasker());

        Assert.Empty(DefinitionValidator.Validate(definition, registry, scope));
        Assert.Equal(["orders", "customers", "totals", "load", "refused"], definition.Steps.Select(s => s.Id));
    }

    [Theory]
    [InlineData("sql.read")]
    [InlineData("sql.write")]
    [InlineData("sql")]
    public void Every_option_is_documented(string type)
    {
        Assert.True(StepTypeRegistry.CreateDefault().TryGet(type, out var handler));
        var table = Section[Section.IndexOf($"### {type}\n", StringComparison.Ordinal)..];
        foreach (var option in handler.Info.Options)
            Assert.Contains($"`{option.Name}`", table[..table.IndexOf("\n\n", table.IndexOf("| Option", StringComparison.Ordinal), StringComparison.Ordinal)]);
    }
}
