using Pipeline.Core.Definitions;
using Pipeline.Core.Steps;
using Pipeline.Core.Tests.Support;

namespace Pipeline.Core.Tests.Definitions;

/// <summary>Loads definitions that must fail and checks each problem's code, words and exact position.</summary>
internal static class Problems
{
    public const string File = "pipeline.yml";

    public static StepTypeRegistry Registry()
    {
        var registry = Pipelines.Registry();
        registry.Register(new OptionsStep());
        return registry;
    }

    /// <summary>Every problem of a definition that must not load.</summary>
    public static IReadOnlyList<DefinitionError> Of(string yaml, StepTypeRegistry? registry = null) =>
        Assert.Throws<DefinitionException>(() => DefinitionLoader.LoadText(yaml, registry ?? Registry(), File)).Errors;

    /// <summary>The one problem of a definition that must not load.</summary>
    public static DefinitionError One(string yaml, StepTypeRegistry? registry = null)
    {
        var errors = Of(yaml, registry);
        Assert.True(errors.Count == 1, "Expected one problem, got:\n" + string.Join("\n", errors));
        return errors[0];
    }

    /// <summary>Checks the number of problems, listing them all when it differs.</summary>
    public static void Expect(IReadOnlyList<DefinitionError> errors, int count) =>
        Assert.True(errors.Count == count, $"Expected {count} problems, got {errors.Count}:\n" + string.Join("\n", errors));

    /// <summary>Checks a problem's code, position and the words its message must contain.</summary>
    public static void Is(this DefinitionError error, string code, int line, int column, params string[] words)
    {
        Assert.True(error.Code == code, $"Expected code '{code}', got: {error}");
        Assert.NotNull(error.Location);
        Assert.True((line, column) == (error.Location!.Line, error.Location.Column),
            $"Expected {line}:{column}, got {error.Location.Line}:{error.Location.Column}: {error}");
        foreach (var word in words) Assert.True(error.Message.Contains(word, StringComparison.Ordinal), $"Expected '{word}' in: {error.Message}");
    }

    /// <summary>Loads a definition that must be valid.</summary>
    public static PipelineDefinition Valid(string yaml, StepTypeRegistry? registry = null) => DefinitionLoader.LoadText(yaml, registry ?? Registry(), File);
}

/// <summary>"test.options": one option of each kind, for checking option values.</summary>
public sealed class OptionsStep : IStepHandler
{
    public StepTypeInfo Info { get; } = new("test.options", "Takes one option of each kind.",
    [
        new StepOptionInfo("target", StepOptionType.String, "Where to.") { Required = true },
        new StepOptionInfo("count", StepOptionType.Integer, "How many."),
        new StepOptionInfo("ratio", StepOptionType.Number, "How much."),
        new StepOptionInfo("enabled", StepOptionType.Boolean, "Whether."),
        new StepOptionInfo("wait", StepOptionType.Duration, "How long."),
        new StepOptionInfo("mode", StepOptionType.String, "Which way.") { AllowedValues = ["fast", "careful", "dry_run"] },
        new StepOptionInfo("names", StepOptionType.List, "Which ones."),
        new StepOptionInfo("labels", StepOptionType.Map, "Extra labels."),
        new StepOptionInfo("extra", StepOptionType.Any, "Anything."),
    ]);

    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
