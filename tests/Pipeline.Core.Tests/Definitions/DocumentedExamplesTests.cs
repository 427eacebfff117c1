using System.Text.RegularExpressions;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.State;
using Pipeline.Core.Steps;
using Pipeline.Core.Templates;
using Pipeline.Core.Tests.Support;
using static Pipeline.Core.Tests.Support.Pipelines;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>docs/yaml-reference.md says what the code does: its whole examples load, its lists of keys, trigger
/// rules and error kinds are the code's.</summary>
public sealed partial class DocumentedExamplesTests
{
    private static readonly string Reference = File.ReadAllText(FindDocs("yaml-reference.md"));

    private static string FindDocs(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "docs", name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"docs/{name} was not found above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex("```yaml\\n(?<yaml>pipeline_id:.*?)```", RegexOptions.Singleline)]
    private static partial Regex WholeExamples();

    public static TheoryData<int> Examples => new(Enumerable.Range(0, WholeExamples().Matches(Reference).Count));

    [Fact]
    public void The_reference_has_whole_examples() => Assert.True(WholeExamples().Matches(Reference).Count >= 2);

    [Theory]
    [MemberData(nameof(Examples))]
    public void Each_whole_example_loads_without_problems(int index)
    {
        var yaml = WholeExamples().Matches(Reference)[index].Groups["yaml"].Value;
        var definition = DefinitionLoader.LoadText(yaml, StepTypeRegistry.CreateDefault(), "example.yml");
        Assert.NotEmpty(definition.Steps);
        // Its templates resolve too, given the secret it names.
        var scope = new TemplateScope(definition.PipelineId, "run", DateTimeOffset.Now, definition.Variables, new Dictionary<string, string>(),
            new SecretStore(new Dictionary<string, string> { ["SALES_API_TOKEN"] = "token-for-the-docs" }), new SecretMasker());
        Assert.Empty(DefinitionValidator.Validate(definition, StepTypeRegistry.CreateDefault(), scope));
    }

    [Fact]
    public void Every_key_is_documented()
    {
        foreach (var key in PipelineYaml.PipelineKeys.Concat(PipelineYaml.StepKeys).Concat(PipelineYaml.RetryKeys))
            Assert.Contains($"| `{key}` |", Reference.Replace("`input` (or `inputs`)", "`input` | `inputs`"));
    }

    [Fact]
    public void Every_trigger_rule_and_error_kind_is_documented()
    {
        foreach (var rule in Enum.GetValues<TriggerRule>()) Assert.Contains($"| `{PipelineYaml.SnakeCase(rule)}`", Reference);
        foreach (var kind in ErrorKinds.Names) Assert.Contains($"| `{kind}` |", Reference);
    }

    [Theory]
    [InlineData(FailurePolicy.Stop)]
    [InlineData(FailurePolicy.Continue)]
    public async Task The_trigger_example_does_what_the_reference_says(FailurePolicy onFailure)
    {
        // The trigger example, with steps that fail or succeed on demand: transform fails, so publish is skipped and
        // counts as failed, alert runs, cleanup runs; with on_failure: stop (the default) as with continue.
        var test = new TestStep();
        var fail = new Dictionary<string, object?> { ["fail_times"] = "1", ["fail_kind"] = "process_exit" };
        var definition = Definition(
            Step("extract"),
            Step("transform", dependsOn: ["extract"], with: fail),
            Step("publish", dependsOn: ["transform"]),
            Step("alert", dependsOn: ["publish"], trigger: TriggerRule.OneFailed),
            Step("cleanup", dependsOn: ["publish", "alert"], trigger: TriggerRule.AllDone)) with { OnFailure = onFailure };
        var result = await new PipelineExecutor(Registry(test)).RunAsync(new RunRequest { Definition = definition });
        RunStatus Status(string id) => result.Steps.Single(s => s.StepId == id).Status;
        Assert.Equal(RunStatus.Failed, Status("transform"));
        Assert.Equal(RunStatus.Skipped, Status("publish"));
        Assert.Contains("'transform' failed", result.Steps.Single(s => s.StepId == "publish").Reason);
        Assert.Equal(RunStatus.Succeeded, Status("alert"));
        Assert.Equal(RunStatus.Succeeded, Status("cleanup"));
        Assert.Equal(RunStatus.Failed, result.Status);
    }
}
