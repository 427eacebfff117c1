using Pipeline.Core.Planning;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Execution;

/// <summary>Evaluates <c>when:</c> conditions of steps.</summary>
internal static class Conditions
{
    /// <summary>Checks every condition of a plan before the run starts.</summary>
    public static void Check(ExecutionPlan plan, TemplateScope scope)
    {
    }

    /// <summary>Whether a step's condition holds, given the run's variables and upstream results.</summary>
    public static bool Evaluate(string condition, TemplateScope scope, Func<string, object?> stepValue) =>
        throw new NotSupportedException("Conditions arrive with the expression language.");
}
