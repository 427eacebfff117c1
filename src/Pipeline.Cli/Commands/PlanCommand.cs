using System.CommandLine;
using System.Globalization;
using Pipeline.Cli.Terminal;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Planning;
using Pipeline.Core.Steps;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline plan</c>: the levels and the order of the steps, without running anything.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var file = CommonOptions.DefinitionFile();
        var variables = CommonOptions.Variables();
        var command = new Command("plan", "Print the steps level by level, in the order they would run, without running them.") { file, variables };
        command.SetAction((parse, _) => GlobalOptions.Guard(parse, output =>
            Task.FromResult(Execute(output, CommonOptions.ExistingFile(parse.GetValue(file)!), parse.GetValue(variables)))));
        return command;
    }

    private static int Execute(TerminalOutput output, string file, string[]? variablePairs)
    {
        var variables = CommonOptions.ParseVariables(variablePairs);
        var registry = StepTypeRegistry.CreateDefault();
        ExecutionPlan plan;
        try
        {
            var definition = DefinitionLoader.LoadFile(file, registry, variables.Keys);
            plan = new PipelineExecutor(registry).Plan(definition, variables.Keys);
        }
        catch (DefinitionException ex)
        {
            return DefinitionProblems.Report(output, ex, file, "the definition is invalid.");
        }

        var d = plan.Definition;
        output.WriteLine(
            $"Pipeline '{d.PipelineId}': {ValidateCommand.Plural(plan.Steps.Count, "step")} in {ValidateCommand.Plural(plan.Levels.Count, "level")}; " +
            $"on_failure {PipelineYaml.SnakeCase(d.OnFailure)}; max_parallel {(d.MaxParallel > 0 ? d.MaxParallel.ToString(CultureInfo.InvariantCulture) : "not set")}.",
            Style.Bold);
        if (d.Description is { Length: > 0 } description) output.WriteLine(description.Trim());
        output.WriteLine("Steps of one level may run at once with --parallel; without it they run one at a time in the order '#'.", Style.Dim);
        output.Out.WriteLine();

        var table = new TextTable("LEVEL", "#", "STEP", "TYPE", "AFTER", "DETAILS");
        foreach (var level in plan.Levels)
        {
            foreach (var step in level)
            {
                var s = step.Definition;
                table.Add((step.Level + 1).ToString(CultureInfo.InvariantCulture), (step.Index + 1).ToString(CultureInfo.InvariantCulture),
                    s.Id, s.Type, string.Join(", ", s.Upstream), string.Join("; ", Details(d, s)));
            }
        }
        table.WriteTo(output);
        return ExitCodes.Success;
    }

    private static IEnumerable<string> Details(PipelineDefinition pipeline, StepDefinition step)
    {
        if (step.Inputs.Count > 0) yield return "records from " + string.Join(", ", step.Inputs);
        if (step.Trigger != TriggerRule.AllSuccess) yield return "trigger " + PipelineYaml.SnakeCase(step.Trigger);
        if (step.When is { } when) yield return "when " + when;
        if (pipeline.TimeoutOf(step) is { } timeout) yield return "timeout " + Duration.Format(timeout);
        var retry = pipeline.RetryOf(step);
        if (retry.MaxAttempts > 1) yield return $"up to {retry.MaxAttempts} attempts ({PipelineYaml.SnakeCase(retry.Backoff)} from {Duration.Format(retry.Delay)})";
        if (step.Rollback is { } rollback) yield return "rollback " + rollback.Type;
    }
}
