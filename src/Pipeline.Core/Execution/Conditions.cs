using System.Text.RegularExpressions;
using Pipeline.Core.Expressions;
using Pipeline.Core.Templates;

namespace Pipeline.Core.Execution;

/// <summary>
/// <c>when:</c> conditions: expressions of the engine's expression language over the run's variables, the
/// built-ins <c>run_id</c>, <c>pipeline_id</c> and <c>date</c>, and the results of upstream steps
/// (<c>steps.ID.status</c>, <c>rows</c>, <c>bytes</c>, <c>files</c>, <c>attempts</c>, <c>error</c>,
/// <c>error_kind</c>, or any output the step published).
/// </summary>
internal static partial class Conditions
{
    /// <summary>The result fields every step has.</summary>
    public static readonly string[] StepFields = ["status", "rows", "bytes", "files", "attempts", "error", "error_kind"];

    private static readonly string[] BuiltIns = ["run_id", "pipeline_id", "date"];

    [GeneratedRegex(@"(?<![\w.])steps\.([A-Za-z0-9_][A-Za-z0-9_\-.]*?)\.([A-Za-z_][A-Za-z0-9_]*)\b")]
    private static partial Regex StepReference();

    /// <summary>The names a condition may use: variables, built-ins, the standard fields of upstream steps, and
    /// the upstream outputs it mentions.</summary>
    public static List<string> Names(string condition, IEnumerable<string> variables, IReadOnlySet<string> upstream)
    {
        var names = new List<string>(variables);
        names.AddRange(BuiltIns.Where(b => !names.Contains(b)));
        foreach (var step in upstream.OrderBy(s => s, StringComparer.Ordinal))
            names.AddRange(StepFields.Select(f => $"steps.{step}.{f}"));
        foreach (Match match in StepReference().Matches(condition))
        {
            if (upstream.Contains(match.Groups[1].Value) && !names.Contains(match.Value, StringComparer.OrdinalIgnoreCase))
                names.Add(match.Value);
        }
        return names;
    }

    /// <summary>Compiles a condition, or returns the problem with its column.</summary>
    public static string? Check(string condition, IEnumerable<string> variables, IReadOnlySet<string> upstream)
    {
        try
        {
            ExpressionCompiler.CompileCondition(condition, Names(condition, variables, upstream));
            return null;
        }
        catch (ExpressionException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Whether a step's condition holds now.</summary>
    public static bool Evaluate(string condition, TemplateScope scope, IReadOnlySet<string> upstream, Func<string, object?> stepValue)
    {
        var names = Names(condition, scope.Variables.Keys, upstream);
        var compiled = ExpressionCompiler.CompileCondition(condition, names);
        var row = names.Select(name => name switch
        {
            _ when scope.Variables.TryGetValue(name, out var v) => v,
            "run_id" => scope.RunId,
            "pipeline_id" => scope.PipelineId,
            "date" => (object)DateOnly.FromDateTime(scope.StartedAt.Date),
            _ => stepValue(name),
        }).ToArray();
        return compiled.IsTrue(row);
    }
}
