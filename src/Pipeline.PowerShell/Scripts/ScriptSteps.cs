using Pipeline.Core.Definitions;

namespace Pipeline.PowerShell.Scripts;

/// <summary>Binds the script-block steps of a definition to the host of one Invoke-Pipeline.</summary>
internal static class ScriptSteps
{
    public static PipelineDefinition BindTo(PipelineDefinition definition, ScriptHost host)
    {
        if (!definition.Steps.Any(Has)) return definition;
        return definition with { Steps = definition.Steps.Select(s => Bind(s, host)).ToArray() };
    }

    private static bool Has(StepDefinition step) => step.Handler is PowerShellStep || (step.Rollback is { } r && Has(r));

    private static StepDefinition Bind(StepDefinition step, ScriptHost host) => step with
    {
        Handler = step.Handler is PowerShellStep script ? script.BindTo(host) : step.Handler,
        Rollback = step.Rollback is { } rollback ? Bind(rollback, host) : null,
    };
}
