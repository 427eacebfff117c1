using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Pipeline.Cli.Terminal;
using Pipeline.Core.Definitions;

namespace Pipeline.Cli.Commands;

/// <summary>The <c>pipeline</c> command: its subcommands, help with the exit codes, and usage errors as exit code 2.</summary>
internal static class PipelineCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Runs data and file pipelines defined in YAML: steps in dependency order, in parallel, with retries, timeouts, rollback, history and resume.")
        {
            RunCommand.Create(),
            ValidateCommand.Create(),
            PlanCommand.Create(),
            RunsCommand.Create(),
            StepsCommand.Create(),
        };
        root.Options.Add(GlobalOptions.Quiet);
        root.Options.Add(GlobalOptions.Verbose);
        root.Options.Add(GlobalOptions.NoColor);
        foreach (var help in root.Options.OfType<HelpOption>())
            help.Action = new HelpWithExitCodes((HelpAction)help.Action!);
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Action is ParseErrorAction) return ReportUsageErrors(parse);
        return await parse.InvokeAsync(new InvocationConfiguration
        {
            // Exceptions become exit codes in GlobalOptions.Guard; Ctrl+C and SIGTERM are handled by CancelSignals.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        }).ConfigureAwait(false);
    }

    private static int ReportUsageErrors(ParseResult parse)
    {
        var output = TerminalOutput.ForConsole(parse.GetValue(GlobalOptions.NoColor), Verbosity.Normal);
        var command = parse.CommandResult.Command;
        var candidates = command.Subcommands.Select(c => c.Name)
            .Concat(command.Options.Concat(Globals()).SelectMany(o => o.Aliases.Prepend(o.Name)))
            .Distinct()
            .ToArray();
        // "Required command was not provided" says nothing more when a word was not understood.
        var errors = parse.Errors.Count > 1 && parse.UnmatchedTokens.Count > 0
            ? parse.Errors.Where(e => e.Message != parse.Errors[0].Message || !parse.Errors[0].Message.StartsWith("Required command", StringComparison.Ordinal))
            : parse.Errors;
        foreach (var error in errors)
            output.WriteError(error.Message);
        var unknown = parse.UnmatchedTokens.Concat(parse.Tokens.Where(t => t.Type == TokenType.Argument && IsOptionLike(t.Value)).Select(t => t.Value)).Distinct();
        foreach (var token in unknown)
        {
            if (Suggest.Closest(token, candidates) is { } closest)
                output.WriteHint($"Did you mean '{closest}' instead of '{token}'?");
        }
        output.WriteHint($"Run '{GlobalOptions.CommandPath(parse)} --help' for usage.");
        return ExitCodes.Usage;
    }

    /// <summary>Whether a word looks like an option ("--paralel") rather than a file or a value ("-" alone is a value).</summary>
    internal static bool IsOptionLike(string word) => word.Length > 1 && word[0] == '-' && !char.IsDigit(word[1]);

    /// <summary>An argument that refuses a word that looks like an option: without it a misspelt option would be
    /// taken for the file name.</summary>
    internal static T RefusingOptions<T>(T argument) where T : Argument
    {
        argument.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => IsOptionLike(t.Value)))
                result.AddError($"Unknown option '{token.Value}'.");
        });
        return argument;
    }

    private static IEnumerable<Option> Globals() => [GlobalOptions.Quiet, GlobalOptions.Verbose, GlobalOptions.NoColor];

    /// <summary>The standard help, followed by the exit codes for <c>pipeline --help</c> and <c>pipeline run --help</c>.</summary>
    private sealed class HelpWithExitCodes(HelpAction standard) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var code = standard.Invoke(parseResult);
            var command = parseResult.CommandResult.Command;
            if (command is RootCommand || command.Name == "run")
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine("Exit codes:");
                foreach (var (exit, meaning) in ExitCodes.All)
                    output.WriteLine($"  {exit,-4} {meaning}");
                output.WriteLine();
            }
            return code;
        }
    }
}
