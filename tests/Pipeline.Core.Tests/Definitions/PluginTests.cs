using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Step types from a plugin assembly named by <c>plugins:</c>, relative to the definition file.</summary>
public sealed class PluginTests : IDisposable
{
    private static readonly string PluginPath = Path.Combine(AppContext.BaseDirectory, "plugins", "Pipeline.TestPlugin.dll");

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-plugins-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Definition(string yaml)
    {
        var path = Path.Combine(_directory, "pipeline.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    // Relative to the definition's directory, as a user would write it.
    private string RelativePlugin => Path.GetRelativePath(_directory, PluginPath).Replace('\\', '/');

    [Fact]
    public void The_test_plugin_was_built_beside_the_tests()
    {
        Assert.True(File.Exists(PluginPath), $"Build the tests: {PluginPath} is missing.");
    }

    [Fact]
    public async Task A_plugin_step_type_loads_from_a_path_relative_to_the_definition_and_runs()
    {
        var path = Definition($$"""
            pipeline_id: plugged
            plugins: [{{RelativePlugin}}]
            steps:
              - id: greet
                type: plugin.greet
                with: { name: world, path: greeting.txt }
              - id: after
                type: log
                depends_on: [greet]
                with: { message: "said {steps.greet.greeting}" }
            """);
        var registry = StepTypeRegistry.CreateDefault();
        var definition = DefinitionLoader.LoadFile(path, registry);

        Assert.True(registry.TryGet("plugin.greet", out var handler));
        Assert.Equal("Pipeline.TestPlugin", handler.Info.Source);
        Assert.False(registry.TryGet("plugin.hidden", out _));

        var events = new Pipelines.EventLog();
        var result = await new PipelineExecutor(registry).RunAsync(new RunRequest { Definition = definition }, events);
        Assert.Equal(Pipeline.Core.State.RunStatus.Succeeded, result.Status);
        Assert.Equal("Hello, world!", File.ReadAllText(Path.Combine(_directory, "greeting.txt")));
        Assert.Contains(events.Events, e => e.Message == "said Hello, world!");
    }

    [Fact]
    public void A_plugin_step_types_options_are_checked_like_any_other()
    {
        var path = Definition($$"""
            pipeline_id: plugged
            plugins: [{{RelativePlugin}}]
            steps:
              - id: greet
                type: plugin.greet
                with: { nam: world }
            """);
        var errors = Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, StepTypeRegistry.CreateDefault())).Errors;
        Assert.Equal(["missing-option", "unknown-option"], errors.Select(e => e.Code));
        Assert.Contains("did you mean 'name'?", errors[1].Message);
    }

    [Fact]
    public void A_missing_plugin_is_reported_at_its_item_with_its_full_path()
    {
        var path = Definition("""
            pipeline_id: plugged
            plugins:
              - lib/nowhere.dll
            steps:
              - { id: greet, type: plugin.greet, with: { name: world } }
            """);
        var errors = Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, StepTypeRegistry.CreateDefault())).Errors;
        Problems.Expect(errors, 2);
        Assert.Equal("plugin-missing", errors[0].Code);
        Assert.Equal(new SourceLocation(path, 3, 5), errors[0].Location);
        Assert.Contains(Path.Combine(_directory, "lib", "nowhere.dll"), errors[0].Message);
        // Its step type is then unknown too.
        Assert.Equal("unknown-type", errors[1].Code);
    }

    [Fact]
    public void A_file_that_is_not_an_assembly_is_reported()
    {
        File.WriteAllText(Path.Combine(_directory, "fake.dll"), "this is not an assembly");
        var path = Definition("""
            pipeline_id: plugged
            plugins: [fake.dll]
            steps: [{ id: a, type: log, with: { message: hi } }]
            """);
        var error = Assert.Single(Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, StepTypeRegistry.CreateDefault())).Errors);
        Assert.Equal("plugin-invalid", error.Code);
        Assert.Equal(new SourceLocation(path, 2, 11), error.Location);
        Assert.Contains("not a .NET assembly", error.Message);
        Assert.Contains("fake.dll", error.Message);
    }

    [Fact]
    public void An_assembly_without_step_types_is_reported()
    {
        var remoteFs = Path.Combine(AppContext.BaseDirectory, "Pipeline.RemoteFs.dll");
        var path = Definition($$"""
            pipeline_id: plugged
            plugins: [{{Path.GetRelativePath(_directory, remoteFs).Replace('\\', '/')}}]
            steps: [{ id: a, type: log, with: { message: hi } }]
            """);
        var error = Assert.Single(Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadFile(path, StepTypeRegistry.CreateDefault())).Errors);
        Assert.Equal("plugin-empty", error.Code);
        Assert.Contains("IStepHandler", error.Message);
    }

    [Fact]
    public void Loading_the_same_plugin_again_reuses_it()
    {
        var first = StepTypeRegistry.CreateDefault();
        var second = StepTypeRegistry.CreateDefault();
        Assert.Equal(["plugin.greet"], first.LoadPlugin(PluginPath));
        Assert.Equal(["plugin.greet"], second.LoadPlugin(PluginPath));
        first.TryGet("plugin.greet", out var a);
        second.TryGet("plugin.greet", out var b);
        Assert.Same(a!.GetType(), b!.GetType());
    }
}
