using Pipeline.Core.Definitions;
using Pipeline.Core.Steps;

namespace Pipeline.Core.Execution;

/// <summary>Where steps read records from when they do not say.</summary>
public static class StepInputs
{
    /// <summary>The reserved input name for records fed to the pipeline by its caller.</summary>
    public const string PipelineInput = "input";

    /// <summary>
    /// A step that reads records and names no <c>input</c> reads the records of its <c>depends_on</c> steps that
    /// produce records; a step with none of those reads the pipeline's input (records piped in by the caller).
    /// </summary>
    public static PipelineDefinition Normalize(PipelineDefinition definition, StepTypeRegistry registry)
    {
        var byId = definition.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        bool Produces(StepDefinition s) => Info(s, registry)?.ProducesRecords == true;
        var steps = definition.Steps.Select(step =>
        {
            if (step.Inputs.Count > 0 || Info(step, registry)?.ConsumesRecords != true) return step;
            var producers = step.DependsOn.Where(d => byId.TryGetValue(d, out var p) && Produces(p)).ToArray();
            return step with { Inputs = producers.Length > 0 ? producers : [PipelineInput] };
        }).ToArray();
        return definition with { Steps = steps };
    }

    /// <summary>
    /// The step an input reference reads from: <c>extract</c> for <c>extract</c>, and <c>check</c> for
    /// <c>check.rejected</c> (a named output of the step <c>check</c>). Step ids never hold a '.', so the split is
    /// unambiguous.
    /// </summary>
    public static string ProducerOf(string input)
    {
        var dot = input.IndexOf('.');
        return dot < 0 ? input : input[..dot];
    }

    /// <summary>The named output an input reference reads (<c>rejected</c> for <c>check.rejected</c>), or null for
    /// the step's main output.</summary>
    public static string? PortOf(string input)
    {
        var dot = input.IndexOf('.');
        return dot < 0 ? null : input[(dot + 1)..];
    }

    internal static StepTypeInfo? Info(StepDefinition step, StepTypeRegistry registry) =>
        step.Handler?.Info ?? (registry.TryGet(step.Type, out var handler) ? handler.Info : null);
}
