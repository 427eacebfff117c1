using System.Text;

namespace Pipeline.Core.Planning;

/// <summary>A plan in words, for <c>-WhatIf</c> and <c>pipeline plan</c>: one line per level, each step with its type.</summary>
public static class PlanDescription
{
    /// <summary>
    /// <c>Run the pipeline 'nightly' (3 steps in 2 levels):</c> followed by lines such as
    /// <c>  level 1: extract (file.list), clean (powershell)</c>.
    /// </summary>
    public static string Format(ExecutionPlan plan)
    {
        var sb = new StringBuilder();
        var steps = plan.Steps.Count;
        var levels = plan.Levels.Count;
        sb.Append($"Run the pipeline '{plan.Definition.PipelineId}' ({steps} step{(steps == 1 ? "" : "s")} in {levels} level{(levels == 1 ? "" : "s")}):");
        for (var i = 0; i < levels; i++)
        {
            sb.AppendLine();
            sb.Append($"  level {i + 1}: ");
            sb.Append(string.Join(", ", plan.Levels[i].Select(s => $"{s.Id} ({s.Definition.Type})")));
        }
        return sb.ToString();
    }
}
