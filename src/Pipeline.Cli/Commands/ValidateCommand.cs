using System.CommandLine;
using Pipeline.Cli.Terminal;
using Pipeline.Core.Definitions;
using Pipeline.Core.Execution;
using Pipeline.Core.Steps;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline validate</c>: every problem of a definition as <c>file:line:col: message [code]</c>; exit code 3
/// when there is one.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var file = CommonOptions.DefinitionFile();
        var variables = CommonOptions.Variables();
        var command = new Command("validate", "Check a definition without running it; print every problem with file, line and column.") { file, variables };
        command.SetAction((parse, _) => GlobalOptions.Guard(parse, output =>
            Task.FromResult(Execute(output, CommonOptions.ExistingFile(parse.GetValue(file)!), parse.GetValue(variables)))));
        return command;
    }

    private static int Execute(TerminalOutput output, string file, string[]? variablePairs)
    {
        var variables = CommonOptions.ParseVariables(variablePairs);
        var registry = StepTypeRegistry.CreateDefault();
        try
        {
            var definition = DefinitionLoader.LoadFile(file, registry, variables.Keys);
            var plan = new PipelineExecutor(registry).Plan(definition, variables.Keys);
            output.WriteLine($"{file}: valid: pipeline '{definition.PipelineId}', {Plural(plan.Steps.Count, "step")} in {Plural(plan.Levels.Count, "level")}.", Style.Success);
            return ExitCodes.Success;
        }
        catch (DefinitionException ex)
        {
            return DefinitionProblems.Report(output, ex, file, "the definition is invalid.");
        }
    }

    internal static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}
