namespace Pipeline.Core.Steps;

/// <summary><c>noop</c>: does nothing. Useful to join branches or to mark a point in a pipeline.</summary>
public sealed class NoopStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new("noop", "Does nothing; joins branches or marks a point in the pipeline.", []);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
