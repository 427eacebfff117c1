using System.CommandLine;
using Pipeline.Cli.Terminal;
using Pipeline.Core.Definitions;
using Pipeline.Core.Steps;

namespace Pipeline.Cli.Commands;

/// <summary><c>pipeline steps</c> lists the step types; <c>pipeline steps TYPE</c> describes one type's options.</summary>
internal static class StepsCommand
{
    public static Command Create()
    {
        var type = PipelineCommand.RefusingOptions(new Argument<string?>("TYPE") { Description = "A step type, such as file.copy, to describe its options.", Arity = ArgumentArity.ZeroOrOne });
        var command = new Command("steps", "List the step types this command can run, or describe one type's options.") { type };
        command.SetAction((parse, _) => GlobalOptions.Guard(parse, output => Task.FromResult(Execute(output, parse.GetValue(type)))));
        return command;
    }

    private static int Execute(TerminalOutput output, string? type)
    {
        var registry = StepTypeRegistry.CreateDefault();
        if (type is null)
        {
            var table = new TextTable("TYPE", "DESCRIPTION");
            foreach (var info in registry.Types) table.Add(info.Name, info.Description);
            table.WriteTo(output);
            output.WriteLine("'pipeline steps TYPE' describes a type's options.", Style.Dim);
            return ExitCodes.Success;
        }
        if (!registry.TryGet(type, out var handler))
        {
            throw new UsageException(registry.UnavailableReason(type)
                ?? $"There is no step type '{type}'{Suggest.DidYouMean(type, registry.Names)}. 'pipeline steps' lists them.");
        }

        var step = handler.Info;
        output.WriteLine(step.Name, Style.Bold);
        output.WriteLine(step.Description);
        if (step.ConsumesRecords || step.ProducesRecords)
            output.WriteLine($"Records: {(step.ConsumesRecords ? "reads records from its inputs" : "reads no records")}, {(step.ProducesRecords ? "writes records" : "writes no records")}.");
        output.Out.WriteLine();
        if (step.Options.Count == 0)
        {
            output.WriteLine("It takes no options.");
            return ExitCodes.Success;
        }
        var options = new TextTable("OPTION", "TYPE", "REQUIRED", "DEFAULT", "ALLOWED", "DESCRIPTION");
        foreach (var option in step.Options)
        {
            options.Add(option.Name, PipelineYaml.SnakeCase(option.Type), option.Required ? "yes" : "no", option.Default,
                option.AllowedValues is { Count: > 0 } allowed ? string.Join(", ", allowed) : null, option.Description);
        }
        options.WriteTo(output);
        return ExitCodes.Success;
    }
}
