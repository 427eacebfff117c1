using System.Text.RegularExpressions;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps;
using Pipeline.Core.Steps.Data.Transforms;
using Pipeline.Core.Steps.Data.Validation;

namespace Pipeline.Core.Tests.Steps.Data.Transforms;

/// <summary>docs/yaml-reference.md's Transforms section says what the code does: every transform and option is
/// there, and its complete example runs.</summary>
public sealed partial class TransformDocsTests
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

    public static TheoryData<string> Transforms => new(
        new IStepHandler[]
        {
            new FilterStep(), new SelectStep(), new DeriveStep(), new SortStep(), new DistinctStep(), new JoinStep(), new LookupStep(),
            new AggregateStep(), new UnionStep(), new SplitStep(), new LimitStep(), new ValidateStep(),
        }.Select(h => h.Info.Name));

    [Theory]
    [MemberData(nameof(Transforms))]
    public void Every_transform_and_each_of_its_options_is_documented(string type)
    {
        var info = StepTypeRegistry.CreateDefault().Types.Single(t => t.Name == type);
        var start = Reference.IndexOf($"\n### {type}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section '### {type}'");
        var end = Reference.IndexOf("\n##", start + 5, StringComparison.Ordinal);
        var section = Reference[start..(end < 0 ? Reference.Length : end)];
        foreach (var option in info.Options)
            Assert.True(section.Contains($"| `{option.Name}`", StringComparison.Ordinal) || section.Contains($"`{option.Name}`, `", StringComparison.Ordinal) || section.Contains($", `{option.Name}` |", StringComparison.Ordinal),
                $"{type}: the option '{option.Name}' is not in its table");
        Assert.Contains("```yaml", section);
    }

    [GeneratedRegex("## Transforms: a complete example.*?```yaml\\n(?<yaml>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CompleteExample();

    [Fact]
    public async Task The_complete_example_runs_on_a_real_directory()
    {
        using var temp = new TempDirectory();
        temp.Write("incoming/sales.csv", new string('x', 10));
        temp.Write("incoming/2026/orders.json", new string('x', 20));
        temp.Write("incoming/Bad Name.csv", "x");
        temp.Write("incoming/notes.txt", "ignored");
        var yaml = CompleteExample().Match(Reference).Groups["yaml"].Value;
        var registry = StepTypeRegistry.CreateDefault();
        var received = new List<object?[]>();

        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest
        {
            Definition = DefinitionLoader.LoadText(yaml, registry, Path.Combine(temp.Path, "inbox.yml")),
            WorkingDirectory = temp.Path,
            Output = (batch, _) =>
            {
                var part = batch.Schema.IndexOf("part");
                var kind = batch.Schema.IndexOf("kind");
                var files = batch.Schema.IndexOf("files");
                received.AddRange(batch.Rows.Select(r => new[] { r[part], r[kind], r[files] }));
                return ValueTask.CompletedTask;
            },
        });

        Assert.True(result.Succeeded, result.Error);
        Assert.Contains(["per_kind", "CSV", 1L], received);
        Assert.Contains(["per_kind", "JSON", 1L], received);
        Assert.Contains(received, r => (string)r[0]! == "check.rejected" && (string)r[1]! == "CSV");
        Assert.Equal(3, received.Count);
    }
}
