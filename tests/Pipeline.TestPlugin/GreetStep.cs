using Pipeline.Core.Steps;

namespace Pipeline.TestPlugin;

/// <summary>"plugin.greet": writes a greeting to a file and publishes it as the output 'greeting'.</summary>
public sealed class GreetStep : IStepHandler
{
    public StepTypeInfo Info { get; } = new("plugin.greet", "Writes a greeting to a file.",
    [
        new StepOptionInfo("name", StepOptionType.String, "Whom to greet.") { Required = true },
        new StepOptionInfo("path", StepOptionType.String, "The file to write."),
    ])
    { Source = "Pipeline.TestPlugin" };

    public async Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var greeting = $"Hello, {context.Options.GetRequiredString("name")}!";
        if (context.Options.GetString("path") is { } path)
            await File.WriteAllTextAsync(context.ResolveLocalPath(path), greeting, cancellationToken);
        context.SetOutput("greeting", greeting);
    }
}

/// <summary>Not registered: abstract.</summary>
public abstract class AbstractStep : IStepHandler
{
    public abstract StepTypeInfo Info { get; }

    public abstract Task ExecuteAsync(StepContext context, CancellationToken cancellationToken);
}

/// <summary>Not registered: it has no parameterless constructor.</summary>
public sealed class ConfiguredStep(string name) : IStepHandler
{
    public StepTypeInfo Info { get; } = new(name, "Needs a name.", []);

    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Not registered: not public.</summary>
internal sealed class HiddenStep : IStepHandler
{
    public StepTypeInfo Info { get; } = new("plugin.hidden", "Hidden.", []);

    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
