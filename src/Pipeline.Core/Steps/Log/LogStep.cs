using Pipeline.Core.Observability;

namespace Pipeline.Core.Steps.Log;

/// <summary><c>log</c>: writes one message to the run's log, for markers and for showing resolved templates.</summary>
public sealed class LogStep : IStepHandler
{
    /// <inheritdoc />
    public StepTypeInfo Info { get; } = new(
        "log",
        "Writes a message (templates resolved) to the run's log at the given level.",
        [
            new StepOptionInfo("message", StepOptionType.String, "The message to write.") { Required = true },
            new StepOptionInfo("level", StepOptionType.String, "The level to write it at.") { Default = "information", AllowedValues = ["information", "verbose", "warning", "error"] },
        ]);

    /// <inheritdoc />
    public Task ExecuteAsync(StepContext context, CancellationToken cancellationToken)
    {
        var message = context.Options.GetRequiredString("message");
        var level = context.Options.GetChoice("level", "information", "information", "verbose", "warning", "error") switch
        {
            "verbose" => LogLevel.Verbose,
            "warning" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => LogLevel.Information,
        };
        cancellationToken.ThrowIfCancellationRequested();
        context.Log(level, message);
        return Task.CompletedTask;
    }
}
